"""The question bank: browse with filters (competency, level, language, status), publish or
retire a question, edit one (checked as an import checks it, saved in place: its id and its
answers stay) beside its item analysis, and download the spreadsheet template."""

from __future__ import annotations

import asyncio

from aiohttp import web

from bot.channels.web.auth import guard
from bot.channels.web.base import console, lang_of, message, render
from bot.channels.web.pages_results import download
from bot.channels.web.question_form import form_values, posted, raw_fields
from bot.flows.question_files import why
from ingest.questions import checked
from ingest.questions.spreadsheet import TEMPLATE_NAMES, template_bytes
from knowledge.answering.glossary import pack_files
from knowledge.learning.questions import BLOOM, KINDS, STATUSES, Question, publish_problems
from knowledge.learning.reports import flags

FILTERS = ("competency", "level", "lang", "status")
SHOWN = 200  # rows on one page; the filters narrow it down


@guard("instructor")
async def bank(request: web.Request) -> web.StreamResponse:
    return await _bank(request, "")


async def _bank(request: web.Request, said: str) -> web.StreamResponse:
    core, lang = console(request).core, lang_of(request)
    chosen = {name: request.query.get(name, "") for name in FILTERS}
    items = [q for q in await core.services.records.items(None) if _keeps(q, chosen)]
    model = core.services.model
    names = {cid: c.title(lang) for cid, c in model.competencies.items()} if model else {}
    leaves = [(c.id, c.title(lang)) for c in model.leaves()] if model else []
    return render(
        request, "questions.html", items=items[:SHOWN], total=len(items), chosen=chosen,
        names=names, competencies=leaves, statuses=STATUSES, said=said,
    )  # fmt: skip


def _keeps(q: Question, chosen: dict[str, str]) -> bool:
    return (
        (not chosen["competency"] or chosen["competency"] in q.competencies)
        and (not chosen["level"] or chosen["level"] == str(q.level))
        and (not chosen["lang"] or chosen["lang"] == q.lang)
        and (not chosen["status"] or chosen["status"] == q.status)
    )


@guard("instructor")
async def set_status(request: web.Request) -> web.StreamResponse:
    status = str((await request.post()).get("status", ""))
    item_id = request.match_info["item_id"]
    if status not in STATUSES:
        return message(request, "csrf", 400)
    services = console(request).core.services
    if status == "published":  # an untagged draft waits for its competencies and level
        question = await services.records.item(item_id)
        if question is None:
            return message(request, "no_question", 404)
        found = publish_problems(question, set(services.model.competencies))
        if found:
            reasons = " ".join(why(p, lang_of(request)) for p in found)
            return message(request, "not_publishable", 400, item=item_id, why=reasons)
    if not await services.records.set_item_status(item_id, status):
        return message(request, "no_question", 404)
    return await _bank(request, f"{item_id}: {status}")


@guard("instructor")
async def edit(request: web.Request) -> web.StreamResponse:
    question = await console(request).core.services.records.item(request.match_info["item_id"])
    if question is None:
        return message(request, "no_question", 404)
    return await _editor(request, question, form_values(question))


@guard("instructor")
async def save(request: web.Request) -> web.StreamResponse:
    """The edited question, checked as a question file's would be, replaces the old one in
    place (same id, same row: the answers recorded against it stay)."""
    services, lang = console(request).core.services, lang_of(request)
    old = await services.records.item(request.match_info["item_id"])
    if old is None:
        return message(request, "no_question", 404)
    values = posted(await request.post())
    fields = raw_fields(old.id, values)
    new, found = checked(fields, set(services.model.competencies), pack_files())
    if found or new is None:
        reasons = [why(p, lang) for p in found]
        return await _editor(request, old, values, reasons=reasons, status=400)
    await services.records.upsert_items([new])
    return await _editor(request, new, form_values(new), saved=True)


async def _editor(
    request: web.Request, q: Question, values: dict[str, str], reasons: list[str] | None = None,
    saved: bool = False, status: int = 200,
) -> web.StreamResponse:  # fmt: skip
    services, lang = console(request).core.services, lang_of(request)
    stats = next((st for st in await services.records.item_stats() if st.item_id == q.id), None)
    leaves = [(c.id, c.title(lang)) for c in services.model.leaves()]
    return render(
        request, "question_edit.html", status=status, q=q, values=values,
        reasons=reasons or [], saved=saved, stats=stats, flags=flags(stats) if stats else (),
        kinds=KINDS, statuses=STATUSES, blooms=BLOOM, competencies=leaves,
    )  # fmt: skip


@guard("instructor")
async def template(request: web.Request) -> web.StreamResponse:
    """The spreadsheet template `stdtutor questions template` writes, headings in ?lang."""
    lang = request.query.get("lang") or lang_of(request)
    if lang not in TEMPLATE_NAMES:
        return message(request, "no_template", 404)
    leaves = [(c.id, c.title(lang)) for c in console(request).core.services.model.leaves()]
    data = await asyncio.to_thread(template_bytes, lang, leaves)
    sheet = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return download(TEMPLATE_NAMES[lang], data, sheet)


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/questions", bank)
    router.add_get("/questions/template", template)
    # An id from a question file may hold "/": the pages quote it (%2F), and a proxy that
    # unquotes it still reaches the same question.
    item = "/questions/{item_id:.+}"
    router.add_post(f"{item}/status", set_status)
    router.add_get(f"{item}/edit", edit)
    router.add_post(f"{item}/edit", save)
