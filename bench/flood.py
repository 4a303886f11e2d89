"""One trainee flooding the bot, measured by what the others wait (the real Telegram stack).

    python -m bench.flood [--cache PATH] [--others 6] [--each 10] [--flood 200] [--charts 60]

As in `bench/telegram_load.py`, the bot runs in this process and the Bot API stand-in with the
simulated trainees in another. First the others ask their questions one after another on an
idle bot (the baseline), then again while one trainee sends `--flood` questions and `--charts`
/progress at once. Reported: the others' p95 time from message to answer in both phases and
their ratio (target: within 1.5x of idle).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from bench.run import ROOT, make_app
from bench.telegram_load import TOKEN, _receive
from bot.bootstrap import App, open_core
from bot.channels.telegram.channel import TelegramOptions
from bot.channels.telegram.serve import serve
from knowledge.answering.evaluation import load_questions, percentile
from knowledge.answering.glossary import pack_dir
from knowledge.records import Records

TARGET = 1.5  # others' p95 while one floods, over their idle p95
FLOODER, WARMER = 6_999_999, 6_999_998


def flood(app: App, work: Path, asks: list[str], others: int, each: int, burst: list[str]):
    """(idle waits, flooded waits) of the other trainees, in seconds."""
    rng = random.Random(11)
    plan = {7_100_000 + i: rng.sample(asks, 2 * each) for i in range(others)}
    return asyncio.run(_flood(app, work, plan, each, burst))


async def _flood(app: App, work: Path, plan: dict[int, list[str]], each: int, burst: list[str]):
    records = await Records.open(f"sqlite+aiosqlite:///{work / 'flood-records.sqlite'}")
    for user_id in [*plan, FLOODER, WARMER]:
        telegram = ("telegram", str(user_id))  # Telegram users: known by their identity
        await records.ensure_identified(telegram, name=f"trainee {user_id}", role="trainee")
    core = await open_core(app, records)
    # The others stay within their limits (each asks 2 x each): what is measured is sharing.
    core.services.policy = replace(
        core.services.policy, per_minute=max(core.services.policy.per_minute, 2 * each)
    )
    ctx = multiprocessing.get_context("spawn")
    ours, theirs = ctx.Pipe()
    telegram = ctx.Process(target=_telegram_side, args=(theirs, plan, each, burst), daemon=True)
    telegram.start()
    loop = asyncio.get_running_loop()
    base_url, base_file_url = await loop.run_in_executor(None, _receive, ours, telegram)
    stop = asyncio.Event()
    bot = asyncio.create_task(
        serve(app, TelegramOptions(TOKEN, base_url, base_file_url, max_rate=0), stop, core)
    )
    try:
        idle, flooded = await loop.run_in_executor(None, _receive, ours, telegram)
    finally:
        stop.set()
        await bot  # closes the records
        ours.send("stopped")
    telegram.join(timeout=30)
    return idle, flooded


def _telegram_side(conn, plan: dict[int, list[str]], each: int, burst: list[str]) -> None:
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    asyncio.run(_trainees(conn, plan, each, burst))


async def _trainees(conn, plan: dict[int, list[str]], each: int, burst: list[str]) -> None:
    from tests.standins.telegram import BotApiStandin

    async with BotApiStandin(token=TOKEN, first_update_id=20_000) as api:
        conn.send((api.base_url, api.base_file_url))
        await api.wait_for("setMyCommands", count=2, timeout=120)
        answers: dict[int, asyncio.Queue] = {u: asyncio.Queue() for u in [*plan, WARMER]}

        def route(call) -> None:
            if call.method == "sendMessage" and call.ok:
                queue = answers.get(int(call.params["chat_id"]))
                if queue is not None:
                    queue.put_nowait(call)

        api.on_call(route)

        async def phase(part: slice) -> list[float]:
            waits: list[float] = []

            async def trainee(user_id: int, asks: list[str]) -> None:
                for text in asks[part]:
                    sent = time.monotonic()
                    api.user_message(user_id, text)
                    call = await asyncio.wait_for(answers[user_id].get(), timeout=300)
                    waits.append(call.at - sent)

            await asyncio.gather(*(trainee(u, asks) for u, asks in plan.items()))
            return waits

        for text in list(plan.values())[0][:3]:  # first answers load what answering needs
            api.user_message(WARMER, text)
            await asyncio.wait_for(answers[WARMER].get(), timeout=300)
        idle = await phase(slice(0, each))
        for text in burst:  # all at once, as a script or a stuck key would
            api.user_message(FLOODER, text)
        flooded = await phase(slice(each, 2 * each))
        await api.wait_idle(quiet=0.5, timeout=300)
        conn.send((idle, flooded))
        await asyncio.get_running_loop().run_in_executor(None, conn.recv)


def lines(idle: list[float], flooded: list[float], burst: int) -> list[str]:
    def at(waits: list[float], q: int) -> float:
        return percentile([w * 1000 for w in waits], q)

    return [
        f"one trainee flooding ({burst} messages at once), the others' time to answer:",
        f"  idle bot          p50 {at(idle, 50):6.0f} ms   p95 {at(idle, 95):6.0f} ms   "
        f"({len(idle)} answers)",
        f"  while flooded     p50 {at(flooded, 50):6.0f} ms   p95 {at(flooded, 95):6.0f} ms   "
        f"({len(flooded)} answers)",
        f"  p95 ratio {at(flooded, 95) / at(idle, 95):.2f}   target {TARGET}",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cache", type=Path, help="embedding cache (kept between runs)")
    parser.add_argument("--others", type=int, default=6)
    parser.add_argument("--each", type=int, default=10, help="questions per trainee per phase")
    parser.add_argument("--flood", type=int, default=200, help="questions the flooder sends")
    parser.add_argument("--charts", type=int, default=60, help="/progress the flooder sends")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="stdtutor-flood-"))
    try:
        app = make_app(work / "home", args.cache)
        app.ingestor.ingest([pack_dir()])
        questions = load_questions(ROOT / "evals" / "devset.jsonl")
        asks = [q["question"] for q in questions if q["kind"] != "out_of_scope"]
        burst = [f"{asks[n % len(asks)]}" for n in range(args.flood)] + ["/progress"] * args.charts
        idle, flooded = flood(app, work, asks, args.others, args.each, burst)
        print("\n".join(lines(idle, flooded, len(burst))), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
