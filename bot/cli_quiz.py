"""`stdtutor questions|report|competencies`: the question bank and results from a terminal."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported by the commands that use them: `stdtutor --help` stays quick
    from knowledge.records import Records


def add_commands(sub, command) -> None:
    """Register the subcommands on the main parser (see bot/cli.py)."""
    p = command("questions", cmd_questions, "import, list and count quiz questions")
    actions = ["import", "list", "stats", "retire", "publish", "template"]
    p.add_argument("action", choices=actions)
    p.add_argument(
        "args",
        nargs=argparse.REMAINDER,
        help="files to import, question ids, or template's [--lang zh|en] [PATH]",
    )
    p = command("report", cmd_report, "quiz results by cohort: text, csv, xlsx or xapi")
    p.add_argument("--cohort")
    p.add_argument("--format", choices=["text", "csv", "xlsx", "xapi"], default="text")
    p.add_argument("--out", type=Path, help="where to write csv/xlsx/xapi (default: here)")
    p = command("competencies", cmd_competencies, "the competency model")
    p.add_argument("action", choices=["export", "show"])
    p.add_argument("--format", choices=["case"], default="case")
    p.add_argument("--out", type=Path)


def cmd_questions(args: argparse.Namespace) -> int:
    if args.action == "template":
        return write_template(args)
    return asyncio.run(_questions(args))


def write_template(args: argparse.Namespace) -> int:
    """`questions template [--lang zh|en] [PATH]`: the spreadsheet template to fill in."""
    from ingest.questions.spreadsheet import TEMPLATE_NAMES
    from ingest.questions.spreadsheet import write_template as write
    from knowledge.learning.model import load_model

    parser = argparse.ArgumentParser(prog="stdtutor questions template")
    parser.add_argument("--lang", choices=["zh", "en"], default="zh", help="the headings")
    parser.add_argument("path", nargs="?", type=Path)
    wanted = parser.parse_args(args.args)
    out = wanted.path or Path(TEMPLATE_NAMES[wanted.lang])
    model = load_model()
    write(out, wanted.lang, [(c.id, c.title(wanted.lang)) for c in model.leaves()])
    print(f"wrote {out}")
    return 0


async def _questions(args: argparse.Namespace) -> int:
    from bot.bootstrap import ensure_bank
    from bot.settings import Settings
    from knowledge.learning.model import load_model
    from knowledge.learning.questions import publish_problems
    from knowledge.records import Records

    records = await Records.open(Settings().records_url)
    try:
        await ensure_bank(records, load_model())
        if args.action == "import":
            return await import_questions(records, [Path(a) for a in args.args])
        if args.action in ("retire", "publish"):
            status = "retired" if args.action == "retire" else "published"
            failed = 0
            for item_id in args.args:
                question = await records.item(item_id)
                found = publish_problems(question) if question and status == "published" else []
                if found:  # an untagged draft waits for its competencies and level
                    reasons = "; ".join(p.text for p in found)
                    print(f"error: {item_id} can't be published yet: {reasons}", file=sys.stderr)
                elif not await records.set_item_status(item_id, status):
                    print(f"error: no question {item_id}", file=sys.stderr)
                else:
                    continue
                failed += 1
            return 1 if failed else 0
        items = await records.items(None)
        if args.action == "list":
            for q in items:
                stem = q.stem.replace("\n", " ")[:60]
                where = ",".join(q.competencies)
                print(f"{q.id:<12} {q.status:<9} {q.lang} L{q.level} {where}  {stem}")
            return 0
        counts = Counter(
            (c, q.level) for q in items if q.status == "published" for c in q.competencies
        )
        print(
            f"{len(items)} questions: "
            + ", ".join(f"{n} {s}" for s, n in sorted(Counter(q.status for q in items).items()))
        )
        for (competency, level), n in sorted(counts.items()):
            print(f"  {competency:<24} level {level}: {n}")
        return 0
    finally:
        await records.close()


async def import_questions(records: Records, paths: list[Path]) -> int:
    from ingest.questions import import_file
    from knowledge.answering.glossary import pack_files
    from knowledge.learning.model import load_model

    """Import each file; bad questions are named with file and line, the good ones kept."""
    model = load_model()
    pack = pack_files()
    failed = 0
    for path in paths:
        report = import_file(path, set(model.competencies), pack)
        added, updated = await records.upsert_items(report.questions)
        print(f"{path.name}: {added} added, {updated} updated, {len(report.errors)} rejected")
        for error in report.errors:
            print(f"  {error.file}:{error.line}: {error.reason}", file=sys.stderr)
        failed += bool(report.errors)
    return 1 if failed else 0


def cmd_report(args: argparse.Namespace) -> int:
    from bot.settings import Settings
    from knowledge.learning.exports import export_file
    from knowledge.learning.model import load_model
    from knowledge.learning.reports import cohort_report, format_report
    from knowledge.records import Records

    async def run() -> int:
        records = await Records.open(Settings().records_url)
        try:
            if args.format == "text":
                model = load_model()
                report = await cohort_report(records, model, args.cohort)
                print(format_report(report, model, "en"))
                return 0
            name, data = await export_file(records, args.cohort, args.format)
            out = args.out or Path(name)
            out.write_bytes(data)
            print(f"wrote {out}")
            return 0
        finally:
            await records.close()

    return asyncio.run(run())


def cmd_competencies(args: argparse.Namespace) -> int:
    from knowledge.learning.case import to_case
    from knowledge.learning.model import load_model

    model = load_model()
    if args.action == "show":
        for c in model.competencies.values():
            print(f"{c.code:<4} {c.id:<24} {c.dimension:<10} {c.title_en} / {c.title_zh}")
        return 0
    text = json.dumps(to_case(model), ensure_ascii=False, indent=2)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {args.out}")
    else:
        print(text)
    return 0
