"""Hostile files and faults, one table: case, outcome, time, peak memory, material or records
lost and doubled.

    python -m bench.robustness [--quick]

Each case runs in a fresh child process (`--case NAME`), so its peak memory (the child and the
reading processes it starts) is its own. Every case starts from a library holding one control
document; a case loses material when that document's passages change. Files go through the
production ingest pipeline (sandboxed reading, chunking, the passage cap) with the fake
embedder: what is measured is what a file does to the bot, not the embedding model's speed.

The faults: trainees asking and answering quiz items through the chat core while every
connection to their PostgreSQL database is terminated, again and again (127.0.0.1:5432, a
throwaway database; the row says so when PostgreSQL is not reachable); and an upload while the
library's disk is full (a small tmpfs, filled) or its index is read-only (a read-only bind
mount), each child in a mount namespace of its own (`unshare`), so nothing outside it sees
the mounts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONTROL = "# Lab handbook\n\n## Tools\n\nThe torque wrench is calibrated every 90 days.\n"
WORDS = "standard committee ballot draft review clause member vote record audit".split()


def repack(source: Path, target: Path, part: str, megabytes: int) -> Path:
    """`source` with `part` replaced by `megabytes` MB of highly compressible XML, written in
    pieces so nothing holds it in memory: a zip bomb of an office file."""
    piece = b"<w:p><w:r><w:t>filler text</w:t></w:r></w:p>" * (1024 * 1024 // 45 + 1)
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for member in old.infolist():
            if member.filename != part:
                new.writestr(member, old.read(member))
        with new.open(part, "w", force_zip64=True) as stream:
            stream.write(b'<?xml version="1.0"?><w:document><w:body>')
            for _ in range(megabytes):
                stream.write(piece[: 1024 * 1024])
            stream.write(b"</w:body></w:document>")
    return target


def _docx_bomb(folder: Path, megabytes: int) -> Path:
    import docx

    small = folder / "small.docx"
    docx.Document().save(str(small))
    return repack(small, folder / "bomb.docx", "word/document.xml", megabytes)


def _one_line(folder: Path, megabytes: float) -> Path:
    words = (WORDS[i % len(WORDS)] for i in range(int(megabytes * 1024 * 1024 / 7)))
    path = folder / "one-line.txt"
    path.write_text(" ".join(words), encoding="utf-8")
    return path


def _file(name: str, data: bytes) -> Callable[[Path, float], Path]:
    def make(folder: Path, scale: float) -> Path:
        (folder / name).write_bytes(data)
        return folder / name

    return make


def _alias_bomb(folder: Path, levels: float) -> Path:
    lines = ['- id: "q1"', "  type: single", "  competencies: [K1]", "  bloom: remember"]
    lines += ["  a0: &a0 [lol]"]
    lines += [f"  a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, int(levels))]
    path = folder / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# name -> (make the file at full and at --quick scale, how it is sent: material or questions)
CASES: dict[str, tuple[Callable[[Path, float], Path], float, float, str]] = {
    "docx zip bomb (2 MB -> 260 MB)": (_docx_bomb, 260, 30, "material"),
    "one 2 MB line of text": (_one_line, 2, 0.2, "material"),
    "one 10 MB line of text": (_one_line, 10, 0.5, "material"),
    "binary data named .pdf": (
        _file("scan.pdf", b"%PDF-1.4\n" + os.urandom(4096)),
        1,
        1,
        "material",
    ),
    "latin-1 bytes named .md": (
        _file("notes.md", "# Café\n\nrésumé".encode("latin-1")),
        1,
        1,
        "material",
    ),
    "YAML alias bomb (9^7 values)": (_alias_bomb, 8, 5, "questions"),
    "PNG named .docx": (
        _file("deck.docx", b"\x89PNG\r\n\x1a\n" + os.urandom(2048)),
        1,
        1,
        "material",
    ),
}


def run_case(name: str, quick: bool) -> dict[str, object]:
    """One case in this process: its outcome and whether the control document survived."""
    from bot.bootstrap import build
    from bot.settings import Settings
    from ingest.questions import import_file
    from knowledge.answering.embeddings import HashEmbedder

    make, full, small, kind = CASES[name]
    with tempfile.TemporaryDirectory(prefix="stdtutor-robust-") as work:
        folder = Path(work)
        settings = Settings(_env_file=None, stdtutor_home=folder / "home")  # type: ignore[call-arg]
        app = build(
            settings,
            embedder=HashEmbedder(),
            second_embedder=HashEmbedder("hash-terms-2"),
            embedding_cache=folder / "cache.sqlite",
        )
        control = folder / "handbook.md"
        control.write_text(CONTROL, encoding="utf-8")
        app.ingestor.ingest([control])
        before = _passages(app)
        path = make(folder, small if quick else full)
        started = time.perf_counter()
        if kind == "material":
            result = app.ingestor.ingest([path])
            outcome = (
                f"refused: {result.failed[0].reason}" if result.failed else f"indexed {path.name}"
            )
        else:
            report = import_file(path)
            codes = sorted({p.code for bad in report.errors for p in bad.problems})
            outcome = (
                f"refused: {', '.join(codes)}" if codes else f"{len(report.questions)} imported"
            )
        seconds = time.perf_counter() - started
        after = _passages(app)
    return {"outcome": outcome, "seconds": seconds, "lost": int(after < before), "doubled": 0}


def _passages(app) -> int:
    return sum(d.chunks for d in app.store.documents() if d.doc == "handbook.md")


def quiz_restart(quick: bool) -> dict[str, object]:
    """Answers recorded, the records closed as by a crash, the same answers sent again."""
    return asyncio.run(_quiz_restart(20 if quick else 200))


async def _quiz_restart(trainees: int) -> dict[str, object]:
    from sqlalchemy import func, select

    from bench.quiz_load import _add_trainees, _question, _ready
    from knowledge.learning.practice import record_answer
    from knowledge.records import Records
    from knowledge.records.tables import AttemptRow

    with tempfile.TemporaryDirectory(prefix="stdtutor-robust-") as work:
        url = f"sqlite+aiosqlite:///{work}/records.sqlite"
        records = await Records.open(url)
        await records.upsert_items([_question("q1", "K1", 1)])
        sessions = await _ready(records, await _add_trainees(records, trainees), "q1")
        started = time.perf_counter()

        async def answer_all(users: list[int]) -> None:
            for user in users:
                await record_answer(records, session_id=sessions[user], item_id="q1",
                                    user_id=user, response=(1,), seconds=3.0)  # fmt: skip

        await answer_all(list(sessions)[: trainees // 2])
        await records.close()  # the process dies here; a new one opens the same records
        records = await Records.open(url)
        await answer_all(list(sessions))  # everyone sends again, as after a restart
        query = select(AttemptRow.session_id, func.count()).group_by(AttemptRow.session_id)
        async with records.engine.connect() as conn:
            counts = dict((await conn.execute(query)).all())
        await records.close()
        seconds = time.perf_counter() - started
    return {
        "outcome": f"{trainees} answers, half sent again after a restart",
        "seconds": seconds,
        "lost": sum(counts.get(s, 0) == 0 for s in sessions.values()),
        "doubled": sum(counts.get(s, 0) > 1 for s in sessions.values()),
    }


QUIZ = "quiz answers across a restart"
POSTGRES = "PostgreSQL dropped mid-run"
FULL_DISK = "full disk, an upload"
READ_ONLY = "read-only index, an upload"
FAULTS = (POSTGRES, FULL_DISK, READ_ONLY)
POSTGRES_URL = os.environ.get(
    "RECORDS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
QUESTION = "How often is the torque wrench calibrated?"


def _apology(item: object) -> bool:
    from bot.events import Reply
    from bot.texts import say

    return isinstance(item, Reply) and item.text in (say("failed", "zh"), say("failed", "en"))


def _verdict(shown: list) -> bool:
    """Whether a quiz answer was told right or wrong."""
    return any(getattr(o, "text", "")[:1] in ("✅", "❌") for o in shown)


def postgres_drop(quick: bool) -> dict[str, object]:
    """Trainees ask and answer quiz items while their database's connections are cut."""
    return asyncio.run(_postgres_drop(*((4, 2, 3, 0.3) if quick else (20, 3, 8, 1.0))))


