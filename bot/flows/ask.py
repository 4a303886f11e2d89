"""Questions: limits, canonical answers, the tutor's cited answer, sources and ratings."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from dataclasses import asdict, replace
from datetime import UTC, datetime, timedelta
from typing import Protocol

from bot.conversation import press
from bot.events import Button, Partial, Reply, Typing
from bot.flows import Ctx, Flow, Route, buttons, local_time, waiting
from bot.flows.canonicals import keep_current
from bot.texts import say
from knowledge.answering.canonical import CanonicalIndex
from knowledge.answering.condense import is_follow_up
from knowledge.answering.models import Answer, Citation
from knowledge.answering.tutor import Delta, Tutor
from knowledge.errors import BadQuestion
from knowledge.records import Canonical
from knowledge.vocabulary import CJK, Lang, detect_lang, has_cjk

T = {
    "rephrase": (
        "💡 只有几个字的问题我很难找准。试着问完整的一句话，例如“{word}是什么？”",
        "💡 A word or two is hard for me to look up. Try a whole question, for example "
        "“What is {word}?”",
    ),
}
SHORT = 4  # at most this many CJK characters, or two words: too short to search well
_EDGES = " \t\n?？!！。.,，、~…呢吗啊呀"  # punctuation and particles: not the question's words


class Needs(waiting.Needs, Protocol):
    tutor: Tutor
    canonical: CanonicalIndex
    history_size: int

    def user_lock(self, user_id: int) -> asyncio.Lock: ...


async def question(ctx: Ctx[Needs]) -> AsyncIterator[Typing | Partial | Reply]:
    """A question: answered now, or kept for when the per-minute limit allows (see `waiting`)."""
    core, user = ctx.services, ctx.user
    async with core.user_lock(user.id):
        policy, now = core.policy, datetime.now(UTC)
        (day,) = await core.records.question_counts(user.id, now - timedelta(days=1))
        if day >= policy.per_day:
            yield ctx.reply(ctx.say("daily_limit", limit=policy.per_day), kind="error")
            return
        kept = core.waiting.count(user.id)
        times = await waiting.recent(ctx)
        if kept or len(times) >= policy.per_minute:
            at = waiting.slots(ctx, times, kept + 1)
            if kept >= policy.queued:  # asking again makes sense once the first is answered
                yield ctx.reply(ctx.say("queue_full", n=kept, **_when(ctx, at[0])), kind="error")
                return
            queued = ctx.say("queued", limit=policy.per_minute, **_when(ctx, at[-1]))
            yield ctx.reply(queued, kind="info")
            if core.push is not None:
                await core.waiting.keep(ctx, later)
                return
            await asyncio.sleep(max(0.0, (at[-1] - datetime.now(UTC)).total_seconds()))
        yield Typing()
        async for item in _answer(ctx):
            yield item


async def later(ctx: Ctx[Needs]) -> AsyncIterator[Typing | Partial | Reply]:
    """A kept question, answered when its turn comes."""
    yield Typing()
    async with ctx.services.user_lock(ctx.user.id):
        async for item in _answer(ctx):
            yield item


def _when(ctx: Ctx[Needs], at: datetime) -> dict[str, str | int]:
    seconds = max(1, math.ceil((at - datetime.now(UTC)).total_seconds()))
    return {"time": local_time(ctx, at, "%H:%M:%S"), "seconds": seconds}


async def example(ctx: Ctx[Needs]) -> AsyncIterator[Partial | Reply]:
    """ex:N — an example question of the onboarding, asked as if typed."""
    if ctx.press.text() not in ("1", "2", "3"):
        return
    text = ctx.say(f"example_{ctx.press.text()}")
    yield ctx.reply(f"❓ {text}", kind="info")
    asked = Ctx(replace(ctx.event, text=text, button=None), ctx.user, ctx.lang, ctx.services)
    async for item in question(asked):
        if not isinstance(item, Typing):  # a press shows its replies once they are all there
            yield item


async def _answer(ctx: Ctx[Needs]) -> AsyncIterator[Partial | Reply]:
    core, user, text = ctx.services, ctx.user, ctx.event.text
    canonical = None
    if text.strip():
        await keep_current(core)  # what another process wrote, reworded or retired
        canonical = await asyncio.to_thread(core.canonical.match, text)
    if canonical is not None:  # still the context of a follow-up ("那IEC呢？")
        await core.records.remember_question(user.id, text, core.history_size)
        yield await _serve_canonical(ctx, canonical)
        return
    history = await core.records.recent_questions(user.id)
    final: Answer | None = None
    written = ""
    try:
        async for item in core.tutor.stream(text, history, _short_lang(ctx, text)):
            if isinstance(item, Delta):
                written += item.text
                yield Partial(written)
            else:
                final = item
    except BadQuestion as error:
        yield ctx.reply(str(error), kind="error")
        return
    assert final is not None
    shown = final.answer
    follow_up = bool(history) and is_follow_up(text)  # read with the question before it
    if final.abstained and not follow_up and (word := very_short(text)):
        shown += "\n\n" + say("rephrase", final.lang, T, word=word)
    if final.written_by != "small_talk":  # "你好" is no context for the next question
        await core.records.remember_question(user.id, final.question, core.history_size)
    qid = await core.records.log_question(
        user_id=user.id,
        chat_id=ctx.event.chat_id or user.id,
        question=final.question,
        lang=final.lang,
        answer=final.answer,
        abstained=final.abstained,
        citations=[asdict(c) for c in final.citations],
    )
    yield Reply(
        shown,
        list(final.citations),
        lang=final.lang,
        buttons=_answer_buttons(ctx, qid, bool(final.citations)),
        markdown=final.written_by == "llm",
    )


def very_short(text: str) -> str:
    """The question's words, less punctuation, when it is only a word or two ("ISO", "GB/T
    1.1") or a few CJK characters ("标准化法"; each counts as half a word); "" when it is
    longer. Greetings never get here: the tutor answers small talk without refusing."""
    words = [w for w in CJK.sub(" ", text).split() if any(ch.isalnum() for ch in w)]
    cjk = len(CJK.findall(text))
    if not (words or cjk) or cjk + 2 * len(words) > SHORT:
        return ""
    return " ".join(text.strip(_EDGES).split())


def _short_lang(ctx: Ctx[Needs], text: str) -> Lang | None:
    """The asker's language for a word or two in Latin letters ("ISO", "GB/T 1.1"), which
    says nothing of the language they read; None (the tutor decides from the text) otherwise."""
    return ctx.lang if very_short(text) and not has_cjk(text) else None


def canonical_text(canonical: Canonical, lang: Lang) -> str:
    """A canonical answer as a trainee reads it: the answer, then who wrote it and when, in
    the reader's language (the console's preview shows this too). An answer written in the
    other language is shown as written, and the line under says so: nothing translates it."""
    date = canonical.created_at.date().isoformat()
    author = canonical.author_name or say("canonical_someone", lang)  # its author forgotten
    by = say("canonical_by", lang, author=author, date=date)
    written = detect_lang(canonical.answer)
    if written != lang:
        by += "\n" + say(f"canonical_in_{written}", lang)
    return f"{canonical.answer}\n\n{by}"


async def _serve_canonical(ctx: Ctx[Needs], canonical: Canonical) -> Reply:
    lang = detect_lang(ctx.event.text)
    qid = await ctx.services.records.log_question(
        user_id=ctx.user.id,
        chat_id=ctx.event.chat_id or ctx.user.id,
        question=ctx.event.text,
        lang=lang,
        answer=canonical.answer,
        abstained=False,
        citations=[],
        canonical_id=canonical.id,
    )
    markup = _answer_buttons(ctx, qid, has_sources=False)
    return Reply(canonical_text(canonical, lang), lang=lang, kind="canonical", buttons=markup)


def _answer_buttons(ctx: Ctx[Needs], qid: int, has_sources: bool) -> tuple[tuple[Button, ...], ...]:
    row = [("👍", press("up", qid)), ("👎", press("dn", qid))]
    if has_sources:
        row.insert(0, (ctx.say("sources"), press("src", qid)))
        return buttons(row, [(ctx.say("quiz_me"), press("qz", qid))])
    return buttons(row)


async def sources(ctx: Ctx[Needs]) -> AsyncIterator[Reply]:
    record = await ctx.services.records.question(ctx.press.number())
    if record is None or (record.user_id != ctx.user.id and ctx.user.role == "trainee"):
        yield ctx.reply(ctx.say("gone"), kind="toast")
        return
    citations = [Citation(**c) for c in record.citations]
    yield ctx.reply(ctx.say("sources"), citations=citations, kind="sources")


async def rate(ctx: Ctx[Needs]) -> AsyncIterator[Reply]:
    """👍/👎: only the person who asked rates an answer (ids are sequential, so guessable)."""
    helpful = ctx.press.kind == "up"
    if await ctx.services.records.rate(ctx.press.number(), ctx.user.id, helpful):
        yield ctx.reply(ctx.say("thanks"), kind="toast")
    else:
        yield ctx.reply(ctx.say("gone"), kind="toast")


FLOW = Flow(
    buttons={
        "ex": Route("trainee", example),
        "src": Route("trainee", sources),
        "up": Route("trainee", rate),
        "dn": Route("trainee", rate),
    },
    text=Route("trainee", question),
)
