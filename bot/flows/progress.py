"""Where a trainee stands: /progress, a chart of their mastery against their category's targets,
with the biggest gap and what to read next."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Protocol

from bot.events import Photo, Reply
from bot.flows import Ctx, Flow, Route
from knowledge.answering.models import DocumentInfo
from knowledge.answering.tutor import Tutor
from knowledge.learning.mastery import START
from knowledge.learning.model import CompetencyModel
from knowledge.records import Records
from knowledge.vocabulary import has_cjk


class Needs(Protocol):
    records: Records
    model: CompetencyModel
    tutor: Tutor


T = {
    "level": ("第 {n} 级：{name}", "Level {n}: {name}"),
    "target": (" — 目标第 {target} 级", " — target level {target}"),
    "gap": (
        "差距最大：{title}，{level}。\n下一步（第 {next_level} 级）：{next}",
        "Biggest gap: {title}, {level}.\nNext step (level {next_level}): {next}",
    ),
    "study": ("建议先读《{doc}》，再发送 /quiz。", "Read “{doc}” next, then send /quiz."),
    "untouched": (
        "还没答过的能力在图中是空心的；做一次 /quiz 就有了。",
        "Competencies you haven't answered on yet are hollow; a /quiz fills them in.",
    ),
    "on_target": (
        "各项能力都已达到目标，继续保持！/review 复习到期题目。",
        "You meet every target. Keep it up: /review what is due.",
    ),
}


def level_words(ctx: Ctx[Needs], score: float, target: int = 0) -> str:
    """Mastery as a level of the 1-5 scale in words, with the target if there is one:
    "第 2 级：理解 — 目标第 4 级"."""
    n = min(5, max(1, int(score)))  # never shown outside the scale
    level = next((lv for lv in ctx.services.model.levels if lv.n == n), None)
    words = ctx.say("level", T, n=n, name=level.name(ctx.lang) if level else "")
    return words + (ctx.say("target", T, target=target) if target else "")


async def progress(ctx: Ctx[Needs]) -> AsyncIterator[Reply | Photo]:
    model = ctx.services.model
    scores = {c: m.score for c, m in (await ctx.services.records.mastery(ctx.user.id)).items()}
    targets = model.profile(ctx.user.category)
    mastery = {c: scores.get(c, START) for c in targets}
    touched = {c: s for c, s in scores.items() if c in targets}
    from knowledge.learning import charts  # matplotlib: loaded when a chart is drawn

    png = await asyncio.to_thread(charts.progress_png, model, ctx.user.category, touched, ctx.lang)
    cid = biggest_gap(targets, mastery)
    if cid is None:
        yield Photo(png, ctx.say("on_target", T), ctx.lang)
        return
    comp = model.competencies[cid]
    level = next_level(mastery[cid])
    zh, en = comp.descriptors.get(level, ("", ""))
    caption = ctx.say(
        "gap", T, title=comp.title(ctx.lang), level=level_words(ctx, mastery[cid], targets[cid]),
        next_level=level, next=zh if ctx.lang == "zh" else en,
    )  # fmt: skip
    if comp.source_doc:
        title = await asyncio.to_thread(doc_title, ctx, comp.source_doc)
        caption += "\n" + ctx.say("study", T, doc=title or comp.title(ctx.lang))
    if len(touched) < len(targets):
        caption += "\n" + ctx.say("untouched", T)
    yield Photo(png, caption, ctx.lang)


def biggest_gap(targets: dict[str, int], mastery: dict[str, float]) -> str | None:
    """The targeted competency whose mastery lags its target most; None when none lags."""
    gaps = sorted(((t - mastery[c], c) for c, t in targets.items() if t), reverse=True)
    return gaps[0][1] if gaps and gaps[0][0] > 0 else None


def next_level(score: float) -> int:
    """The level to work towards next: the one above mastery's, within the 1-5 scale."""
    return min(max(int(score), 1) + 1, 5)


def doc_title(ctx: Ctx[Needs], doc: str) -> str:
    return document_title(ctx.services.tutor.retriever.store.documents(), doc, ctx.lang)


def document_title(loaded: list[DocumentInfo], doc: str, lang: str) -> str:
    """The title of a course-pack document (in the reader's language when it has both), never
    its file name; "" when it isn't loaded."""
    stem = doc.rsplit(".", 1)[0]
    same = [d for d in loaded if d.doc.rsplit(".", 1)[0].removesuffix("_zh") == stem]
    found = next((d for d in same if d.lang == lang), same[0] if same else None)
    parts = [p.strip() for p in (found.title if found else "").split(" / ") if p.strip()]
    cjk = [p for p in parts if has_cjk(p)]
    other = [p for p in parts if p not in cjk]
    mine = (cjk if lang == "zh" else other) or parts
    return mine[0] if mine else ""


FLOW = Flow(
    commands={"progress": Route("trainee", progress)},
    buttons={"prog": Route("trainee", progress)},
)