async def _postgres_drop(trainees: int, rounds: int, drops: int, every: float) -> dict[str, object]:
    import asyncpg
    from sqlalchemy.engine import make_url

    try:
        admin = await asyncpg.connect(POSTGRES_URL, timeout=5)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return {"outcome": "PostgreSQL not reachable", "seconds": 0.0, "lost": "-", "doubled": "-"}
    name = f"stdtutor_drop_{secrets.token_hex(4)}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
        return await _drop_run(url, name, admin, trainees, rounds, drops, every)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _drop_run(  # noqa: PLR0913, PLR0915 - one scenario, told in order
    url: str, database: str, admin, trainees: int, rounds: int, drops: int, every: float
) -> dict[str, object]:
    from sqlalchemy import func, select

    from bot.bootstrap import build, open_core
    from bot.events import Incoming, QuizPrompt, Reply
    from bot.settings import Settings
    from knowledge.answering.embeddings import HashEmbedder
    from knowledge.records import Records
    from knowledge.records.tables import AttemptRow, QuestionRow
    from knowledge.vocabulary import CATEGORIES

    with tempfile.TemporaryDirectory(prefix="stdtutor-robust-") as work:
        folder = Path(work)
        settings = Settings(_env_file=None, stdtutor_home=folder / "home")  # type: ignore[call-arg]
        app = build(settings, embedder=HashEmbedder(), second_embedder=HashEmbedder("hash-terms-2"),
                    embedding_cache=folder / "cache.sqlite")  # fmt: skip
        control = folder / "handbook.md"
        control.write_text(CONTROL, encoding="utf-8")
        app.ingestor.ingest([control])
        records = await Records.open(url)
        core = await open_core(app, records)
        users = list(range(1001, 1001 + trainees))
        for user in users:
            await records.ensure_user(user, name=f"trainee {user}", role="trainee", lang="en")
            await records.update_user(user, category=CATEGORIES[user % len(CATEGORIES)])
        messages = apologies = silent = two_replies = given_up = 0
        answered: dict[int, int] = dict.fromkeys(users, 0)  # answers shown, per person
        confirmed: set[tuple[int, str]] = set()  # (session, item) the person was told about

        async def send(event: Incoming) -> list[Reply | QuizPrompt]:
            """One message, sent again (up to 3 times) when the reply is an apology, as a
            person would; each try must get exactly one reply: an apology or the answer."""
            nonlocal messages, apologies, silent, two_replies, given_up
            messages += 1
            for _ in range(4):
                shown = [o async for o in core.respond(event) if isinstance(o, Reply | QuizPrompt)]
                sorry = [o for o in shown if _apology(o)]
                if not shown:
                    silent += 1
                if sorry and len(shown) > len(sorry) or len(sorry) > 1:
                    two_replies += 1  # "an apology and the answer"
                    if os.environ.get("BENCH_DEBUG"):
                        print(
                            event.text or event.command or event.button,
                            [getattr(o, "text", "")[:40] for o in shown],
                            file=sys.stderr,
                        )
                if not sorry:
                    return shown
                apologies += 1
                await asyncio.sleep(1.5)  # read the apology, send it again
            given_up += 1
            return []

        async def trainee(user: int) -> None:
            for _ in range(rounds):
                shown = await send(Incoming(user, QUESTION, lang="en"))
                answers = [o for o in shown if isinstance(o, Reply) and o.kind == "answer"]
                answered[user] += len(answers)
                shown = await send(Incoming(user, command="quiz", args=("3",), lang="en"))
                while prompts := [o for o in shown if isinstance(o, QuizPrompt)]:
                    prompt = prompts[-1]
                    if prompt.buttons:  # the first option (or the first toggle, then "done")
                        first, done = prompt.buttons[0][0], prompt.buttons[-1][-1]
                        shown = await send(Incoming(user, button=first.data, lang="en"))
                        if not _verdict(shown):
                            shown = await send(Incoming(user, button=done.data, lang="en"))
                    else:  # typed: a short or numerical answer, or a matching's letters
                        shown = await send(Incoming(user, "A", lang="en"))
                    if _verdict(shown):
                        confirmed.add((prompt.session_id, prompt.item_id))

        killed = 0

        async def drop() -> None:  # every connection cut, `drops` times, while they work
            nonlocal killed
            for _ in range(drops):
                await asyncio.sleep(every)
                if talking.done():
                    return
                killed += await admin.fetchval(
                    "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) "
                    "FROM pg_stat_activity WHERE datname = $1",
                    database,
                )

        started = time.perf_counter()
        talking = asyncio.gather(*(trainee(user) for user in users))
        dropping = asyncio.create_task(drop())
        await talking
        await dropping
        seconds = time.perf_counter() - started
        pairs = select(AttemptRow.session_id, AttemptRow.item_id, func.count()).group_by(
            AttemptRow.session_id, AttemptRow.item_id
        )
        asked = select(QuestionRow.user_id, func.count()).group_by(QuestionRow.user_id)
        async with records.engine.connect() as conn:
            attempts = {(s, i): n for s, i, n in (await conn.execute(pairs)).all()}
            logged = dict((await conn.execute(asked)).all())
        await records.close()
    parts = {
        "quiz answers told but not recorded": sum(attempts.get(p, 0) == 0 for p in confirmed),
        "answers shown but not logged": sum(max(0, answered[u] - logged.get(u, 0)) for u in users),
        "tries with no reply": silent,
        "messages given up after 4 apologies": given_up,
        "quiz answers recorded twice": sum(n > 1 for n in attempts.values()),
        "tries with an apology and the answer": two_replies,
        "questions logged more than answered": sum(
            max(0, logged.get(u, 0) - answered[u]) for u in users
        ),
    }
    values = list(parts.values())
    lost, doubled = sum(values[:4]), sum(values[4:])
    return {
        "outcome": f"{messages} messages, {killed} connections cut, {apologies} apologies",
        "seconds": seconds,
        "lost": lost,
        "doubled": doubled,
        "messages": messages,
        "apologies": apologies,
        "killed": killed,
        "answers": sum(answered.values()),
        "quiz_answers": len(confirmed),
        **parts,
    }


