"""Exports of a cohort's records: CSV and XLSX for spreadsheets, xAPI statements for an LRS.

The rows are those of `Records.export_rows`. Option indexes count from 0, as stored. Text a
spreadsheet would run as a formula (a typed answer starting with "=", say) is written as text.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
import uuid
import zipfile
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

if TYPE_CHECKING:
    from knowledge.records import Records

COLUMNS: dict[str, tuple[str, ...]] = {
    "attempts": ("attempt_id", "user_id", "name", "cohort", "item_id", "response", "correct",
                 "seconds", "answered_at", "competencies"),
    "mastery": ("user_id", "name", "cohort", "category", "competency", "score", "attempts"),
    "items": ("item_id", "lang", "kind", "level", "competencies", "stem", "answered", "right",
              "facility", "discrimination", "picks"),
}  # fmt: skip
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
TELEGRAM = "https://t.me"
ANSWERED = "http://adlnet.gov/expapi/verbs/answered"
INTERACTION = "http://adlnet.gov/expapi/activities/cmi.interaction"
INTERACTION_TYPES = {"single": "choice", "multiple": "choice", "truefalse": "true-false",
                     "short": "fill-in", "numerical": "numeric",
                     "matching": "matching"}  # fmt: skip
LANG_TAGS = {"zh": "zh-CN", "en": "en-US"}


def cell(value: Any) -> Any:
    """A value as a spreadsheet cell: lists joined by ";", picks as "0:12;1:3", UTC times."""
    if isinstance(value, dict):
        return ";".join(f"{k}:{v}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, float):
        return round(value, 4)
    return value


def _text(value: Any) -> Any:
    """Cell text that cannot run as a formula (numbers stay numbers)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _csv_value(value: Any) -> Any:
    value = cell(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, bool):
        return int(value)
    return "" if value is None else _text(value)


