"""How long a command takes to start, beside the interpreter's own start and, optionally, beside
another checkout of the project timed in the same run.

    python -m bench.startup [--runs N] [--base PATH]

Figures: `stdtutor --help` (target 0.5 s) and a warm one-question `stdtutor ask` over the
bundled course pack (target 3 s; "warm": the pack is loaded and the models' files are in the
page cache). Each is the median of N runs, in a fresh process each time, as a person runs it.
`--base PATH` times the same commands with PATH (a checkout, e.g. `git worktree add PATH REV`)
first on the import path, so a change is measured beside what it replaces.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUESTION = "ISO国际标准的制定分哪几个阶段？"
TARGETS = {"--help": 0.5, "ask": 3.0}
CLI = "import sys; from bot.cli import main; sys.exit(main(sys.argv[1:]))"


def timed(argv: list[str], env: dict[str, str], runs: int) -> float:
    """The median wall time of `argv`, each run a fresh process."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def figures(code: Path, home: Path, runs: int) -> dict[str, float]:
    """The start-up figures of the checkout at `code`, over the data directory `home`."""
    env = {**os.environ, "PYTHONPATH": str(code), "STDTUTOR_HOME": str(home)}
    cli = [sys.executable, "-c", CLI]
    subprocess.run([*cli, "ingest", "--pack"], env=env, check=True, capture_output=True)
    subprocess.run([*cli, "ask", QUESTION], env=env, check=True, capture_output=True)  # warm
    return {
        "--help": timed([*cli, "--help"], env, runs),
        "ask": timed([*cli, "ask", QUESTION], env, runs),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--base", type=Path, help="another checkout to time beside this one")
    args = parser.parse_args(argv)
    interpreter = timed([sys.executable, "-c", "pass"], dict(os.environ), args.runs)
    with tempfile.TemporaryDirectory(prefix="stdtutor-startup-") as work:
        now = figures(ROOT, Path(work) / "now", args.runs)
        base = figures(args.base.resolve(), Path(work) / "base", args.runs) if args.base else {}
    print(f"interpreter start (python -c pass)   {interpreter:6.2f} s")
    for name, seconds in now.items():
        label = "stdtutor --help" if name == "--help" else "warm one-question stdtutor ask"
        line = f"{label:<36}{seconds:6.2f} s   target {TARGETS[name]:.1f} s"
        line += f"   {seconds / interpreter:5.1f}x the interpreter"
        if name in base:
            line += f"   base {base[name]:6.2f} s   ratio {seconds / base[name]:.2f}"
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
