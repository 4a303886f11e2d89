"""Questions that went badly, and the canonical answers instructors write for them."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Protocol

from bot.conversation import WritingCanonical, press
from bot.events import Notice, Reply
from bot.flows import Ctx, Flow, Route, buttons, set_step
from bot.texts import say
from knowledge.answering.canonical import CanonicalIndex
from knowledge.records import Canonical, QuestionRecord, Records
from knowledge.vocabulary import as_lang


class Needs(Protocol):
    records: Records
    canonical: CanonicalIndex


T = {
    "no_feedback": (
        "没有待处理的问题：没有 👎，也没有答不上的问题。",
        "Nothing waiting: no 👎 and no unanswered questions.",
    ),
    "item": (
        "❓ {question}\n{why} · {when}\n\n{answer}",
        "❓ {question}\n{why} · {when}\n\n{answer}",
    ),
    "rated_down": ("学员点了 👎", "a trainee rated it 👎"),
    "unanswered": ("资料中没有答案", "not answered from the materials"),
    "write": ("✍️ 写标准答案", "✍️ Write the answer"),
    "send_answer": (
        "请把“{question}”的标准答案作为下一条消息发给我。/cancel 取消。",
        "Send the answer to “{question}” as your next message. /cancel to stop.",
    ),
    "saved": (
        "已保存。以后有人问“{question}”或相近的问题，我会给出这个答案。",
        "Saved. From now on I'll give this answer to “{question}” and close paraphrases.",
    ),
    "nothing_pending": ("没有进行中的操作。", "Nothing to cancel."),
    "answered_for_you": (
        "老师回答了你的问题“{question}”：\n\n{answer}",
        "An instructor answered your question “{question}”:\n\n{answer}",
    ),
}
ANSWER_PREVIEW = 300
NOTICE_CHARS = 3000  # one message; asking again shows the whole answer
STANDALONE = re.compile(r"\A\s*(?:Q|问)\s*[:：]\s*(?P<q>[^\n]+)\n+(?P<a>.+)\Z", re.I | re.S)


async def open_feedback(ctx: Ctx[Needs]) -> AsyncIterator[Reply]:
    items = await ctx.services.records.open_feedback(limit=10)
    if not items:
        yield ctx.reply(ctx.say("no_feedback", T), kind="info")
        return
    for q in items:
        why = ctx.say("unanswered" if q.abstained else "rated_down", T)
        answer = q.answer if len(q.answer) <= ANSWER_PREVIEW else q.answer[:ANSWER_PREVIEW] + "…"
        when = q.created_at.strftime("%Y-%m-%d %H:%M")
        text = ctx.say("item", T, question=q.question, why=why, when=when, answer=answer)
        yield ctx.reply(
            text, kind="info", buttons=buttons([(ctx.say("write", T), press("ans", q.id))])
        )


async def start_answer(ctx: Ctx[Needs]) -> AsyncIterator[Reply]:
    record = await ctx.services.records.question(ctx.press.number())
    if record is None:
        yield ctx.reply(ctx.say("gone"), kind="toast")
        return
    await set_step(ctx, WritingCanonical(record.id))
    text = ctx.say("send_answer", T, question=record.question) + "\n" + ctx.say("answer_hint")
    yield ctx.reply(text, kind="info")


async def pending_text(ctx: Ctx[Needs]) -> AsyncIterator[Reply | Notice]:
    """The next message after "Write the answer": the canonical answer itself."""
    step = ctx.step
    await set_step(ctx, None)
    assert isinstance(step, WritingCanonical)  # the core routes only this step here
    record = await ctx.services.records.question(step.question_id)
    if record is None:
        yield ctx.reply(ctx.say("gone"), kind="error")
        return
    author = ctx.user.name or ctx.event.name
    _, notice = await save_canonical(ctx.services, record, ctx.event.text, ctx.user.id, author)
    yield ctx.reply(ctx.say("saved", T, question=record.question), kind="info")
    if notice is not None:
        yield notice


async def save_canonical(
    services: Needs, record: QuestionRecord, text: str, author_id: int, author_name: str
) -> tuple[Canonical, Notice | None]:
    """Store an instructor's answer to a logged question and serve it from now on; with the
    Notice that tells the asker (None when the author asked it themselves)."""
    answer, standalone = text.strip(), None
    if found := STANDALONE.match(answer):  # "Q: …" first: the question without personal details
        answer, standalone = found["a"].strip(), found["q"].strip()
    canonical = await services.records.add_canonical(
        question=record.question,
        lang=record.lang,
        answer=answer,
        author_id=author_id,
        author_name=author_name,
        source_question_id=record.id,
        standalone=standalone,
    )
    await asyncio.to_thread(services.canonical.add, canonical)
    if record.user_id == author_id:
        return canonical, None
    shown = answer if len(answer) <= NOTICE_CHARS else answer[:NOTICE_CHARS] + "…"
    lang = as_lang(record.lang) or "zh"
    told = say("answered_for_you", lang, T, question=record.question, answer=shown)
    return canonical, Notice(record.user_id, told, lang)  # the answer they were promised


async def cancel(ctx: Ctx[Needs]) -> AsyncIterator[Reply]:
    if ctx.step is None:
        yield ctx.reply(ctx.say("nothing_pending", T), kind="info")
        return
    await set_step(ctx, None)
    yield ctx.reply(ctx.say("cancelled"), kind="info")


FLOW = Flow(
    commands={"feedback": Route("instructor", open_feedback), "cancel": Route("trainee", cancel)},
    buttons={"ans": Route("instructor", start_answer)},
    steps={WritingCanonical: Route("instructor", pending_text)},
)
