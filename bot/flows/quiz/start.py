"""Starting a quiz (/quiz, /review, "Quiz me on this"), each next question, and the summary."""

from __future__ import annotations

import logging
import string
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.exc import DBAPIError

from bot.conversation import AwaitingQuizAnswer, press
from bot.events import Button, QuizPrompt, Reply
from bot.flows import Ctx, account, buttons, local_time, progress, set_step
from bot.flows.account import category_question
from bot.flows.progress import level_words
from bot.texts import category_name
from knowledge.learning.mastery import START
from knowledge.learning.questions import POLL_QUESTION_CHARS, Question
from knowledge.learning.select import next_question
from knowledge.records import QuizSession

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from bot.services import Policy


class Needs(account.Needs, progress.Needs, Protocol):
    """Quizzes read the bank, mastery and reviews, and quote a question's source clause;
    when a review is due is told on the alliance's clock (the policy's time zone)."""

    policy: Policy


SUBMIT = "qd"  # the button that submits a several-answers question (channels may press it)
REVIEW = "#review"  # the focus of a session that runs due reviews only
DEFAULT_SIZE, MAX_SIZE = 5, 20
T = {
    "private_only": ("测验请在与我的私聊中进行。", "Quizzes run in a private chat with me."),
    "category_first": (
        "先选择你的人才类别，再发送 /quiz。",
        "Choose your talent category first, then send /quiz again.",
    ),
    "nothing_due": (
        "现在没有需要复习的题目。发送 /quiz 做新题。",
        "Nothing is due for review. Send /quiz for new questions.",
    ),
    "nothing_due_yet": ("现在还没有需要复习的题目。", "Nothing is due for review yet."),
    "missed_due_at": (
        "上一轮测验答错 {n} 题，从 {when}（{zone}）起可以复习。",
        "Missed in your last quiz: {n}, due for review from {when} ({zone}).",
    ),
    "next_due_at": (
        "下一道复习题 {when}（{zone}）到期。",
        "The next review is due at {when} ({zone}).",
    ),
    "missed_back_at": (
        "答错的 {n} 题从 {when}（{zone}）起可以用 /review 复习。",
        "The {n} you missed come back for /review from {when} ({zone}).",
    ),
    "review_then": (
        "到时发送 /review 复习；现在可以发送 /quiz 做新题。",
        "Send /review then; /quiz gives you new questions now.",
    ),
    "not_covered": (
        "题库里还没有这些资料的题目。",
        "The question bank has no questions on these sources yet.",
    ),
    "no_questions": (
        "你的人才类别暂时没有可做的题目。",
        "There are no questions for your talent category right now.",
    ),
    "type_answer": ("请直接输入答案。", "Type your answer."),
    "type_number": ("请直接输入数字。", "Type the number."),
    "type_letters": (
        "请按顺序为每一项输入对应的字母，例如 {example}。",
        "Type the letter that goes with each item, in order, e.g. {example}.",
    ),
    "pick_all": ("（可多选，选好后点“提交”）", "(choose all that apply, then tap Submit)"),
    "submit": ("提交", "Submit"),
    "selected": ("已选：{picked}", "Selected: {picked}"),
    "right": ("✅ 回答正确！", "✅ Right!"),
    "wrong": ("❌ 不对。正确答案：{answer}", "❌ Not quite. The answer: {answer}"),
    "source": ("出处", "Source"),
    "answered": ("这道题已经答过了。", "That question was already answered."),
    "unknown_poll": (
        "这个测验已经结束了。发送 /quiz 开始新的测验。",
        "That quiz is over. Send /quiz to start a new one.",
    ),
    "summary": ("测验结束：{score}/{total} 题正确。", "Quiz over: {score} of {total} right."),
    "touched": ("{title}：{level}", "{title}: {level}"),
    "scale": (
        "级别从 1 到 5：{levels}。目标是{category}人才要求的级别；每答一题，级别都会更新。",
        "Levels go from 1 to 5: {levels}. The target is the level {category} talent needs; "
        "every answer updates your level.",
    ),
    "next_gap": (
        "下一步：“{title}”离目标最远，再来一轮就会多练它；或看看全部进度。",
        "Next: “{title}” is furthest from its target; another round practises it, or see "
        "your progress overall.",
    ),
    "next_done": (
        "这几项都已达到目标：再来一轮，或看看全部进度。",
        "These all meet their targets: take another round, or see your progress overall.",
    ),
    "see_progress": ("📈 我的进度", "📈 My progress"),
    "again": ("🔁 再来一轮", "🔁 Another round"),
    "closed": (
        "上一轮测验（已答 {answered}/{size} 题）已结束，它的题目不再计分。",
        "Your previous quiz ({answered} of {size} answered) is closed; its questions no longer "
        "count.",
    ),
    "stale": (
        "这道题属于已结束的一轮测验，这次作答不计分。",
        "That question belongs to a quiz that was closed; this answer doesn't count.",
    ),
}


async def start_quiz(ctx: Ctx[Needs]) -> AsyncIterator[Reply | QuizPrompt]:
    args = ctx.event.args
    size = min(int(args[0]), MAX_SIZE) if args and args[0].isdigit() and int(args[0]) else 0
    async for item in _begin(ctx, size or DEFAULT_SIZE, None):
        yield item