def index_fault(name: str, quick: bool) -> dict[str, object]:
    """An instructor uploads a file while the library cannot be written."""
    return asyncio.run(_index_fault(name))


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True)


async def _index_fault(name: str) -> dict[str, object]:
    from bot.bootstrap import build, open_core
    from bot.events import Incoming, Reply, Upload
    from bot.flows.materials import T
    from bot.settings import Settings
    from bot.texts import say
    from knowledge.answering.embeddings import HashEmbedder
    from knowledge.records import Records

    with tempfile.TemporaryDirectory(prefix="stdtutor-robust-") as work:
        folder = Path(work)
        home = folder / "home"
        (home / "chroma").mkdir(parents=True)
        # The full disk: everything under the home on a small tmpfs (the index, the embedding
        # cache); the read-only index: the index's folder. The records are elsewhere (as on
        # PostgreSQL), so what is measured is the library's own failure.
        disk = home if name == FULL_DISK else home / "chroma"
        try:
            if name == FULL_DISK:
                _mount("-t", "tmpfs", "-o", "size=64m", "tmpfs", str(home))
        except (OSError, subprocess.CalledProcessError):
            return {"outcome": "skipped: cannot mount here (unshare, root)", "seconds": 0.0,
                    "lost": "-", "doubled": "-"}  # fmt: skip
        try:
            settings = Settings(_env_file=None, stdtutor_home=home)  # type: ignore[call-arg]
            app = build(settings, embedder=HashEmbedder(),
                        second_embedder=HashEmbedder("hash-terms-2"))  # fmt: skip
            control = folder / "handbook.md"
            control.write_text(CONTROL, encoding="utf-8")
            app.ingestor.ingest([control])
            before = [(d.doc, d.chunks, d.version) for d in app.store.documents()]
            records = await Records.open(f"sqlite+aiosqlite:///{folder}/records.sqlite")
            core = await open_core(app, records)
            await records.ensure_user(5, name="Ann", role="instructor", lang="zh")
            if name == FULL_DISK:
                _fill(disk)
            else:
                _mount("--bind", str(disk), str(disk))
                _mount("-o", "remount,bind,ro", str(disk))
            upload = folder / "notes.md"
            parts = (f"## Part {i}\n\nThe ballot on draft {i} closes after eight weeks."
                     for i in range(30))  # fmt: skip
            upload.write_text("# Ballot notes\n\n" + "\n\n".join(parts), encoding="utf-8")

            async def fetch(path: Path) -> None:
                path.write_bytes(upload.read_bytes())

            event = Incoming(5, upload=Upload(upload.name, upload.stat().st_size, fetch))
            started = time.perf_counter()
            shown = [o async for o in core.respond(event) if isinstance(o, Reply)]
            seconds = time.perf_counter() - started
            after = [(d.doc, d.chunks, d.version) for d in app.store.documents()]
            await records.close()
        finally:
            subprocess.run(["umount", "-l", str(disk)], capture_output=True)
    told = shown[-1].text if shown else ""
    reasons = [k for k in T if k.startswith("why_") and say(k, "zh", T) in told]
    outcome = (
        f"refused: {reasons[0].removeprefix('why_')}"
        if reasons
        else "apology" if _apology(shown[-1]) else f"told: {told}"
    ) if shown else "no reply"  # fmt: skip
    return {
        "outcome": outcome,
        "seconds": seconds,
        "lost": int(after != before),
        "doubled": max(0, len(shown) - 1),
        "told": told,
    }


