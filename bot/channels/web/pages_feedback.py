"""The feedback queue: refused and 👎-rated questions with the answer given; write the
canonical answer (as `/feedback` does in the bot), or dismiss the question."""

from __future__ import annotations

from aiohttp import web

from bot.channels.web.auth import guard
from bot.channels.web.base import USER, console, deliver, message, render
from bot.flows.feedback import save_canonical

QUEUE = 50


@guard("instructor")
async def queue(request: web.Request) -> web.StreamResponse:
    items = await console(request).core.services.records.open_feedback(limit=QUEUE)
    return render(request, "feedback.html", items=items)


@guard("instructor")
async def answer(request: web.Request) -> web.StreamResponse:
    core, user = console(request).core, request[USER]
    record = await core.services.records.question(_id(request))
    if record is None:
        return message(request, "no_feedback", 404)
    text = str((await request.post()).get("answer", "")).strip()
    if not text:
        return message(request, "empty_answer", 400)
    _, notice = await save_canonical(core.services, record, text, user.id, user.name)
    after = ""  # the author asked it themselves: nobody else to tell
    if notice is not None:
        after = "saved_told" if await deliver(core, notice) else "saved_untold"
    return render(request, "feedback_done.html", key="saved", question=record.question, after=after)


@guard("instructor")
async def dismiss(request: web.Request) -> web.StreamResponse:
    records = console(request).core.services.records
    record = await records.question(_id(request))
    if record is None or not await records.dismiss_feedback(record.id, request[USER].id):
        return message(request, "no_feedback", 404)
    return render(request, "feedback_done.html", key="dismissed", question=record.question,
                  after="")  # fmt: skip


def _id(request: web.Request) -> int:
    text = request.match_info["question_id"]
    return int(text) if text.isdigit() else -1


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/feedback", queue)
    router.add_post("/feedback/{question_id}/answer", answer)
    router.add_post("/feedback/{question_id}/dismiss", dismiss)
