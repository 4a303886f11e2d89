"""The feedback queue: refused and 👎-rated questions with the answer given, paraphrases of
one question shown as one entry with their count and wordings, a follow-up with the question
it followed; write the canonical answer (as `/feedback` does in the bot), or dismiss the entry."""

from __future__ import annotations

import asyncio

from aiohttp import web

from bot.channels.web.auth import guard
from bot.channels.web.base import USER, console, deliver, message, render
from bot.flows.feedback import answer_entry, dismiss_entry, entry_of, queue, standalone_question

QUEUE = 50


@guard("instructor")
async def listing(request: web.Request) -> web.StreamResponse:
    services = console(request).core.services
    entries, _ = await queue(services, QUEUE)
    follow_ups = [e for e in entries if e.follows]  # each condensed as the tutor would
    condensed = await asyncio.gather(*(standalone_question(services, e) for e in follow_ups))
    standalone = {e.head.id: text for e, text in zip(follow_ups, condensed, strict=True)}
    return render(request, "feedback.html", items=entries, standalone=standalone)


@guard("instructor")
async def answer(request: web.Request) -> web.StreamResponse:
    core, user = console(request).core, request[USER]
    entry = await entry_of(core.services, _id(request))
    if entry is None:
        return message(request, "no_feedback", 404)
    text = str((await request.post()).get("answer", "")).strip()
    if not text:
        return message(request, "empty_answer", 400)
    canonical, notices = await answer_entry(core.services, entry, text, user.id, user.name)
    after = ""  # the author asked it themselves: nobody else to tell
    if notices:
        told = [await deliver(core, notice) for notice in notices]
        after = "saved_told" if all(told) else "saved_untold"
    return render(request, "feedback_done.html", key="saved", question=canonical.question,
                  after=after, canonical_id=canonical.id)  # fmt: skip


@guard("instructor")
async def dismiss(request: web.Request) -> web.StreamResponse:
    services = console(request).core.services
    entry = await entry_of(services, _id(request))
    if entry is None or not await dismiss_entry(services, entry, request[USER].id):
        return message(request, "no_feedback", 404)
    key, others = ("dismissed_n", len(entry.variants)) if entry.variants else ("dismissed", 0)
    return render(request, "feedback_done.html", key=key, question=entry.head.question,
                  others=others, after="")  # fmt: skip


def _id(request: web.Request) -> int:
    text = request.match_info["question_id"]
    return int(text) if text.isdigit() else -1


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/feedback", listing)
    router.add_post("/feedback/{question_id}/answer", answer)
    router.add_post("/feedback/{question_id}/dismiss", dismiss)