def _fill(disk: Path) -> None:
    """Write to `disk` until no byte more fits."""
    with open(disk / "filler", "wb", buffering=0) as filler:
        for size in (1024 * 1024, 4096, 1):
            try:
                while True:
                    filler.write(b"\0" * size)
            except OSError:
                pass


def measured(name: str, quick: bool, namespace: bool = True) -> dict[str, object]:
    """Run one case in a child process; its result with the child's peak memory. The index
    faults run in a mount namespace of their own, where their mounts stay."""
    argv = [sys.executable, "-m", "bench.robustness", "--case", name]
    if namespace and name in (FULL_DISK, READ_ONLY) and shutil.which("unshare"):
        argv = ["unshare", "--user", "--map-root-user", "--mount", *argv]
    with tempfile.TemporaryFile() as errors:  # the child's log: shown only if it crashes
        child = subprocess.Popen([*argv, *(["--quick"] if quick else [])], cwd=ROOT,
                                 stdout=subprocess.PIPE, stderr=errors, text=True)  # fmt: skip
        assert child.stdout is not None
        with child.stdout:
            output = child.stdout.read()
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            errors.seek(0)
            sys.stderr.write(errors.read().decode(errors="replace")[-4000:])
    if child.returncode != 0 and argv[0] == "unshare" and not output.strip():
        return measured(name, quick, namespace=False)  # no namespaces: the case says so
    if child.returncode != 0:
        return {"outcome": f"crashed (exit {child.returncode})", "seconds": 0.0,
                "lost": "?", "doubled": "?", "peak_mb": usage.ru_maxrss / 1024}  # fmt: skip
    return {**json.loads(output.strip().splitlines()[-1]), "peak_mb": usage.ru_maxrss / 1024}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small files (tests the harness)")
    parser.add_argument("--case", help=argparse.SUPPRESS)  # one case, in a child
    args = parser.parse_args(argv)
    if args.case:
        if args.case == QUIZ:
            result = quiz_restart(args.quick)
        elif args.case == POSTGRES:
            result = postgres_drop(args.quick)
        elif args.case in (FULL_DISK, READ_ONLY):
            result = index_fault(args.case, args.quick)
        else:
            result = run_case(args.case, args.quick)
        print(json.dumps(result, ensure_ascii=False))
        return 0
    if args.quick:
        print("--quick: each file at a fraction of the size its case names")
    print(f"{'case':<32}{'outcome':<52}{'time':>8}{'peak':>9}{'lost':>6}{'doubled':>9}")
    for name in [*CASES, QUIZ, *FAULTS]:
        row = measured(name, args.quick)
        outcome = str(row["outcome"])
        outcome = outcome if len(outcome) <= 50 else outcome[:49] + "…"
        print(
            f"{name:<32}{outcome:<52}{row['seconds']:>7.2f}s{row['peak_mb']:>6.0f} MB"
            f"{row['lost']!s:>6}{row['doubled']!s:>9}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
