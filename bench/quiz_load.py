"""Quiz records under load: many trainees answering at once, and a large cohort's report.

`record_load`: every trainee answers one question at the same moment, each answer sent twice
(a double tap), through `knowledge.learning.practice.record_answer`. Reported: answers
recorded (each exactly once), throughput and p95 time to record, beside the same answers
recorded one at a time.

`report_load`: a synthetic cohort (trainees x answers) is bulk-loaded, COPY on PostgreSQL,
then the cohort report and the item analysis are timed (median of 3) against the 2-second
target. Single-choice items, each answered once; mastery drawn from each trainee's ability.

    python -m bench.quiz_load [--quick] [--url postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import secrets
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from sqlalchemy import Table, func, select, text

from knowledge.answering.evaluation import percentile
from knowledge.learning import mastery as elo
from knowledge.learning.model import load_model
from knowledge.learning.practice import record_answer
from knowledge.learning.questions import Question
from knowledge.learning.reports import cohort_report
from knowledge.records import Records
from knowledge.records.tables import AttemptRow, MasteryRow, UserRow
from knowledge.vocabulary import CATEGORIES

TARGET_SECONDS = 2.0  # a cohort report, however large the cohort
QUICK_RECORD = 20  # trainees in the quick (test) runs
QUICK_REPORT = (60, 20)  # trainees, answers each
FIRST_ID = 9_000_000
CHUNK = 5000


def _question(item_id: str, competency: str, level: int) -> Question:
    options = ("A", "B", "C", "D")
    return Question(
        item_id, "en", "single", f"Question {item_id}?", options, (level % 4,), (), "", "",
        "bench.md", "", (competency,), level, "remember",
    )  # fmt: skip


async def _add_trainees(records: Records, count: int) -> list[int]:
    ids = list(range(FIRST_ID, FIRST_ID + count))
    rows = [
        dict(id=u, name=f"trainee {u}", role="trainee", cohort=f"c{u % 10}",
             category=CATEGORIES[u % len(CATEGORIES)], lang="en", created_at=datetime.now(UTC))
        for u in ids
    ]  # fmt: skip
    await _bulk(records, UserRow.__table__, rows)
    return ids


async def _bulk(records: Records, table: Table | Any, rows: list[dict[str, Any]]) -> None:
    """Insert many rows: COPY on PostgreSQL, chunked executemany on SQLite."""
    if not rows:
        return
    if records.engine.dialect.name == "postgresql":
        async with records.engine.connect() as conn:
            raw = (await conn.get_raw_connection()).driver_connection
            columns = list(rows[0])
            records_ = [tuple(r[c] for c in columns) for r in rows]
            await raw.copy_records_to_table(table.name, records=records_, columns=columns)
        return
    async with records.engine.begin() as conn:
        for start in range(0, len(rows), CHUNK):
            await conn.execute(table.insert(), rows[start : start + CHUNK])


async def _ready(records: Records, users: list[int], item_id: str) -> dict[int, int]:
    """A fresh session per trainee with the item sent; user id -> session id."""

    async def one(user_id: int) -> tuple[int, int]:
        session = await records.start_session(user_id, 1)
        await records.set_current(session.id, item_id, datetime.now(UTC))
        return user_id, session.id

    return dict(await asyncio.gather(*(one(u) for u in users)))


async def _answer(records: Records, user_id: int, session_id: int, item_id: str) -> tuple:
    started = time.perf_counter()
    result = await record_answer(
        records, session_id=session_id, item_id=item_id, user_id=user_id, response=(1,), seconds=8.5
    )
    return result, time.perf_counter() - started


async def _stored(records: Records, sessions: dict[int, int]) -> int:
    query = select(func.count()).where(AttemptRow.session_id.in_(list(sessions.values())))
    async with records.engine.connect() as conn:
        return int((await conn.execute(query)).scalar_one())


async def record_load(url: str, schema: str | None = None, trainees: int = 500) -> list[str]:
    """Printable lines: `trainees` answering at once (each twice) vs one at a time."""
    records = await Records.open(url, schema=schema)
    try:
        item = _question("bench-record", load_model().leaves()[0].id, 2)
        await records.upsert_items([item])
        users = await _add_trainees(records, trainees)
        sessions = await _ready(records, users, item.id)
        calls = [_answer(records, u, sessions[u], item.id) for u in users for _ in (1, 2)]
        started = time.perf_counter()
        burst = await asyncio.gather(*calls)
        burst_seconds = time.perf_counter() - started
        stored = await _stored(records, sessions)
        accepted = sum(result is not None for result, _ in burst)
        again = await _ready(records, users, item.id)
        started = time.perf_counter()
        alone = [await _answer(records, u, again[u], item.id) for u in users]
        alone_seconds = time.perf_counter() - started
        name = records.engine.dialect.name
    finally:
        await records.close()
    rate, base = trainees / burst_seconds, trainees / alone_seconds
    p95 = percentile([s * 1000 for _, s in burst], 95)
    p95_alone = percentile([s * 1000 for _, s in alone], 95)
    return [
        f"record load ({name}): {trainees} trainees answering at once, each answer sent twice",
        f"  recorded {stored} of {trainees}, lost {max(0, trainees - stored)}, "
        f"doubled {max(0, max(stored, accepted) - trainees)}",
        f"  throughput        {rate:7.1f} answers/s   one at a time {base:7.1f} answers/s   "
        f"ratio {rate / base:.2f}",
        f"  time to record    p95 {p95:7.1f} ms   one at a time p95 {p95_alone:6.1f} ms   "
        f"ratio {p95 / p95_alone:.2f}",
    ]


def _synthetic(users: list[int], bank: list[Question], answers: int, leaves: list[str]):
    """Attempt and mastery rows: each trainee's ability drives their answers and mastery."""
    rng, start = random.Random(11), datetime(2025, 3, 1, tzinfo=UTC)
    attempts, mastery = [], []
    for user_id in users:
        ability = min(5.0, max(0.0, rng.gauss(2.5, 1.0)))
        for n, q in enumerate(rng.sample(bank, answers)):
            right = rng.random() < elo.expected(ability, q.level)
            pick = q.answer[0] if right else (q.answer[0] + rng.randint(1, 3)) % 4
            attempts.append(
                dict(user_id=user_id, item_id=q.id, session_id=None, response=f"[{pick}]",
                     correct=right, seconds=rng.uniform(4, 60),
                     answered_at=start + timedelta(minutes=n, seconds=user_id % 3600))
            )  # fmt: skip
        for c in leaves:
            score = min(5.0, max(0.0, ability + rng.gauss(0, 0.6)))
            mastery.append(dict(user_id=user_id, competency=c, score=score, attempts=answers // 7,
                                updated_at=start))  # fmt: skip
    return attempts, mastery


