"""Where trainees stand: /progress for a trainee; /report and /export for admins."""

from __future__ import annotations

import asyncio
import io
import tempfile
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

from bot.events import Document, Photo, Reply
from bot.flows import Ctx, Route
from knowledge.learning import charts, exports
from knowledge.learning.reports import cohort_report, format_report

START = 1.0  # mastery before any answer
T = {
    "no_model": ("测验还没有准备好。", "Quizzes are not set up yet."),
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
    "exported": ("{cohort}的测验数据（{fmt}）", "Quiz data of {cohort} ({fmt})"),
    "everyone": ("全体学员", "all trainees"),
    "formats": ("格式：/export [班级] [csv|xlsx|xapi]", "Format: /export [COHORT] [csv|xlsx|xapi]"),
    "bad_export": (
        "“{word}”既不是导出格式（csv、xlsx、xapi），也不是已有的班级。",
        "“{word}” is neither an export format (csv, xlsx, xapi) nor a known cohort.",
    ),
    "no_cohort": ("没有班级“{cohort}”。", "There is no cohort “{cohort}”."),
    "cohorts": ("已有的班级：{cohorts}", "Known cohorts: {cohorts}"),
    "no_cohorts": ("还没有任何班级。", "There are no cohorts yet."),
}
FORMATS = ("csv", "xlsx", "xapi")


def level_words(ctx: Ctx, score: float, target: int = 0) -> str:
    """Mastery as a level of the 1-5 scale in words, with the target if there is one:
    "第 2 级：理解 — 目标第 4 级"."""
    assert ctx.core.model is not None
    n = min(5, max(1, int(score)))  # never shown outside the scale
    level = next((lv for lv in ctx.core.model.levels if lv.n == n), None)
    words = ctx.say("level", T, n=n, name=level.name(ctx.lang) if level else "")
    return words + (ctx.say("target", T, target=target) if target else "")


async def progress(ctx: Ctx) -> AsyncIterator[Reply | Photo]:
    model = ctx.core.model
    if model is None:
        yield ctx.reply(ctx.say("no_model", T), kind="error")
        return
    scores = {c: m.score for c, m in (await ctx.core.records.mastery(ctx.user.id)).items()}
    targets = model.profile(ctx.user.category)
    mastery = {c: scores.get(c, START) for c in targets}
    touched = {c: s for c, s in scores.items() if c in targets}
    png = await asyncio.to_thread(charts.progress_png, model, ctx.user.category, touched, ctx.lang)
    gaps = sorted(((t - mastery[c], c) for c, t in targets.items() if t), reverse=True)
    if not gaps or gaps[0][0] <= 0:
        yield Photo(png, ctx.say("on_target", T), ctx.lang)
        return
    _, cid = gaps[0]
    comp = model.competencies[cid]
    level = min(max(int(mastery[cid]), 1) + 1, 5)
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


def doc_title(ctx: Ctx, doc: str) -> str:
    """The title of a course-pack document (in the reader's language when it has both), never
    its file name; "" when it isn't loaded."""
    stem = doc.rsplit(".", 1)[0]
    loaded = ctx.core.tutor.retriever.store.documents()
    same = [d for d in loaded if d.doc.rsplit(".", 1)[0].removesuffix("_zh") == stem]
    found = next((d for d in same if d.lang == ctx.lang), same[0] if same else None)
    parts = [p.strip() for p in (found.title if found else "").split(" / ") if p.strip()]
    cjk = [p for p in parts if any("\u4e00" <= ch <= "\u9fff" for ch in p)]
    other = [p for p in parts if p not in cjk]
    mine = (cjk if ctx.lang == "zh" else other) or parts
    return mine[0] if mine else ""


async def report(ctx: Ctx) -> AsyncIterator[Reply | Photo]:
    model = ctx.core.model
    if model is None:
        yield ctx.reply(ctx.say("no_model", T), kind="error")
        return
    cohort = ctx.event.args[0] if ctx.event.args else None
    known = await cohorts(ctx)
    if cohort is not None and cohort not in known:
        text = ctx.say("no_cohort", T, cohort=cohort) + "\n" + _known(ctx, known)
        yield ctx.reply(text, kind="error")
        return
    result = await cohort_report(ctx.core.records, model, cohort)
    yield ctx.reply(format_report(result, model, ctx.lang), kind="info")
    rows = result.heat_rows()
    if rows:
        png = await asyncio.to_thread(charts.heatmap_png, model, rows, ctx.lang)
        yield Photo(png, cohort or ctx.say("everyone", T), ctx.lang)


async def export(ctx: Ctx) -> AsyncIterator[Reply | Document]:
    args = list(ctx.event.args)
    fmt = args.pop().lower() if args and args[-1].lower() in FORMATS else "xlsx"
    if len(args) > 1:
        yield ctx.reply(ctx.say("formats", T), kind="error")
        return
    cohort = args[0] if args else None
    known = await cohorts(ctx)
    if cohort is not None and cohort not in known:  # "/export pdf": not an empty cohort "pdf"
        text = ctx.say("bad_export", T, word=cohort) + "\n" + _known(ctx, known)
        yield ctx.reply(text + "\n" + ctx.say("formats", T), kind="error")
        return
    name, data = await export_file(ctx.core.records, cohort, fmt)
    who = cohort or ctx.say("everyone", T)
    yield Document(name, data, ctx.say("exported", T, cohort=who, fmt=fmt), ctx.lang)


async def cohorts(ctx: Ctx) -> list[str]:
    """The cohorts people are enrolled in."""
    return sorted({u.cohort for u in await ctx.core.records.users() if u.cohort})


def _known(ctx: Ctx, known: list[str]) -> str:
    sep = "、" if ctx.lang == "zh" else ", "
    return ctx.say("cohorts", T, cohorts=sep.join(known)) if known else ctx.say("no_cohorts", T)


async def export_file(records, cohort: str | None, fmt: str) -> tuple[str, bytes]:
    """The export as one file: a zip of CSVs, a workbook, or xAPI statements (JSON)."""
    rows = await records.export_rows(cohort)
    stem = f"stdtutor-{cohort or 'all'}"
    with tempfile.TemporaryDirectory() as folder:
        if fmt == "csv":
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for path in exports.write_csv(rows, Path(folder)):
                    archive.write(path, path.name)
            return f"{stem}-csv.zip", buffer.getvalue()
        if fmt == "xapi":
            items = {q.id: q for q in await records.items(None)}
            path = Path(folder) / f"{stem}-xapi.json"
            exports.write_xapi(exports.xapi_statements(rows["attempts"], items), path)
            return path.name, path.read_bytes()
        path = Path(folder) / f"{stem}.xlsx"
        exports.write_xlsx(rows, path)
        return path.name, path.read_bytes()


COMMANDS = {
    "progress": Route("trainee", progress),
    "report": Route("admin", report),
    "export": Route("admin", export),
}
BUTTONS = {"prog": Route("trainee", progress)}
