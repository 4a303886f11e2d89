"""Questions that went badly, and the canonical answers instructors write for them."""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol
from weakref import WeakKeyDictionary

from bot.conversation import WritingCanonical, press
from bot.events import Notice, Reply
from bot.flows import Ctx, Flow, Route, buttons, local_time, set_step
from bot.texts import say
from knowledge.answering.ask import Question
from knowledge.answering.canonical import CanonicalIndex, group_paraphrases
from knowledge.answering.condense import Condenser, is_follow_up, is_small_talk
from knowledge.answering.tutor import Tutor
from knowledge.records import Canonical, QuestionRecord, Records
from knowledge.vocabulary import as_lang, detect_lang, shorten

if TYPE_CHECKING:
    from bot.services import Policy


class Needs(Protocol):
    records: Records
    canonical: CanonicalIndex
    tutor: Tutor  # its condenser: a follow-up's standalone question
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
    "times": ("×{n}", "×{n}"),
    "variants": ("其他问法：{variants}", "Also asked as: {variants}"),
    "variant_sep": ("；", "; "),
    "follows": ("接着问：“{question}”", "following “{question}”"),
    "send_follow_up": (
        "“{question}”是接着“{follows}”问的；答案会存给完整的问题“{standalone}”。"
        "也可以第一行写“问：……”给出完整的问题。",
        "“{question}” followed “{follows}”: the answer is stored for the whole question "
        "“{standalone}”. A first line “Q: …” gives the whole question in your words.",
    ),
    "given": ("给出的回答：{answer}", "Answer given: {answer}"),
    "rated_down": ("学员点了 👎", "a trainee rated it 👎"),
    "unanswered": ("资料中没有答案", "not answered from the materials"),
    "write": ("✍️ {i}. 写标准答案", "✍️ {i}. Write the answer"),
    "dismiss": ("🗑 {i}. 忽略", "🗑 {i}. Dismiss"),
    "prev": ("‹ 上一页", "‹ Prev"),
    "next": ("下一页 ›", "Next ›"),
    "dismissed": ("已移出队列：“{question}”", "Taken off the queue: “{question}”"),
    "dismissed_n": (
        "已移出队列：“{question}”及其他 {others} 种问法",
        "Taken off the queue: “{question}” and {others} other wordings",
    ),
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
VARIANT_PREVIEW, VARIANTS_SHOWN = 60, 3
EARLIER = 5  # a follow-up's context: the first of the asker's last few that isn't small talk
STANDALONE = re.compile(r"\A\s*(?:Q|问)\s*[:：]\s*(?P<q>[^\n]+)\n+(?P<a>.+)\Z", re.I | re.S)


@dataclass(frozen=True)
class Entry:
    """One thing the queue asks: the questions that ask it (paraphrases of the newest one,
    by the rule canonical answers are matched by), newest first."""

    items: tuple[QuestionRecord, ...]
    follows: str = ""  # the question the newest one followed, when it is a follow-up

    @property
    def head(self) -> QuestionRecord:
        return self.items[0]

    @property
    def variants(self) -> tuple[QuestionRecord, ...]:
        return self.items[1:]


async def queue(services: Needs, limit: int) -> tuple[list[Entry], bool]:
    """The open feedback, newest first, as entries of paraphrases (of the newest `limit`
    questions, greetings and thanks left out); and whether more questions wait."""
    records = services.records
    items = await records.open_feedback(limit=limit + 1)
    more, items = len(items) > limit, items[:limit]
    items = [q for q in items if not is_small_talk(q.question)]  # a 👎 on "你好"'s reply
    follows = {q.id: await followed(records, q) for q in items}
    keys = [f"{follows[q.id]} {q.question}".strip() for q in items]  # a follow-up in context
    groups = await asyncio.to_thread(group_paraphrases, services.canonical.embedder, keys)
    entries = [Entry(tuple(items[i] for i in g), follows[items[g[0]].id]) for g in groups]
    return entries, more


async def entry_of(services: Needs, question_id: int) -> Entry | None:
    """The queue's entry holding this question; just the question if it left the queue (or
    is past its newest questions); None if there is no such question."""
    entries, _ = await queue(services, QUEUE)
    for entry in entries:
        if any(q.id == question_id for q in entry.items):
            return entry
    record = await services.records.question(question_id)
    if record is None:
        return None
    return Entry((record,), await followed(services.records, record))


