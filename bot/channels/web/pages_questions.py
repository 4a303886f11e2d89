"""The question bank: browse with filters (competency, level, language, status), and publish
or retire a question."""

from __future__ import annotations

from aiohttp import web

from bot.channels.web.auth import guard
from bot.channels.web.base import console, lang_of, message, render
from bot.flows.question_files import why
from knowledge.learning.questions import STATUSES, Question, publish_problems

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


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/questions", bank)
    router.add_post("/questions/{item_id}/status", set_status)