async def start_review(ctx: Ctx[Needs]) -> AsyncIterator[Reply | QuizPrompt]:
    """Due reviews, those missed in the last session first; when none is due, when the next
    ones are (the last session's misses named), on the alliance's clock."""
    records, now = ctx.services.records, datetime.now(UTC)
    due = await records.due_items(ctx.user.id, now)
    if due:
        async for item in _begin(ctx, min(len(due), 10), [REVIEW]):
            yield item
        return
    first = await records.next_due(ctx.user.id, now)
    if first is None:
        yield ctx.reply(ctx.say("nothing_due", T), kind="info")
        return
    missed = await _missed(ctx, await records.last_session(ctx.user.id))
    missed_at = await records.next_due(ctx.user.id, now, missed) if missed else None
    zone = ctx.services.policy.timezone
    lines = [ctx.say("nothing_due_yet", T)]
    if missed_at is not None:
        when = local_time(ctx, missed_at)
        lines.append(ctx.say("missed_due_at", T, n=len(missed), when=when, zone=zone))
    if missed_at is None or first < missed_at:
        lines.append(ctx.say("next_due_at", T, when=local_time(ctx, first), zone=zone))
    lines.append(ctx.say("review_then", T))
    yield ctx.reply("\n".join(lines), kind="info")


async def _missed(ctx: Ctx[Needs], session: QuizSession | None) -> list[str]:
    """The items answered wrongly in `session`, in the order they were asked."""
    if session is None:
        return []
    wrong = {
        a.item_id
        for a in await ctx.services.records.attempts_of(ctx.user.id)
        if a.session_id == session.id and not a.correct
    }
    return [i for i in session.asked if i in wrong]


async def quiz_on_answer(ctx: Ctx[Needs]) -> AsyncIterator[Reply | QuizPrompt]:
    """ "Quiz me on this": the competencies of the material an answer cited."""
    model, record = ctx.services.model, await ctx.services.records.question(ctx.press.number())
    docs = {c["doc"] for c in record.citations} if record else set()
    focus = [c.id for c in model.leaves() if _covers(c.source_doc, docs)]
    if not focus:
        yield ctx.reply(ctx.say("not_covered", T), kind="toast")
        return
    async for item in _begin(ctx, DEFAULT_SIZE, focus):
        yield item


def _covers(source_doc: str | None, docs: set[str]) -> bool:
    """Whether a competency's source is among the cited files (alliance.md ~ alliance_zh.md)."""
    stem = (source_doc or "").rsplit(".", 1)[0]
    return bool(stem) and any(d.rsplit(".", 1)[0].split("_zh")[0] == stem for d in docs)


async def _begin(
    ctx: Ctx[Needs], size: int, focus: list[str] | None
) -> AsyncIterator[Reply | QuizPrompt]:
    if ctx.event.chat_id not in (None, ctx.user.id):
        yield ctx.reply(ctx.say("private_only", T), kind="error")
        return
    if not ctx.user.category and ctx.user.role == "trainee":
        yield ctx.reply(ctx.say("category_first", T), kind="info")
        yield category_question(ctx)
        return
    records = ctx.services.records
    old = await records.open_session(ctx.user.id)
    if isinstance(ctx.step, AwaitingQuizAnswer):
        await set_step(ctx, None)  # a typed answer it waited for
    session = await records.start_session(ctx.user.id, size, focus)  # closes `old`
    following = await settled(lambda: next_step(ctx, session))
    if old is not None and old.asked:
        answered = len(old.asked) - (old.current is not None)
        yield ctx.reply(ctx.say("closed", T, answered=answered, size=old.size), kind="info")
    for item in following:
        yield item


async def settled(
    step: Callable[[], AsyncIterator[Reply | QuizPrompt]],
) -> list[Reply | QuizPrompt]:
    """What `step` shows, tried once more if the records fail (a connection the server dropped
    is replaced on the next try): run before anything of a reply is shown, so a person gets
    one reply, never part of one and then an apology."""
    try:
        return [item async for item in step()]
    except DBAPIError:
        log.warning("a quiz step failed on the records; trying once more", exc_info=True)
        return [item async for item in step()]


async def next_step(ctx: Ctx[Needs], session: QuizSession) -> AsyncIterator[Reply | QuizPrompt]:
    """The next question of the session, or its summary when it is done."""
    records, model, now = ctx.services.records, ctx.services.model, datetime.now(UTC)
    bank = await records.items("published")
    due = await records.due_items(ctx.user.id, now)
    last = await records.last_session(ctx.user.id, before=session.id)
    focus = set(session.focus) if session.focus else None
    if focus and REVIEW in focus:
        bank, focus = [q for q in bank if q.id in set(due)], None
        missed = [i for i in await _missed(ctx, last) if i in set(due)]
        due = missed + [i for i in due if i not in missed]  # what was just missed comes first
    mastery = {c: m.score for c, m in (await records.mastery(ctx.user.id)).items()}
    question = None
    if len(session.asked) < session.size:
        targets = model.profile(ctx.user.category)
        question = next_question(
            bank, targets, mastery, asked=set(session.asked), due=due, lang=ctx.lang,
            focus=focus, previous=set(last.asked) if last else set(),
        )  # fmt: skip
    if question is None:
        if not session.asked:
            yield ctx.reply(ctx.say("no_questions", T), kind="info")
            await records.finish_session(session.id)
            return
        yield await summary(ctx, session)
        return
    session = await records.set_current(session.id, question.id, now)
    if question.typed:
        await set_step(ctx, AwaitingQuizAnswer(session.id))
    yield _prompt(ctx, session, question)


