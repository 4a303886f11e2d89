"""The canonical answers in force (question, the answer's start, author, date, times served),
with a search; edit one's question and answer (served from the next question on), beside its
earlier wordings (who replaced each and when, on the alliance's clock), retire one
(confirmed; kept in the records, no longer served), and preview it as a trainee reads it in
the bot, in Chinese and in English."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from aiohttp import web

from bot.channels.web.auth import guard
from bot.channels.web.base import USER, console, message, render
from bot.flows.ask import canonical_text
from bot.flows.canonicals import retire, revise
from knowledge.records import Canonical
from knowledge.vocabulary import shorten

ANSWER_START = 120  # characters of the answer in the list


@guard("instructor")
async def listing(request: web.Request) -> web.StreamResponse:
    served = await console(request).core.services.records.canonicals_served()
    q = request.query.get("q", "").strip()
    found = [(c, n) for c, n in served if _matches(c, q)] if q else served
    rows = [(c, shorten(c.answer, ANSWER_START), n) for c, n in found]
    return render(request, "canonical.html", rows=rows, q=q, total=len(served))


def _matches(canonical: Canonical, q: str) -> bool:
    """The search: any of the words in the question, the answer or the author's name."""
    text = f"{canonical.question}\n{canonical.answer}\n{canonical.author_name}".casefold()
    return all(word in text for word in q.casefold().split())


@guard("instructor")
async def edit_page(request: web.Request) -> web.StreamResponse:
    canonical = await _in_force(request)
    if canonical is None:
        return message(request, "no_canonical", 404)
    return await _edit(request, canonical, said="")


@guard("instructor")
async def save(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    question = str(form.get("question", "")).strip()
    answer = str(form.get("answer", "")).strip()
    if not question or not answer:
        return message(request, "canonical_empty", 400)
    services, editor = console(request).core.services, request[USER]
    revised = await revise(
        services, _id(request), question, answer, editor_id=editor.id, editor_name=editor.name
    )
    if revised is None:
        return message(request, "no_canonical", 404)
    return await _edit(request, revised, said="canonical_saved")


@guard("instructor")
async def retire_page(request: web.Request) -> web.StreamResponse:
    canonical = await _in_force(request)
    if canonical is None:
        return message(request, "no_canonical", 404)
    return render(request, "canonical_retire.html", c=canonical)


@guard("instructor")
async def retire_now(request: web.Request) -> web.StreamResponse:
    services = console(request).core.services
    canonical = await services.records.canonical(_id(request))
    if canonical is None or not await retire(services, canonical.id):
        return message(request, "no_canonical", 404)
    return render(request, "message.html", key="canonical_retired",
                  values={"question": canonical.question}, back="/canonical")  # fmt: skip


async def _edit(request: web.Request, canonical: Canonical, said: str) -> web.Response:
    services = console(request).core.services
    previews = [(lang, canonical_text(canonical, lang)) for lang in ("zh", "en")]
    zone = services.policy.timezone
    history = [
        (r, r.replaced_at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M"))
        for r in await services.records.canonical_revisions(canonical.id)
    ]
    return render(request, "canonical_edit.html", c=canonical, previews=previews, said=said,
                  history=history, zone=zone)  # fmt: skip


async def _in_force(request: web.Request) -> Canonical | None:
    canonical = await console(request).core.services.records.canonical(_id(request))
    return canonical if canonical is not None and canonical.retired_at is None else None


def _id(request: web.Request) -> int:
    text = request.match_info["canonical_id"]
    return int(text) if text.isdigit() else -1


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/canonical", listing)
    router.add_get("/canonical/{canonical_id}", edit_page)
    router.add_post("/canonical/{canonical_id}", save)
    router.add_get("/canonical/{canonical_id}/retire", retire_page)
    router.add_post("/canonical/{canonical_id}/retire", retire_now)
