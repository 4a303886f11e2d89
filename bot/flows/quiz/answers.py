"""Quiz answers, however they come (poll, button, typed text): the result, then what's next."""

from __future__ import annotations

import string
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from bot.conversation import AwaitingQuizAnswer, press
from bot.events import QuizPrompt, Reply
from bot.flows import Ctx, buttons, set_step
from bot.flows.quiz.start import Needs, T, next_step, settled, summary
from knowledge.answering.models import Citation
from knowledge.learning.practice import record_answer
from knowledge.learning.questions import Question
from knowledge.learning.typed_answers import shown_range


async def pressed(ctx: Ctx[Needs]) -> AsyncIterator[Reply | QuizPrompt]:
    """qa:SESSION:ITEM:OPTION — a single choice or true/false button."""
    sid, item, option = _parts(ctx, 3)
    async for out in _answer(ctx, sid, item, (option,)):
        yield out


async def toggled(ctx: Ctx[Needs]) -> AsyncIterator[Reply]:
    """qt:SESSION:ITEM:OPTION — one option of a several-right-answers question, on or off."""
    sid, item, option = _parts(ctx, 3)
    session = await ctx.services.records.session(sid)
    if session is None or session.user_id != ctx.user.id or session.current != item:
        yield ctx.reply(ctx.say("answered", T), kind="toast")
        return
    chosen = await ctx.services.records.toggle_option(session.id, option)
    picked = ", ".join(string.ascii_uppercase[i] for i in chosen) or "—"
    yield ctx.reply(ctx.say("selected", T, picked=picked), kind="toast")


async def submitted(ctx: Ctx[Needs]) -> AsyncIterator[Reply | QuizPrompt]:
    """qd:SESSION:ITEM — submit the toggled options."""
    sid, item, _ = _parts(ctx, 2)
    session = await ctx.services.records.session(sid)
    chosen = session.selected if session and session.user_id == ctx.user.id else ()
    async for out in _answer(ctx, sid, item, tuple(chosen)):
        yield out


async def poll_answered(ctx: Ctx[Needs]) -> AsyncIterator[Reply | QuizPrompt]:
    answer = ctx.event.poll_answer
    assert answer is not None
    ref = await ctx.services.records.poll(answer.poll_id)
    if ref is None or ref.user_id != ctx.user.id:
        yield ctx.reply(ctx.say("unknown_poll", T), kind="error")
        return
    async for out in _answer(ctx, ref.session_id, ref.item_id, answer.options):
        yield out


async def typed(ctx: Ctx[Needs]) -> AsyncIterator[Reply | QuizPrompt]:
    """The typed answer to a short-answer question."""
    step = ctx.step
    await set_step(ctx, None)
    assert isinstance(step, AwaitingQuizAnswer)  # the core routes only this step here
    sid = step.session_id
    session = await ctx.services.records.session(sid)
    item = session.current if session else None
    async for out in _answer(ctx, sid, item or "", ctx.event.text.strip()):
        yield out


async def _answer(
    ctx: Ctx[Needs], sid: int, item_id: str, response: tuple[int, ...] | str
) -> AsyncIterator[Reply | QuizPrompt]:
    records = ctx.services.records
    session = await records.session(sid)
    if session is None or session.user_id != ctx.user.id:
        yield ctx.reply(ctx.say("unknown_poll", T), kind="error")
        return
    if session.finished_at is not None and session.current == item_id:  # closed by a new /quiz
        yield ctx.reply(ctx.say("stale", T), kind="toast" if ctx.event.button else "error")
        return
    started = session.sent_at or datetime.now(UTC)
    seconds = max(0.0, (datetime.now(UTC) - started).total_seconds())
    result = await record_answer(
        records,
        session_id=sid,
        item_id=item_id,
        user_id=ctx.user.id,
        response=response,
        seconds=seconds,
    )
    question = await records.item(item_id)
    if result is None or question is None:
        yield ctx.reply(ctx.say("answered", T), kind="toast")
        return
    if result.correct:
        verdict = ctx.say("right", T)
    else:
        right = _right_answer(question)
        verdict = ctx.say(
            "wrong", T, answer="；".join(right) if ctx.lang == "zh" else "; ".join(right)
        )
    source = buttons([(ctx.say("source", T), press("qs", question.id))])
    yield ctx.reply(f"{verdict}\n{question.explanation}".strip(), kind="info", buttons=source)
    if question.feedback and question.feedback != question.explanation:
        yield ctx.reply(question.feedback, kind="info")
    # The answer is recorded and its verdict out: what follows is tried once more when the
    # records fail (a dropped connection is replaced on the next try), so the person does not
    # get an apology after their answer, and a quiz with no next question.
    for out in await settled(lambda: _after(ctx, sid, result.finished, result.answered)):
        yield out


async def _after(
    ctx: Ctx[Needs], sid: int, finished: bool, answered: int
) -> AsyncIterator[Reply | QuizPrompt]:
    """After an answer: the session's next question, or its summary if this answer ended it."""
    session = await ctx.services.records.session(sid)
    if session is None:
        return
    if session.finished_at is None:
        async for out in next_step(ctx, session):
            yield out
    elif finished and answered == session.size:  # this answer completed it
        yield await summary(ctx, session)


def _right_answer(q: Question) -> list[str]:
    """The right answer as the result names it: the first accepted text, the number's range,
    each item with its letter and answer, or the right options."""
    letters = string.ascii_uppercase
    if q.kind == "short":
        return list(q.accepted[:1])
    if q.kind == "numerical":
        return [shown_range(a) for a in q.accepted]
    if q.kind == "matching":
        pairs = zip(q.accepted, q.answer, strict=False)
        return [f"{p} → {letters[i]}. {q.options[i]}" for p, i in pairs]
    return [f"{letters[i]}. {q.options[i]}" for i in q.answer]


async def source(ctx: Ctx[Needs]) -> AsyncIterator[Reply]:
    """qs:ITEM — the clause a question comes from, quoted from the course pack."""
    question = await ctx.services.records.item(ctx.press.text())
    if question is None:
        yield ctx.reply(ctx.say("gone"), kind="toast")
        return
    found = ctx.services.tutor.retriever.section(question.source_doc, question.clause)
    title, text = found or (question.source_doc, "")
    cite = Citation(1, question.source_doc, title, question.clause, None, text)
    yield ctx.reply(ctx.say("source", T), citations=[cite], kind="sources")


def _parts(ctx: Ctx[Needs], n: int) -> tuple[int, str, int]:
    """(session, item, option) of a pressed quiz button of `n` arguments (option -1 when it
    has two); (-1, "", -1), which names nothing, when it hasn't exactly `n`."""
    p = ctx.press
    if len(p.args) != n:
        return -1, "", -1
    return p.number(0), p.text(1), p.number(2) if n == 3 else -1