def write_csv(rows: Mapping[str, Iterable[dict[str, Any]]], folder: Path) -> list[Path]:
    """attempts.csv, mastery.csv and items.csv (UTF-8 with a BOM, so Excel reads Chinese)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for table, columns in COLUMNS.items():
        path = folder / f"{table}.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(columns)
            for row in rows.get(table, ()):
                writer.writerow([_csv_value(row.get(c)) for c in columns])
        written.append(path)
    return written


def _xlsx_cell(sheet: Any, value: Any) -> Any:
    value = cell(value)
    if not isinstance(value, str):
        return value
    found = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
    found.data_type = "s"  # never a formula
    return found


def write_xlsx(rows: Mapping[str, Iterable[dict[str, Any]]], path: Path) -> Path:
    """One workbook with a sheet each for attempts, mastery and items (times in UTC)."""
    book = Workbook(write_only=True)
    for table, columns in COLUMNS.items():
        sheet = book.create_sheet(table)
        sheet.append(list(columns))
        for row in rows.get(table, ()):
            sheet.append([_xlsx_cell(sheet, row.get(c)) for c in columns])
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def _duration(seconds: float) -> str:
    """ISO 8601, to the hundredth of a second xAPI keeps: 12.5 -> "PT12.5S"."""
    text = f"{max(0.0, seconds):.2f}".rstrip("0").rstrip(".")
    return f"PT{text}S"


def _timestamp(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _response(kind: str, response: Any) -> str:
    if isinstance(response, str):
        return response
    if kind == "truefalse":
        return "true" if list(response) == [0] else "false"
    return "[,]".join(str(i) for i in sorted(response))


def _definition(item: Any) -> dict[str, Any]:
    tag = LANG_TAGS.get(item.lang, "en-US")
    kind = INTERACTION_TYPES.get(item.kind, "other")
    found: dict[str, Any] = {
        "type": INTERACTION,
        "name": {tag: item.stem if len(item.stem) <= 80 else item.stem[:79] + "…"},
        "description": {tag: item.stem},
        "interactionType": kind,
    }
    if item.kind == "short":
        found["correctResponsesPattern"] = list(item.accepted)
    elif item.kind == "numerical":  # xAPI numeric ranges: "low[:]high"
        found["correctResponsesPattern"] = [_numeric_pattern(a) for a in item.accepted]
    elif item.kind == "matching":
        pairs = (f"{n}[.]{i}" for n, i in enumerate(item.answer, start=1))
        found["correctResponsesPattern"] = ["[,]".join(pairs)]
    else:
        found["correctResponsesPattern"] = [_response(item.kind, item.answer)]
    if kind == "choice":
        found["choices"] = [
            {"id": str(i), "description": {tag: text}} for i, text in enumerate(item.options)
        ]
    return found


def _numeric_pattern(spec: str) -> str:
    from knowledge.learning.typed_answers import numeric_range

    low, high = numeric_range(spec) or (0.0, 0.0)
    return f"{low:g}[:]{high:g}"


def _statement_id(base_uri: str, attempt: dict[str, Any]) -> str:
    key = attempt.get("attempt_id")
    if key is None:
        key = f"{attempt['user_id']}/{attempt['item_id']}/{_timestamp(attempt['answered_at'])}"
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{base_uri}/attempts/{key}"))


def _context(base: str, competencies: list[str]) -> dict[str, Any]:
    """The competencies as category activities and as a plain list in an extension."""
    found: dict[str, Any] = {"extensions": {f"{base}/extensions/competencies": competencies}}
    if competencies:
        ids = [f"{base}/competencies/{quote(c, safe='')}" for c in competencies]
        found["contextActivities"] = {
            "category": [{"objectType": "Activity", "id": i} for i in ids]
        }
    return found


def xapi_statement(attempt: dict[str, Any], item: Any | None, base_uri: str) -> dict[str, Any]:
    """One xAPI 1.0.3 "answered" statement for an attempt (item: its Question, if known)."""
    base = base_uri.rstrip("/")
    competencies = [str(c) for c in attempt.get("competencies") or ()]
    activity: dict[str, Any] = {"objectType": "Activity"}
    activity["id"] = f"{base}/items/{quote(str(attempt['item_id']), safe='')}"
    kind = "short" if isinstance(attempt["response"], str) else "single"
    if item is not None:
        activity["definition"], kind = _definition(item), item.kind
    return {
        "id": _statement_id(base, attempt),
        "actor": {
            "objectType": "Agent",
            "name": str(attempt.get("name") or attempt["user_id"]),
            "account": {"homePage": TELEGRAM, "name": str(attempt["user_id"])},
        },
        "verb": {"id": ANSWERED, "display": {"en-US": "answered"}},
        "object": activity,
        "result": {
            "success": bool(attempt["correct"]),
            "response": _response(kind, attempt["response"]),
            "duration": _duration(float(attempt["seconds"])),
        },
        "context": _context(base, competencies),
        "timestamp": _timestamp(attempt["answered_at"]),
    }


def xapi_statements(
    attempts: Iterable[dict[str, Any]],
    items: Mapping[str, Any],
    base_uri: str = "https://stdtutor.example",
) -> list[dict[str, Any]]:
    """A statement per attempt; `items` maps item ids to questions (Question-like objects)."""
    return [xapi_statement(a, items.get(a["item_id"]), base_uri) for a in attempts]


def write_xapi(statements: list[dict[str, Any]], path: Path) -> Path:
    """The statements as one JSON array (what an LRS accepts in a single POST)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(statements, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


async def export_file(records: Records, cohort: str | None, fmt: str) -> tuple[str, bytes]:
    """The export as one file: a zip of CSVs, a workbook, or xAPI statements (JSON)."""
    rows = await records.export_rows(cohort)
    stem = f"stdtutor-{cohort or 'all'}"
    with tempfile.TemporaryDirectory() as folder:
        if fmt == "csv":
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for path in write_csv(rows, Path(folder)):
                    archive.write(path, path.name)
            return f"{stem}-csv.zip", buffer.getvalue()
        if fmt == "xapi":
            items = {q.id: q for q in await records.items(None)}
            path = Path(folder) / f"{stem}-xapi.json"
            write_xapi(xapi_statements(rows["attempts"], items), path)
            return path.name, path.read_bytes()
        path = Path(folder) / f"{stem}.xlsx"
        write_xlsx(rows, path)
        return path.name, path.read_bytes()
