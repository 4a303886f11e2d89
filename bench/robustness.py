"""Hostile files and faults, one table: case, outcome, time, peak memory, material or records
lost and doubled.

    python -m bench.robustness [--quick]

Each case runs in a fresh child process (`--case NAME`), so its peak memory (the child and the
reading processes it starts) is its own. Every case starts from a library holding one control
document; a case loses material when that document's passages change. Files go through the
production ingest pipeline (sandboxed reading, chunking, the passage cap) with the fake
embedder: what is measured is what a file does to the bot, not the embedding model's speed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
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


def measured(name: str, quick: bool) -> dict[str, object]:
    """Run one case in a child process; its result with the child's peak memory."""
    argv = [sys.executable, "-m", "bench.robustness", "--case", name]
    child = subprocess.Popen(
        [*argv, *(["--quick"] if quick else [])], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    with child.stdout:
        output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
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
        if args.case == "quiz answers across a restart":
            result = quiz_restart(args.quick)
        else:
            result = run_case(args.case, args.quick)
        print(json.dumps(result, ensure_ascii=False))
        return 0
    if args.quick:
        print("--quick: each file at a fraction of the size its case names")
    print(f"{'case':<32}{'outcome':<52}{'time':>8}{'peak':>9}{'lost':>6}{'doubled':>9}")
    for name in [*CASES, "quiz answers across a restart"]:
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
