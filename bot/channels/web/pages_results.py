"""Admins' results: a cohort's mastery against targets (the bot's heat map, as SVG), each
competency's distribution over the levels, who is furthest behind, item analysis as a table
sorted on the server, and the bot's exports as downloads.

The figures are `cohort_report`'s, the flags `reports.flags`, the files `export_file`'s and
`write_csv`'s: the console shows what /report and /export give, not a second reckoning."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiohttp import web

from bot.channels.web.auth import guard
from bot.channels.web.base import console, lang_of, message, render
from bot.texts import category_name
from knowledge.learning.exports import COLUMNS, export_file, write_csv
from knowledge.learning.model import CompetencyModel
from knowledge.learning.questions import Question
from knowledge.learning.reports import CohortReport, cohort_report, flags
from knowledge.records import Records
from knowledge.records.reporting import CohortMastery, ItemStats

# matplotlib's SVG styles its text inline and embeds the heat map's cells as a data: image
SVG_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
LISTED = 200  # trainees listed under the heat map, most behind first
FORMATS = {  # format -> Content-Type
    "csv": "application/zip",  # attempts, mastery and items, a CSV each
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xapi": "application/json",
}
SORTS = ("flags", "item", "level", "answered", "facility", "discrimination")


async def _cohort(request: web.Request) -> tuple[str | None, list[str]] | None:
    """The chosen cohort (None: every trainee) and the known ones; None if it is unknown."""
    users = await console(request).core.services.records.users()
    known = sorted({u.cohort for u in users if u.cohort})
    cohort = request.query.get("cohort", "").strip() or None
    return None if cohort is not None and cohort not in known else (cohort, known)


@guard("admin")
async def results(request: web.Request) -> web.StreamResponse:
    if (chosen := await _cohort(request)) is None:
        return message(request, "no_cohort", 404)
    cohort, known = chosen
    services = console(request).core.services
    report, rows = await asyncio.gather(
        cohort_report(services.records, services.model, cohort),
        services.records.cohort_mastery(cohort),
    )
    return render(
        request, "results.html", report=report, cohort=cohort or "", cohorts=known,
        lines=_lines(report, services.model, lang_of(request)),
        spread=distribution(rows, services.model), ranking=report.ranking[:LISTED],
        category=lambda c: category_name(c, lang_of(request)), formats=FORMATS, tables=COLUMNS,
        query=f"?cohort={quote(cohort)}" if cohort else "",
        also=f"&cohort={quote(cohort)}" if cohort else "",
    )  # fmt: skip


def _lines(report: CohortReport, model: CompetencyModel, lang: str) -> list[tuple]:
    return [(line, model.competencies[line.id].title(lang)) for line in report.competencies]


def distribution(rows: list[CohortMastery], model: CompetencyModel) -> dict[str, list[int]]:
    """Competency id -> trainees at each level 1-5 (index 1-5; 0: not yet answered)."""
    people = {row.user_id for row in rows}
    spread = {leaf.id: [0] * 6 for leaf in model.leaves()}
    for row in rows:
        if row.competency in spread and row.score is not None:
            spread[row.competency][min(5, max(1, int(row.score)))] += 1  # the bot's rounding
    for counts in spread.values():
        counts[0] = len(people) - sum(counts)
    return spread


@guard("admin")
async def heatmap(request: web.Request) -> web.StreamResponse:
    """The cohort's heat map, drawn by the bot's chart code."""
    if (chosen := await _cohort(request)) is None:
        return message(request, "no_cohort", 404)
    services = console(request).core.services
    report = await cohort_report(services.records, services.model, chosen[0])
    from knowledge.learning import charts  # matplotlib: loaded when a chart is drawn

    lang, rows = lang_of(request), report.heat_rows()

    def draw() -> bytes:  # the chart keeps the MAX_ROWS most behind, and says of how many
        return charts.svg(charts.heatmap_figure(services.model, rows, lang))

    return svg_response(await asyncio.to_thread(draw))


def svg_response(data: bytes) -> web.Response:
    response = web.Response(body=data, content_type="image/svg+xml")
    response.headers["Content-Security-Policy"] = SVG_POLICY
    return response


@guard("admin")
async def items(request: web.Request) -> web.StreamResponse:
    if (chosen := await _cohort(request)) is None:
        return message(request, "no_cohort", 404)
    cohort, known = chosen
    services, lang = console(request).core.services, lang_of(request)
    report = await cohort_report(services.records, services.model, cohort)
    bank = {q.id: q for q in await services.records.items(None)}
    sort = request.query.get("sort", "flags")
    sort = sort if sort in SORTS else "flags"
    descending = request.query.get("order") == "desc"
    ordered = sorted_items(report, bank, sort, descending)
    names = {cid: c.title(lang) for cid, c in services.model.competencies.items()}
    return render(
        request, "items.html", rows=[(st, flags(st), bank.get(st.item_id)) for st in ordered],
        sort=sort, descending=descending, sorts=SORTS, cohort=cohort or "", cohorts=known,
        names=names, flagged=len(report.flagged),
    )  # fmt: skip


def sorted_items(
    report: CohortReport, bank: dict[str, Question], sort: str, descending: bool
) -> list[ItemStats]:
    """The report's items by one column; by "flags", the flagged ones first, worst first (as
    /report lists them). Items with no discrimination yet (too few answers) come last."""
    if sort == "flags":
        flagged = [f.stats for f in report.flagged]
        return flagged + [st for st in report.items if not flags(st)]
    if sort == "discrimination":
        known = [st for st in report.items if st.discrimination is not None]
        known.sort(key=lambda st: (st.discrimination, st.item_id), reverse=descending)
        return known + [st for st in report.items if st.discrimination is None]
    keys: dict[str, Callable[[ItemStats], Any]] = {
        "item": lambda st: st.item_id,
        "level": lambda st: (bank[st.item_id].level if st.item_id in bank else 0, st.item_id),
        "answered": lambda st: (st.answered, st.item_id),
        "facility": lambda st: (st.facility, st.item_id),
    }
    return sorted(report.items, key=keys[sort], reverse=descending)


@guard("admin")
async def export(request: web.Request) -> web.StreamResponse:
    """?format=csv|xlsx|xapi (as /export sends them), or ?table=attempts|mastery|items for
    one CSV table of the zip."""
    if (chosen := await _cohort(request)) is None:
        return message(request, "no_cohort", 404)
    records: Records = console(request).core.services.records
    cohort, table = chosen[0], request.query.get("table")
    if table is not None:
        if table not in COLUMNS:
            return message(request, "no_export", 404)
        name, data = await _csv_table(records, cohort, table)
        return download(name, data, "text/csv; charset=utf-8")
    fmt = request.query.get("format", "xlsx")
    if fmt not in FORMATS:
        return message(request, "no_export", 404)
    name, data = await export_file(records, cohort, fmt)
    return download(name, data, FORMATS[fmt])


async def _csv_table(records: Records, cohort: str | None, table: str) -> tuple[str, bytes]:
    rows = await records.export_rows(cohort)
    with tempfile.TemporaryDirectory() as folder:
        [path] = [p for p in write_csv(rows, Path(folder)) if p.stem == table]
        return f"stdtutor-{cohort or 'all'}-{table}.csv", path.read_bytes()


def download(name: str, data: bytes, content_type: str) -> web.Response:
    """A file to save: an ASCII name for old clients, the UTF-8 one (a Chinese cohort) beside."""
    plain = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in name)
    disposition = f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name, safe='')}"
    headers = {"Content-Disposition": disposition, "Content-Type": content_type}
    return web.Response(body=data, headers=headers)


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/results", results)
    router.add_get("/results/heatmap.svg", heatmap)
    router.add_get("/results/items", items)
    router.add_get("/results/export", export)
