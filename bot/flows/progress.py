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
    "gap": (
        "差距最大：{title}（掌握 {mastery:.1f}，目标 {target}）。下一步（第 {level} 级）：{next}",
        "Biggest gap: {title} (mastery {mastery:.1f}, target {target}). "
        "Next step (level {level}): {next}",
    ),
    "study": ("建议先读《{doc}》，再发送 /quiz。", "Read {doc} next, then send /quiz."),
    "on_target": (
        "各项能力都已达到目标，继续保持！/review 复习到期题目。",
        "You meet every target. Keep it up: /review what is due.",
    ),
    "exported": ("{cohort}的测验数据（{fmt}）", "Quiz data of {cohort} ({fmt})"),
    "everyone": ("全体学员", "all trainees"),
    "formats": ("格式：/export [班级] [csv|xlsx|xapi]", "Format: /export [COHORT] [csv|xlsx|xapi]"),
}


async def progress(ctx: Ctx) -> AsyncIterator[Reply | Photo]:
    model = ctx.core.model
    if model is None:
        yield ctx.reply(ctx.say("no_model", T), kind="error")
        return
    scores = {c: m.score for c, m in (await ctx.core.records.mastery(ctx.user.id)).items()}
    targets = model.profile(ctx.user.category)
    mastery = {c: scores.get(c, START) for c in targets}
    png = await asyncio.to_thread(charts.progress_png, model, ctx.user.category, mastery)
    gaps = sorted(((t - mastery[c], c) for c, t in targets.items() if t), reverse=True)
    if not gaps or gaps[0][0] <= 0:
        yield Photo(png, ctx.say("on_target", T), ctx.lang)
        return
    _, cid = gaps[0]
    comp = model.competencies[cid]
    level = min(int(mastery[cid]) + 1, 5)
    zh, en = comp.descriptors.get(level, ("", ""))
    caption = ctx.say(
        "gap", T, title=comp.title(ctx.lang), mastery=mastery[cid], target=targets[cid],
        level=level, next=zh if ctx.lang == "zh" else en,
    )  # fmt: skip
    if comp.source_doc:
        caption += "\n" + ctx.say("study", T, doc=comp.source_doc)
    yield Photo(png, caption, ctx.lang)


async def report(ctx: Ctx) -> AsyncIterator[Reply | Photo]:
    model = ctx.core.model
    if model is None:
        yield ctx.reply(ctx.say("no_model", T), kind="error")
        return
    cohort = ctx.event.args[0] if ctx.event.args else None
    result = await cohort_report(ctx.core.records, model, cohort)
    yield ctx.reply(format_report(result, model, ctx.lang), kind="info")
    rows = result.heat_rows()
    if rows:
        png = await asyncio.to_thread(charts.heatmap_png, model, rows)
        yield Photo(png, cohort or ctx.say("everyone", T), ctx.lang)


async def export(ctx: Ctx) -> AsyncIterator[Reply | Document]:
    args = [a for a in ctx.event.args]
    fmt = args.pop() if args and args[-1].lower() in ("csv", "xlsx", "xapi") else "xlsx"
    if len(args) > 1:
        yield ctx.reply(ctx.say("formats", T), kind="error")
        return
    cohort = args[0] if args else None
    name, data = await export_file(ctx.core.records, cohort, fmt.lower())
    who = cohort or ctx.say("everyone", T)
    yield Document(name, data, ctx.say("exported", T, cohort=who, fmt=fmt), ctx.lang)


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
BUTTONS: dict[str, Route] = {}
