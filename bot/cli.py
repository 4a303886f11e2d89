"""`stdtutor`: the terminal entry point (run, ingest, materials, remove, ask, chat, eval)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli_quiz import add_commands
from knowledge.errors import BadQuestion, StdTutorError

if TYPE_CHECKING:  # each command imports what it uses, so `--help` starts at once
    from bot.bootstrap import App


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("pypdf").setLevel(logging.INFO if args.verbose else logging.ERROR)
    try:
        return args.handler(args)
    except StdTutorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="stdtutor", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    def command(name: str, handler, help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        p.set_defaults(handler=handler)
        return p

    command("run", cmd_run, "load the course pack on first run, then start the bot or chat")
    p = command("ingest", cmd_ingest, "load course materials (files or folders)")
    p.add_argument("paths", nargs="*", type=Path)
    p.add_argument("--pack", action="store_true", help="also load the bundled course pack")
    command("materials", cmd_materials, "list loaded documents")
    p = command("remove", cmd_remove, "remove a document by file name")
    p.add_argument("doc")
    p = command(
        "restore", cmd_restore, "bring back a removed document, or the version a replace superseded"
    )
    p.add_argument("doc")
    p = command("ask", cmd_ask, "answer a question (or one per stdin line)")
    p.add_argument("question", nargs="?")
    p.add_argument("--json", action="store_true", help="one JSON line per answer")
    command("chat", cmd_chat, "chat in the console")
    p = command("eval", cmd_eval, "score answers on an evaluation set (JSONL)")
    p.add_argument("file", type=Path)
    p.add_argument("--failures", action="store_true", help="list each failed question")
    add_commands(sub, command)
    return parser


def _app() -> App:
    from bot.bootstrap import build
    from bot.settings import Settings

    return build(Settings())


def _pack_dir() -> Path:
    from knowledge.answering.glossary import pack_dir

    return pack_dir()


def _warn_if_empty(app: App) -> None:
    if not app.store.documents():
        print(
            "note: no materials are loaded, so every question will be refused; "
            "load some with `stdtutor ingest --pack` or `stdtutor ingest PATH`",
            file=sys.stderr,
        )


def cmd_run(args: argparse.Namespace) -> int:
    from bot import channels
    from bot.bootstrap import check_records

    app = _app()
    # What can fail at start-up is checked before the slow first load; a failure is one line
    # (StartupError, printed by `main`), never a traceback, and never shows the token.
    asyncio.run(check_records(app.settings.records_url))
    wanted = channels.wanted(app.settings)  # Telegram, the web console, the console chat
    asyncio.run(channels.check(app, wanted))
    if not app.store.documents():
        print("First run: loading the bundled course pack…", file=sys.stderr)
        report = app.ingestor.ingest([_pack_dir()], show_progress=sys.stderr.isatty())
        print(f"Loaded {report.count('added')} documents.", file=sys.stderr)
    logging.getLogger().setLevel(logging.INFO if args.verbose else logging.WARNING)
    asyncio.run(channels.run(app, wanted))
    return 0


async def _console(app: App) -> None:
    """The console chat: the local user is the owner of this installation (an admin)."""
    from bot import channels

    await channels.run(app, [c for c in channels.CHANNELS if c.name == "chat"])


def cmd_ingest(args: argparse.Namespace) -> int:
    paths = list(args.paths) + ([_pack_dir()] if args.pack else [])
    if not paths:
        print("error: name files or folders to load (or --pack)", file=sys.stderr)
        return 2
    app = _app()
    started = time.perf_counter()
    report = app.ingestor.ingest(paths, show_progress=sys.stderr.isatty())
    for result in report.results:
        stream = sys.stderr if result.status == "failed" else sys.stdout
        print(result.line(), file=stream)
    counts = ", ".join(
        f"{report.count(s)} {s}" for s in ("added", "replaced", "unchanged", "failed", "skipped")
    )
    print(f"{counts} in {time.perf_counter() - started:.1f}s")
    return 1 if report.failed else 0


def cmd_materials(args: argparse.Namespace) -> int:
    docs = _app().store.documents()
    if not docs:
        print("No materials loaded. Try `stdtutor ingest --pack` or `stdtutor ingest PATH`.")
        return 0
    width = max(len(d.doc) for d in docs)
    for d in docs:
        print(f"{d.doc:<{width}}  {d.lang}  {d.chunks:>4} chunks  {d.loaded_at}  {d.title}")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    info = _app().ingestor.remove(args.doc)
    print(f"removed: {info.doc} — {info.title} ({info.chunks} chunks)")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    info, _ = _app().ingestor.restore(args.doc)
    print(f"restored: {info.doc} — {info.title} ({info.chunks} chunks, loaded {info.loaded_at})")
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    app = _app()
    _warn_if_empty(app)
    questions = [args.question] if args.question is not None else _stdin_lines()
    failed = asyncio.run(_ask_all(app, questions, args.json))
    return 1 if failed else 0


async def _ask_all(app: App, questions: list[str], as_json: bool) -> int:
    from bot.channels.console import render
    from bot.events import Reply

    failed = 0
    for question in questions:
        try:
            answer = await app.tutor.answer(question)
        except BadQuestion as error:
            failed += 1
            if as_json:  # stdout stays one JSON line per question
                print(json.dumps({"question": question, "error": str(error)}, ensure_ascii=False))
            else:
                print(f"error: {error}", file=sys.stderr)
            continue
        if as_json:
            print(json.dumps(answer.to_json(), ensure_ascii=False), flush=True)
        else:
            reply = Reply(answer.answer, list(answer.citations), lang=answer.lang)
            print(render(reply), end="\n\n", flush=True)
    return failed


def cmd_chat(args: argparse.Namespace) -> int:
    app = _app()
    _warn_if_empty(app)
    asyncio.run(_console(app))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from knowledge.answering.evaluation import format_report, load_questions, score

    questions = load_questions(args.file)
    app = _app()
    answers = asyncio.run(_answers(app, [q["question"] for q in questions]))
    report = score(questions, answers)
    print(format_report(report, label=f"{args.file.name}: {len(questions)} questions"))
    if args.failures:
        for failure in report.failures:
            print(f"  {failure['id']} ({failure['kind']}): {failure['why']}")
    return 0


async def _answers(app: App, questions: list[str]) -> list[dict]:
    from knowledge.answering.tutor import trace

    return [(await trace(app.tutor, q)).to_json() for q in questions]


def _stdin_lines() -> list[str]:
    return [line.strip() for line in sys.stdin if line.strip()]


if __name__ == "__main__":
    sys.exit(main())