async def followed(records: Records, record: QuestionRecord) -> str:
    """The question a follow-up ("那IEC呢？") followed, "" when it stands alone: the asker's
    last question before it that isn't small talk, the context the tutor read it with."""
    if not is_follow_up(record.question):
        return ""
    for earlier in await records.asked_before(record.id, EARLIER):
        if not is_small_talk(earlier):
            return earlier
    return ""


async def standalone_question(services: Needs, entry: Entry) -> str:
    """What the entry asks on its own: a follow-up condensed with the question it followed
    (by the tutor's condenser), any other question as asked."""
    head = entry.head
    if not entry.follows:
        return head.question
    condenser = services.tutor.condenser
    kept = _CONDENSED.setdefault(condenser, {})
    key = (entry.follows, head.question, head.lang)
    if (known := kept.get(key)) is not None:  # as shown when the answer was asked for
        return known
    lang = as_lang(head.lang) or detect_lang(head.question)
    condensed = (await condenser.condense(Question(head.question, lang), [entry.follows])).query
    if len(kept) >= CONDENSED_KEPT:
        kept.pop(next(iter(kept)))
    kept[key] = condensed
    return condensed


CONDENSED_KEPT = 500  # a model's rewrite may differ each time: the one shown is the one stored
_CONDENSED: WeakKeyDictionary[Condenser, dict[tuple[str, str, str], str]] = WeakKeyDictionary()


async def open_feedback(ctx: Ctx[Needs]) -> AsyncIterator[Reply]:
    """The queue as one message, a page of it at a time (Prev/Next edit that message), each
    question with "write the answer" and "dismiss" beside it."""
    yield await _page(ctx, 0, edit=False)


async def turn_page(ctx: Ctx[Needs]) -> AsyncIterator[Reply]:
    """fbp:PAGE — another page of the queue, in the same message."""
    yield await _page(ctx, max(0, ctx.press.number()), edit=True)


async def dismiss(ctx: Ctx[Needs]) -> AsyncIterator[Reply]:
    """fbx:QUESTION:PAGE — take a question and its paraphrases off the queue (as the web
    console's dismiss does); the same page is shown again without them."""
    entry = await entry_of(ctx.services, ctx.press.number())
    if entry is None or not await dismiss_entry(ctx.services, entry, ctx.user.id):
        yield ctx.reply(ctx.say("gone"), kind="toast")
        return
    head = dismissed_text(ctx, entry)
    yield await _page(ctx, max(0, ctx.press.number(1)), edit=True, head=head)


async def dismiss_entry(services: Needs, entry: Entry, by: int) -> bool:
    """Every question of the entry off the queue; False if the newest no longer exists."""
    records = services.records
    if not await records.dismiss_feedback(entry.head.id, by):
        return False
    for variant in entry.variants:
        await records.dismiss_feedback(variant.id, by)
    return True


def dismissed_text(ctx: Ctx[Needs], entry: Entry) -> str:
    question = shorten(entry.head.question, ANSWER_PREVIEW)
    if not entry.variants:
        return ctx.say("dismissed", T, question=question)
    return ctx.say("dismissed_n", T, question=question, others=len(entry.variants))


