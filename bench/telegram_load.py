"""Many trainees asking at once through the real Telegram stack (against the Bot API stand-in).

The bot runs in this process; the Bot API stand-in and the simulated trainees run in another,
as Telegram and its users would, so their work is not counted as the bot's. Each trainee sends
a question, waits for the answer, then sends the next. Reported: answered questions a second
against the 30 a second Telegram lets a bot send (the target) and against the same questions
answered straight through the tutor one at a time (the baseline); p95 time from message to
answer; lost and doubled answers. Telegram's outgoing limiter is off (it would measure itself,
not the bot), and so is the cache of recent questions' vectors: 1000 asks drawn from the dev
set repeat questions far more than real trainees would.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import random
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.bootstrap import App, open_core
from bot.channels.telegram.channel import TelegramOptions
from bot.channels.telegram.serve import serve
from knowledge.answering.evaluation import percentile
from knowledge.records import Records

TARGET = 30.0  # answered questions a second: Telegram's ceiling for a bot's messages
TOKEN = "777000:load-test-token"


@dataclass(frozen=True)
class LoadResult:
    trainees: int
    asked: int
    answered: int
    doubled: int
    seconds: float
    p95_ms: float
    direct_rate: float

    @property
    def rate(self) -> float:
        return self.answered / self.seconds

    def lines(self) -> list[str]:
        lost = self.asked - self.answered
        return [
            f"telegram load: {self.trainees} trainees x {self.asked // self.trainees} questions",
            f"  answered                     {self.rate:6.2f} q/s   target {TARGET:.0f} q/s   "
            f"ratio {self.rate / TARGET:.2f}",
            f"  straight through the tutor   {self.direct_rate:6.2f} q/s   (one at a time)   "
            f"ratio {self.rate / self.direct_rate:.2f}",
            f"  time to answer               p95 {self.p95_ms:7.0f} ms",
            f"  answers lost {lost}, doubled {self.doubled} (of {self.asked})",
        ]


def load(app: App, work: Path, questions: list[str], trainees: int, each: int) -> LoadResult:
    app.embedder.query_cache_size = 0  # every ask embeds its question, as a new one would
    rng = random.Random(7)
    plan = {7_000_000 + i: rng.sample(questions, each) for i in range(trainees)}
    return asyncio.run(_load(app, work, plan, each))


async def _load(app: App, work: Path, plan: dict[int, list[str]], each: int) -> LoadResult:
    direct = [q for asks in list(plan.values())[:12] for q in asks][:60]
    started = time.perf_counter()
    for q in direct:
        await app.tutor.answer(q)
    direct_rate = len(direct) / (time.perf_counter() - started)

    records = await Records.open(f"sqlite+aiosqlite:///{work / 'load-records.sqlite'}")
    for user_id in plan:
        telegram = ("telegram", str(user_id))  # Telegram users: known by their identity
        await records.ensure_identified(telegram, name=f"trainee {user_id}", role="trainee")
    core = await open_core(app, records)
    core.services.policy = replace(core.services.policy, per_minute=each, per_day=each)
    ctx = multiprocessing.get_context("spawn")
    ours, theirs = ctx.Pipe()
    telegram = ctx.Process(target=_telegram_side, args=(theirs, plan), daemon=True)
    telegram.start()
    loop = asyncio.get_running_loop()
    base_url, base_file_url = await loop.run_in_executor(None, _receive, ours, telegram)
    opts = TelegramOptions(TOKEN, base_url, base_file_url, max_rate=0)
    stop = asyncio.Event()
    bot = asyncio.create_task(serve(app, opts, stop, core))
    try:
        seconds, waits, per_chat = await loop.run_in_executor(None, _receive, ours, telegram)
    finally:
        stop.set()
        await bot  # closes the records
        ours.send("stopped")  # the stand-in may go now
    telegram.join(timeout=30)
    logged = await _logged(work, list(plan))

    doubled = sum(max(0, n - each) for n in per_chat) + sum(max(0, n - each) for n in logged)
    answered = sum(min(n, each) for n in per_chat)
    p95 = percentile([w * 1000 for w in waits], 95)
    return LoadResult(len(plan), len(plan) * each, answered, doubled, seconds, p95, direct_rate)


def _receive(conn, process) -> object:
    """The other side's next message; an error if it died first."""
    while not conn.poll(0.5):
        if not process.is_alive():
            raise RuntimeError(f"the Telegram side exited with code {process.exitcode}")
    return conn.recv()


async def _logged(work: Path, users: list[int]) -> list[int]:
    records = await Records.open(f"sqlite+aiosqlite:///{work / 'load-records.sqlite'}")
    try:
        since = datetime.now(UTC) - timedelta(hours=1)
        return [await records.count_questions(u, since) for u in users]
    finally:
        await records.close()


def _telegram_side(conn, plan: dict[int, list[str]]) -> None:
    """The other process: the Bot API stand-in and the trainees who use it."""
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    asyncio.run(_trainees(conn, plan))


async def _trainees(conn, plan: dict[int, list[str]]) -> None:
    from tests.standins.telegram import BotApiStandin

    async with BotApiStandin(token=TOKEN, first_update_id=10_000) as api:
        conn.send((api.base_url, api.base_file_url))
        await api.wait_for("setMyCommands", count=2, timeout=120)
        answers: dict[int, asyncio.Queue] = {u: asyncio.Queue() for u in plan}

        def route(call) -> None:  # one listener, not a waiter per trainee woken by every call
            if call.method == "sendMessage" and call.ok:
                queue = answers.get(int(call.params["chat_id"]))
                if queue is not None:
                    queue.put_nowait(call)

        api.on_call(route)
        waits: list[float] = []

        async def trainee(user_id: int, asks: list[str]) -> None:
            for text in asks:
                sent = time.monotonic()
                api.user_message(user_id, text)
                call = await asyncio.wait_for(answers[user_id].get(), timeout=300)
                waits.append(call.at - sent)

        started = time.perf_counter()
        await asyncio.gather(*(trainee(u, asks) for u, asks in plan.items()))
        seconds = time.perf_counter() - started
        await api.wait_idle(quiet=0.5)
        conn.send((seconds, waits, [len(api.sent(u)) for u in plan]))
        await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # the bot stopped