def _prompt(ctx: Ctx[Needs], session: QuizSession, q: Question) -> QuizPrompt:
    model = ctx.services.model
    titles = " · ".join(model.competencies[c].title(q.lang) for c in q.competencies)
    text = f"{len(session.asked)}/{session.size} · {titles}\n\n{q.stem}"
    sid, letters = session.id, string.ascii_uppercase
    listing = "\n".join(f"{letters[i]}. {o}" for i, o in enumerate(q.options))
    rows: tuple[tuple[Button, ...], ...]
    if q.typed:
        body, rows = _typed_body(ctx, text, q), ()
    elif q.kind == "multiple":
        body = f"{text}\n\n{listing}\n{ctx.say('pick_all', T)}"
        toggles = [(letters[i], press("qt", sid, q.id, i)) for i in range(len(q.options))]
        rows = buttons(toggles, [(ctx.say("submit", T), press(SUBMIT, sid, q.id))])
    else:
        truefalse = q.kind == "truefalse"
        body = text if truefalse else f"{text}\n\n{listing}"
        labels = list(q.options) if truefalse else list(letters[: len(q.options)])
        rows = buttons([(label, press("qa", sid, q.id, i)) for i, label in enumerate(labels)])
    poll = q.fits_poll and len(text) <= POLL_QUESTION_CHARS
    return QuizPrompt(
        sid, q.id, text, body, q.options, rows, poll, q.answer, q.explanation, lang=ctx.lang
    )


def _typed_body(ctx: Ctx[Needs], text: str, q: Question) -> str:
    """A typed question's text and hint; a matching one lists its items (1, 2, ...) and the
    answers to match them with (A, B, ...): one letter per item is typed, in order."""
    if q.kind == "numerical":
        return f"{text}\n\n{ctx.say('type_number', T)}"
    if q.kind != "matching":
        return f"{text}\n\n{ctx.say('type_answer', T)}"
    items = "\n".join(f"{n}. {p}" for n, p in enumerate(q.accepted, start=1))
    letters = "\n".join(f"{string.ascii_uppercase[i]}. {o}" for i, o in enumerate(q.options))
    example = string.ascii_uppercase[: len(q.accepted)][::-1]
    return f"{text}\n\n{items}\n\n{letters}\n\n{ctx.say('type_letters', T, example=example)}"


async def summary(ctx: Ctx[Needs], session: QuizSession) -> Reply:
    """The score, each competency touched as a level in words against its target, what the
    levels mean, and what to do next (buttons for progress and another round)."""
    records, model = ctx.services.records, ctx.services.model
    await records.finish_session(session.id)
    attempts = [a for a in await records.attempts_of(ctx.user.id) if a.session_id == session.id]
    score = sum(a.correct for a in attempts)
    mastery = await records.mastery(ctx.user.id)
    bank = {q.id: q for q in await records.items(None)}  # one query, not one per question
    asked = [bank[i] for i in session.asked if i in bank]
    touched = [c for c in dict.fromkeys(c for q in asked for c in q.competencies)]
    lines = [ctx.say("summary", T, score=score, total=len(attempts))]
    gaps = []
    for cid in touched:
        m = mastery.get(cid)
        level = m.score if m else START
        title = model.competencies[cid].title(ctx.lang) if cid in model.competencies else cid
        target = model.target(ctx.user.category, cid)
        lines.append(
            "• " + ctx.say("touched", T, title=title, level=level_words(ctx, level, target))
        )
        if target and level < target:
            gaps.append((target - level, title))
    names = " · ".join(f"{lv.n} {lv.name(ctx.lang)}" for lv in model.levels)
    category = category_name(ctx.user.category, ctx.lang) or "—"
    lines += ["", ctx.say("scale", T, levels=names, category=category)]
    if gaps:
        lines.append(ctx.say("next_gap", T, title=max(gaps)[1]))
    else:
        lines.append(ctx.say("next_done", T))
    missed = [a.item_id for a in attempts if not a.correct]
    back = await records.next_due(ctx.user.id, datetime.now(UTC), missed) if missed else None
    if back is not None:  # when the misses are scheduled to be asked again
        zone = ctx.services.policy.timezone
        when = local_time(ctx, back)
        lines.append(ctx.say("missed_back_at", T, n=len(missed), when=when, zone=zone))
    rows = buttons(
        [(ctx.say("see_progress", T), press("prog")), (ctx.say("again", T), press("quiz"))]
    )
    return ctx.reply("\n".join(lines), kind="info", buttons=rows)