async def _page(ctx: Ctx[Needs], page: int, *, edit: bool, head: str = "") -> Reply:
    items, more = await queue(ctx.services, QUEUE)
    if not items:
        text = "\n\n".join(p for p in (head, ctx.say("no_feedback", T)) if p)
        return ctx.reply(text, kind="info", edit=edit)
    pages = math.ceil(len(items) / PER_PAGE)
    page = min(page, pages - 1)  # the last page may have emptied
    first = page * PER_PAGE
    n = f"{len(items)}+" if more else str(len(items))
    parts = [head] if head else []
    parts.append(ctx.say("queue", T, n=n, page=page + 1, pages=pages))
    rows: list[list[tuple[str, str]]] = []
    for i, e in enumerate(items[first : first + PER_PAGE], first + 1):
        q = e.head
        why = ctx.say("unanswered" if q.abstained else "rated_down", T)
        asked, when = shorten(q.question, QUESTION_PREVIEW), local_time(ctx, q.created_at)
        if e.variants:
            asked += " " + ctx.say("times", T, n=len(e.items))
        first_line, rest = ctx.say("entry", T, i=i, question=asked, why=why, when=when).split(
            "\n", 1
        )
        lines = [first_line]
        if e.follows:
            lines.append(ctx.say("follows", T, question=shorten(e.follows, QUESTION_PREVIEW)))
        if e.variants:
            shown = [f"“{shorten(v.question, VARIANT_PREVIEW)}”" for v in e.variants]
            variants = ctx.say("variant_sep", T).join(shown[:VARIANTS_SHOWN])
            more_shown = " …" if len(shown) > VARIANTS_SHOWN else ""
            lines.append(ctx.say("variants", T, variants=variants + more_shown))
        entry = "\n".join([*lines, rest])
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
    entry = await entry_of(ctx.services, ctx.press.number())
    if entry is None:
        yield ctx.reply(ctx.say("gone"), kind="toast")
        return
    record = entry.head
    await set_step(ctx, WritingCanonical(record.id))
    text = ctx.say("send_answer", T, question=record.question)
    if entry.follows:
        standalone = await standalone_question(ctx.services, entry)
        text += "\n" + ctx.say(
            "send_follow_up", T, question=record.question, follows=entry.follows,
            standalone=standalone,
        )  # fmt: skip
    yield ctx.reply(text + "\n" + ctx.say("answer_hint"), kind="info")


async def pending_text(ctx: Ctx[Needs]) -> AsyncIterator[Reply | Notice]:
    """The next message after "Write the answer": the canonical answer itself."""
    step = ctx.step
    await set_step(ctx, None)
    assert isinstance(step, WritingCanonical)  # the core routes only this step here
    entry = await entry_of(ctx.services, step.question_id)
    if entry is None:
        yield ctx.reply(ctx.say("gone"), kind="error")
        return
    author = ctx.user.name or ctx.event.name
    canonical, notices = await answer_entry(
        ctx.services, entry, ctx.event.text, ctx.user.id, author
    )
    yield ctx.reply(ctx.say("saved", T, question=canonical.question), kind="info")
    for notice in notices:
        yield notice


async def answer_entry(
    services: Needs, entry: Entry, text: str, author_id: int, author_name: str
) -> tuple[Canonical, list[Notice]]:
    """One canonical answer for the entry, stored for what it asks on its own (a follow-up
    condensed with the question it followed); every question of the entry leaves the queue and
    each asker is told, in their own words."""
    question = await standalone_question(services, entry)
    canonical, notice = await save_canonical(
        services, entry.head, text, author_id, author_name, question=question
    )
    notices = [notice] if notice is not None else []
    told = {entry.head.user_id, author_id}
    for variant in entry.variants:
        await services.records.dismiss_feedback(variant.id, author_id)  # answered with the head
        if variant.user_id not in told:
            told.add(variant.user_id)
            notices.append(_told(variant, canonical.answer))
    return canonical, notices


async def save_canonical(
    services: Needs,
    record: QuestionRecord,
    text: str,
    author_id: int,
    author_name: str,
    question: str | None = None,
) -> tuple[Canonical, Notice | None]:
    """Store an instructor's answer to a logged question and serve it from now on; with the
    Notice that tells the asker (None when the author asked it themselves). `question` is what
    it is stored for when that isn't the asker's words (a follow-up's standalone question)."""
    answer, standalone = text.strip(), None
    if found := STANDALONE.match(answer):  # "Q: …" first: the question without personal details
        answer, standalone = found["a"].strip(), found["q"].strip()
    if question is not None and question != record.question and standalone:
        question = standalone  # a follow-up restated by the instructor: their words serve it
    canonical = await services.records.add_canonical(
        question=question or record.question,
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
    return canonical, _told(record, answer)


def _told(record: QuestionRecord, answer: str) -> Notice:
    """The answer the asker was promised, under their own question."""
    shown = answer if len(answer) <= NOTICE_CHARS else answer[:NOTICE_CHARS] + "…"
    lang = as_lang(record.lang) or "zh"
    told = say("answered_for_you", lang, T, question=record.question, answer=shown)
    return Notice(record.user_id, told, lang)


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
