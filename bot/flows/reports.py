"""A cohort's results for admins: /report (competencies, items, a heat map) and /export
(CSV, XLSX or xAPI)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Protocol

from bot.events import Document, Photo, Reply
from bot.flows import Ctx, Flow, Route
from knowledge.learning.exports import export_file
from knowledge.learning.model import CompetencyModel
from knowledge.learning.reports import cohort_report, format_report
from knowledge.records import Records


class Needs(Protocol):
    records: Records
    model: CompetencyModel


T = {
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


async def report(ctx: Ctx[Needs]) -> AsyncIterator[Reply | Photo]:
    model = ctx.services.model
    cohort = ctx.event.args[0] if ctx.event.args else None
    known = await cohorts(ctx)
    if cohort is not None and cohort not in known:
        text = ctx.say("no_cohort", T, cohort=cohort) + "\n" + _known(ctx, known)
        yield ctx.reply(text, kind="error")
        return
    result = await cohort_report(ctx.services.records, model, cohort)
    yield ctx.reply(format_report(result, model, ctx.lang), kind="info")
    rows = result.heat_rows()
    if rows:
        from knowledge.learning import charts  # matplotlib: loaded when a chart is drawn

        png = await asyncio.to_thread(charts.heatmap_png, model, rows, ctx.lang)
        yield Photo(png, cohort or ctx.say("everyone", T), ctx.lang)


async def export(ctx: Ctx[Needs]) -> AsyncIterator[Reply | Document]:
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
    name, data = await export_file(ctx.services.records, cohort, fmt)
    who = cohort or ctx.say("everyone", T)
    yield Document(name, data, ctx.say("exported", T, cohort=who, fmt=fmt), ctx.lang)


async def cohorts(ctx: Ctx[Needs]) -> list[str]:
    """The cohorts people are enrolled in."""
    return sorted({u.cohort for u in await ctx.services.records.users() if u.cohort})


def _known(ctx: Ctx[Needs], known: list[str]) -> str:
    sep = "、" if ctx.lang == "zh" else ", "
    return ctx.say("cohorts", T, cohorts=sep.join(known)) if known else ctx.say("no_cohorts", T)


FLOW = Flow(commands={"report": Route("admin", report), "export": Route("admin", export)})
