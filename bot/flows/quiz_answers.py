"""Quiz answers, however they come (poll, button, typed text): the result, then what's next."""

from __future__ import annotations

import json
import string
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from bot.events import QuizPrompt, Reply
from bot.flows import Ctx, Route, buttons, number
from bot.flows.quiz import T, next_step, quiz_on_answer, start_quiz, start_review, summary
from knowledge.answering.models import Citation


async def pressed(ctx: Ctx) -> AsyncIterator[Reply | QuizPrompt]:
    """qa:SESSION:ITEM:OPTION — a single choice or true/false button."""
    sid, item, option = _parts(ctx.arg, 3)
    async for out in _answer(ctx, number(sid), item, (number(option),)):
        yield out


async def toggled(ctx: Ctx) -> AsyncIterator[Reply]:
    """qt:SESSION:ITEM:OPTION — one option of a several-right-answers question, on or off."""
    sid, item, option = _parts(ctx.arg, 3)
    session = await ctx.core.records.session(number(sid))
    if session is None or session.user_id != ctx.user.id or session.current != item:
        yield ctx.reply(ctx.say("answered", T), kind="toast")
        return
    chosen = await ctx.core.records.toggle_option(session.id, number(option))
    picked = ", ".join(string.ascii_uppercase[i] for i in chosen) or "—"
    yield ctx.reply(ctx.say("selected", T, picked=picked), kind="toast")


async def submitted(ctx: Ctx) -> AsyncIterator[Reply | QuizPrompt]:
    """qd:SESSION:ITEM — submit the toggled options."""
    sid, item = _parts(ctx.arg, 2)
    session = await ctx.core.records.session(number(sid))
    chosen = session.selected if session and session.user_id == ctx.user.id else ()
    async for out in _answer(ctx, number(sid), item, tuple(chosen)):
        yield out


async def poll_answered(ctx: Ctx) -> AsyncIterator[Reply | QuizPrompt]:
    answer = ctx.event.poll_answer
    assert answer is not None
    ref = await ctx.core.records.poll(answer.poll_id)
    if ref is None or ref.user_id != ctx.user.id:
        yield ctx.reply(ctx.say("unknown_poll", T), kind="error")
        return
    async for out in _answer(ctx, ref.session_id, ref.item_id, answer.options):
        yield out


async def typed(ctx: Ctx) -> AsyncIterator[Reply | QuizPrompt]:
    """The typed answer to a short-answer question."""
    await ctx.core.records.update_user(ctx.user.id, pending=None)
    sid = json.loads(ctx.user.pending or "{}").get("quiz", -1)
    session = await ctx.core.records.session(sid)
    item = session.current if session else None
    async for out in _answer(ctx, sid, item or "", ctx.event.text.strip()):
        yield out


async def _answer(ctx: Ctx, sid: int, item_id: str, response) -> AsyncIterator[Reply | QuizPrompt]:
    records = ctx.core.records
    session = await records.session(sid)
    if session is None or session.user_id != ctx.user.id:
        yield ctx.reply(ctx.say("unknown_poll", T), kind="error")
        return
    if session.finished_at is not None and session.current == item_id:  # closed by a new /quiz
        yield ctx.reply(ctx.say("stale", T), kind="toast" if ctx.event.button else "error")
        return
    started = session.sent_at or datetime.now(UTC)
    seconds = max(0.0, (datetime.now(UTC) - started).total_seconds())
    result = await records.record_answer(
        session_id=sid, item_id=item_id, user_id=ctx.user.id, response=response, seconds=seconds
    )
    question = await records.item(item_id)
    if result is None or question is None:
        yield ctx.reply(ctx.say("answered", T), kind="toast")
        return
    if result.correct:
        verdict = ctx.say("right", T)
    else:
        right = (
            question.accepted[:1]
            if question.kind == "short"
            else [f"{string.ascii_uppercase[i]}. {question.options[i]}" for i in question.answer]
        )
        verdict = ctx.say(
            "wrong", T, answer="；".join(right) if ctx.lang == "zh" else "; ".join(right)
        )
    source = buttons([(ctx.say("source", T), f"qs:{question.id}")])
    yield ctx.reply(f"{verdict}\n{question.explanation}".strip(), kind="info", buttons=source)
    if question.feedback and question.feedback != question.explanation:
        yield ctx.reply(question.feedback, kind="info")
    session = await records.session(sid)
    if session is None:
        return
    if session.finished_at is None:
        async for out in next_step(ctx, session):
            yield out
    elif result.finished and result.answered == session.size:  # this answer completed it
        yield await summary(ctx, session)


async def source(ctx: Ctx) -> AsyncIterator[Reply]:
    """qs:ITEM — the clause a question comes from, quoted from the course pack."""
    question = await ctx.core.records.item(ctx.arg)
    if question is None:
        yield ctx.reply(ctx.say("gone"), kind="toast")
        return
    found = ctx.core.tutor.retriever.section(question.source_doc, question.clause)
    title, text = found or (question.source_doc, "")
    cite = Citation(1, question.source_doc, title, question.clause, None, text)
    yield ctx.reply(ctx.say("source", T), citations=[cite], kind="sources")


def _parts(arg: str, n: int) -> list[str]:
    parts = arg.split(":")
    return parts if len(parts) == n else [""] * n


COMMANDS = {"quiz": Route("trainee", start_quiz), "review": Route("trainee", start_review)}
BUTTONS = {
    "quiz": Route("trainee", start_quiz),  # "first quiz" and "another round"
    "qa": Route("trainee", pressed),
    "qt": Route("trainee", toggled),
    "qd": Route("trainee", submitted),
    "qs": Route("trainee", source),
    "qz": Route("trainee", quiz_on_answer),
}
POLL = Route("trainee", poll_answered)
TYPED = Route("trainee", typed)
