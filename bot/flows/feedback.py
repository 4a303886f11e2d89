"""Questions that went badly, and the canonical answers instructors write for them."""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Protocol

from bot.conversation import WritingCanonical, press
from bot.events import Notice, Reply
from bot.flows import Ctx, Flow, Route, buttons, local_time, set_step
from bot.texts import say
from knowledge.answering.canonical import CanonicalIndex
from knowledge.records import Canonical, QuestionRecord, Records
from knowledge.vocabulary import as_lang, shorten

if TYPE_CHECKING:
    from bot.services import Policy


class Needs(Protocol):
    records: Records
    canonical: CanonicalIndex
    policy: Policy  # its time zone: when each question was asked


T = {
    "no_feedback": (
        "没有待处理的问题：没有 👎，也没有答不上的问题。",
        "Nothing waiting: no 👎 and no unanswered questions.",
    ),
    "queue": (
        "待处理的问题：{n} 个（第 {page}/{pages} 页）",
        "Questions waiting: {n} (page {page} of {pages})",
    ),
    "entry": ("{i}. ❓ {question}\n{why} · {when}", "{i}. ❓ {question}\n{why} · {when}"),
    "given": ("给出的回答：{answer}", "Answer given: {answer}"),
    "rated_down": ("学员点了 👎", "a trainee rated it 👎"),
    "unanswered": ("资料中没有答案", "not answered from the materials"),
    "write": ("✍️ {i}. 写标准答案", "✍️ {i}. Write the answer"),
    "dismiss": ("🗑 {i}. 忽略", "🗑 {i}. Dismiss"),
    "prev": ("‹ 上一页", "‹ Prev"),
    "next": ("下一页 ›", "Next ›"),
    "dismissed": ("已移出队列：“{question}”", "Taken off the queue: “{question}”"),
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
ANSWER_PREVIEW = QUESTION_PREVIEW = 160  # five to a page: one message readable on a phone
PER_PAGE = 5
QUEUE = 50  # the newest this many are paged through (the web console shows as many)
NOTICE_CHARS = 3000  # one message; asking again shows the whole answer
STANDALONE = re.compile(r"\A\s*(?:Q|问)\s*[:：]\s*(?P<q>[^\n]+)\n+(?P<a>.+)\Z", re.I | re.S)


async def open_feedback(ctx: Ctx[Needs]) -> AsyncIterator[Reply]:
    """The queue as one message, a page of it at a time (Prev/Next edit that message), each
    question with "write the answer" and "dismiss" beside it."""
    yield await _page(ctx, 0, edit=False)


async def turn_page(ctx: Ctx[Needs]) -> AsyncIterator[Reply]:
    """fbp:PAGE — another page of the queue, in the same message."""
    yield await _page(ctx, max(0, ctx.press.number()), edit=True)


async def dismiss(ctx: Ctx[Needs]) -> AsyncIterator[Reply]:
    """fbx:QUESTION:PAGE — take a question off the queue (as the web console's dismiss does);
    the same page is shown again without it."""
    records = ctx.services.records
    record = await records.question(ctx.press.number())
    if record is None or not await records.dismiss_feedback(record.id, ctx.user.id):
        yield ctx.reply(ctx.say("gone"), kind="toast")
        return
    head = ctx.say("dismissed", T, question=shorten(record.question, ANSWER_PREVIEW))
    yield await _page(ctx, max(0, ctx.press.number(1)), edit=True, head=head)


async def _page(ctx: Ctx[Needs], page: int, *, edit: bool, head: str = "") -> Reply:
    items = await ctx.services.records.open_feedback(limit=QUEUE + 1)
    if not items:
        text = "\n\n".join(p for p in (head, ctx.say("no_feedback", T)) if p)
        return ctx.reply(text, kind="info", edit=edit)
    more, items = len(items) > QUEUE, items[:QUEUE]
    pages = math.ceil(len(items) / PER_PAGE)
    page = min(page, pages - 1)  # the last page may have emptied
    first = page * PER_PAGE
    n = f"{len(items)}+" if more else str(len(items))
    parts = [head] if head else []
    parts.append(ctx.say("queue", T, n=n, page=page + 1, pages=pages))
    rows: list[list[tuple[str, str]]] = []
    for i, q in enumerate(items[first : first + PER_PAGE], first + 1):
        why = ctx.say("unanswered" if q.abstained else "rated_down", T)
        asked, when = shorten(q.question, QUESTION_PREVIEW), local_time(ctx, q.created_at)
        entry = ctx.say("entry", T, i=i, question=asked, why=why, when=when)
        if not q.abstained:  # a refusal's text says nothing the reason doesn't
            entry += "\n" + ctx.say("given", T, answer=shorten(q.answer, ANSWER_PREVIEW))
        parts.append(entry)
        rows.append(
            [
                (ctx.say("write", T, i=i), press("ans", q.id)),
                (ctx.say("dismiss", T, i=i), press("fbx", q.id, page)),
            ]
        )
    turns = []
    if page > 0:
        turns.append((ctx.say("prev", T), press("fbp", page - 1)))
    if page < pages - 1:
        turns.append((ctx.say("next", T), press("fbp", page + 1)))
    if turns:
        rows.append(turns)
    return ctx.reply("\n\n".join(parts), kind="info", buttons=buttons(*rows), edit=edit)


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
    buttons={
        "ans": Route("instructor", start_answer),
        "fbp": Route("instructor", turn_page),
        "fbx": Route("instructor", dismiss),
    },
    steps={WritingCanonical: Route("instructor", pending_text)},
)