async def _timed(work: Any, runs: int = 1) -> tuple[Any, float]:
    """The result and the median seconds of `runs` runs of `work` (a coroutine function)."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        found = await work()
        times.append(time.perf_counter() - started)
    return found, sorted(times)[len(times) // 2]


async def report_load(
    url: str, schema: str | None = None, trainees: int = 10_000, answers: int = 100
) -> list[str]:
    """Printable lines: a cohort report over `trainees` x `answers` against 2 seconds."""
    model = load_model()
    leaves = [c.id for c in model.leaves()]
    records = await Records.open(url, schema=schema)
    try:
        size = max(2 * answers, 4 * len(leaves))
        bank = [
            _question(f"bench-{n:04d}", leaves[n % len(leaves)], 1 + n // 7 % 5)
            for n in range(size)
        ]
        await records.upsert_items(bank)
        users = await _add_trainees(records, trainees)
        attempts, mastery = _synthetic(users, bank, answers, leaves)
        _, load_seconds = await _timed(lambda: _load(records, attempts, mastery))
        report, report_seconds = await _timed(lambda: cohort_report(records, model), 3)
        _, items_seconds = await _timed(records.item_stats, 3)
        _, one_seconds = await _timed(lambda: cohort_report(records, model, "c1"), 3)
        name = records.engine.dialect.name
    finally:
        await records.close()
    rows = len(attempts) + len(mastery)

    def line(label: str, seconds: float) -> str:
        return (f"  {label:<26}{seconds:6.2f} s   target {TARGET_SECONDS:.0f} s   "
                f"ratio {seconds / TARGET_SECONDS:.2f}")  # fmt: skip

    return [
        f"report load ({name}): {trainees} trainees x {answers} answers = "
        f"{report.attempts} attempts, {len(report.items)} items",
        f"  bulk load                 {load_seconds:6.2f} s   ({rows / load_seconds:.0f} rows/s)",
        line("cohort report (all)", report_seconds),
        line("item stats (all)", items_seconds),
        line("cohort report (1 cohort)", one_seconds),
    ]


async def _load(records: Records, attempts: list[dict], mastery: list[dict]) -> None:
    await _bulk(records, AttemptRow.__table__, attempts)
    await _bulk(records, MasteryRow.__table__, mastery)
    if records.engine.dialect.name == "postgresql":
        async with records.engine.connect() as conn:
            await conn.execute(text("ANALYZE"))
            await conn.commit()


@asynccontextmanager
async def _database(url: str) -> AsyncIterator[tuple[str, str | None]]:
    """A throwaway PostgreSQL schema, or a SQLite file in a temporary folder."""
    if not url.startswith("postgres"):
        with tempfile.TemporaryDirectory(prefix="stdtutor-quiz-load-") as folder:
            yield f"sqlite:///{folder}/records.sqlite", None
        return
    schema = f"bench_{secrets.token_hex(4)}"
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
        yield url, schema
    finally:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await conn.close()


async def _main(url: str, quick: bool) -> None:
    record_sizes = {"trainees": QUICK_RECORD} if quick else {}
    report_sizes = dict(trainees=QUICK_REPORT[0], answers=QUICK_REPORT[1]) if quick else {}
    async with _database(url) as (where, schema):
        print("\n".join(await record_load(where, schema, **record_sizes)), flush=True)
    async with _database(url) as (where, schema):
        print("\n".join(await report_load(where, schema, **report_sizes)), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--url", default="postgresql://postgres@127.0.0.1:5432/test", help="or sqlite"
    )
    parser.add_argument("--quick", action="store_true", help="a tiny run (tests the harness)")
    args = parser.parse_args(argv)
    asyncio.run(_main(args.url, args.quick))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
