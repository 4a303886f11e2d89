"""Quizzes in the records store: the bank, sessions, answers, mastery and reviews, on both DBs."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from knowledge.learning.mastery import START
from knowledge.learning.practice import record_answer
from knowledge.records import PollRef, Records
from knowledge.records.tables import (
    AttemptRow,
    MasteryRow,
    PollRow,
    QuizSessionRow,
    ReviewCardRow,
)
from tests.conftest import upgrade_to
from tests.postgres import RecordsDB
from tests.test_mastery import question
from tests.test_records import HEAD

pytestmark = pytest.mark.asyncio(loop_scope="session")

BANK = [
    question("a", ("c1",), level=1),
    question("b", ("c1", "c2"), level=2, kind="multiple", options=("x", "y", "z"), answer=(0, 2)),
    question("c", ("c2",), level=3, kind="short", options=(), answer=(), accepted=("GB/T 1.1",)),
]


async def count(store: Records, table: type, **where: object) -> int:
    query = select(func.count()).select_from(table)
    for name, value in where.items():
        query = query.where(getattr(table, name) == value)
    async with store.engine.connect() as conn:
        return (await conn.execute(query)).scalar_one()


async def ready(store: Records, *users: int) -> None:
    await store.upsert_items(BANK)
    for uid in users or (1,):
        await store.ensure_user(uid, name=f"u{uid}", role="trainee")


async def answer(store: Records, session_id: int, item_id: str, response, user_id: int = 1):
    return await record_answer(
        store,
        session_id=session_id,
        item_id=item_id,
        user_id=user_id,
        response=response,
        seconds=4.5,
    )


async def ask(store: Records, user_id: int = 1, item_id: str = "a", size: int = 3) -> int:
    quiz = await store.start_session(user_id, size)
    await store.set_current(quiz.id, item_id, datetime.now(UTC))
    return quiz.id


async def test_importing_the_bank_twice_updates_by_id(records: Records):
    assert await records.upsert_items(BANK) == (3, 0)
    assert await records.items() == BANK
    changed = [replace(q, stem=f"Changed {q.id}?", level=q.level + 1) for q in BANK]
    assert await records.upsert_items(changed) == (0, 3)
    assert await records.items() == changed
    assert await records.item("b") == changed[1] and await records.item("zz") is None


async def test_a_session_records_answers_mastery_reviews_and_the_score(records: Records):
    await ready(records)
    quiz = await records.start_session(1, 2, focus=["c1"])
    assert (quiz.size, quiz.focus, quiz.asked, quiz.current) == (2, ("c1",), (), None)
    assert await records.open_session(1) == quiz
    sent = datetime.now(UTC)
    current = await records.set_current(quiz.id, "b", sent)
    assert (current.asked, current.current, current.sent_at) == (("b",), "b", sent)
    assert await records.toggle_option(quiz.id, 2) == (2,)
    assert await records.toggle_option(quiz.id, 0) == (0, 2)
    assert await records.toggle_option(quiz.id, 1) == (0, 1, 2)
    assert await records.toggle_option(quiz.id, 1) == (0, 2)
    right = await answer(records, quiz.id, "b", (2, 0))
    assert (right.correct, right.score, right.answered, right.finished) == (True, 1, 1, False)
    assert set(right.mastery) == {"c1", "c2"} and right.mastery["c1"] > START
    after = await records.session(quiz.id)
    assert (after.current, after.selected) == (None, ())
    await records.set_current(quiz.id, "c", datetime.now(UTC))
    wrong = await answer(records, quiz.id, "c", "GB/T 2")
    assert (wrong.correct, wrong.score, wrong.answered, wrong.finished) == (False, 1, 2, True)
    assert wrong.mastery["c2"] < right.mastery["c2"]
    mastery = await records.mastery(1)
    assert {c: m.attempts for c, m in mastery.items()} == {"c1": 1, "c2": 2}
    assert mastery["c2"].score == wrong.mastery["c2"]
    assert (await records.session(quiz.id)).finished_at is not None
    assert await records.open_session(1) is None
    assert await count(records, ReviewCardRow, user_id=1) == 2
    [first, second] = await records.attempts_of(1)
    assert (first.item_id, first.response, first.correct, first.seconds) == ("b", (2, 0), True, 4.5)
    assert (second.response, second.correct, second.session_id) == ("GB/T 2", False, quiz.id)


async def test_starting_a_session_finishes_the_open_one(records: Records):
    await ready(records)
    first = await records.start_session(1, 5)
    second = await records.start_session(1, 5)
    assert (await records.session(first.id)).finished_at is not None
    assert await records.open_session(1) == second
    await records.finish_session(second.id)
    assert await records.open_session(1) is None
    starts = await asyncio.gather(*(records.start_session(1, 5) for _ in range(5)))
    assert await records.open_session(1) == max(starts, key=lambda q: q.id)
    assert await count(records, QuizSessionRow, finished_at=None) == 1
    with pytest.raises(LookupError):
        await records.start_session(404, 5)
    with pytest.raises(LookupError):
        await records.set_current(10_000, "a", datetime.now(UTC))


async def test_an_answer_counts_once(records: Records):
    await ready(records)
    quiz = await ask(records)
    assert (await answer(records, quiz, "a", (0,))).correct
    assert await answer(records, quiz, "a", (1,)) is None
    assert await count(records, AttemptRow) == 1
    assert (await records.mastery(1))["c1"].attempts == 1


async def test_five_copies_of_one_answer_at_once_record_one_attempt(records: Records):
    await ready(records)
    quiz = await ask(records)
    results = await asyncio.gather(*(answer(records, quiz, "a", (0,)) for _ in range(5)))
    assert sum(r is not None for r in results) == 1
    assert await count(records, AttemptRow) == 1
    assert (await records.mastery(1))["c1"].attempts == 1


async def test_fifty_answers_at_once_are_all_counted(records: Records):
    await ready(records)
    sessions = [await ask(records, size=1) for _ in range(50)]
    results = await asyncio.gather(
        *(answer(records, sid, "a", (i % 2,)) for i, sid in enumerate(sessions))
    )
    assert all(r is not None and r.finished for r in results)
    assert await count(records, AttemptRow, user_id=1) == 50
    assert (await records.mastery(1))["c1"].attempts == 50
    assert await count(records, ReviewCardRow) == 1


async def test_answers_that_do_not_belong_are_refused(records: Records):
    await ready(records, 1, 2)
    quiz = await ask(records, item_id="a")
    assert await answer(records, 10_000, "a", (0,)) is None  # no such session
    assert await answer(records, quiz, "b", (0, 2)) is None  # never asked in it
    assert await answer(records, quiz, "a", (0,), user_id=2) is None  # someone else's
    await records.set_current(quiz, "b", datetime.now(UTC))
    late = await answer(records, quiz, "a", (0,))  # a late poll answer still counts
    assert late is not None and (await records.session(quiz)).current == "b"
    assert await count(records, AttemptRow) == 1


async def test_retired_items_are_not_offered_but_their_attempts_stay(records: Records):
    await ready(records)
    quiz = await ask(records)
    await answer(records, quiz, "a", (1,))
    later = datetime.now(UTC) + timedelta(days=2)
    assert await records.due_items(1, later) == ["a"]
    assert await records.set_item_status("a", "retired")
    assert not await records.set_item_status("zz", "retired")
    with pytest.raises(ValueError, match="status"):
        await records.set_item_status("a", "gone")
    assert [q.id for q in await records.items()] == ["b", "c"]
    assert [q.id for q in await records.items("retired")] == ["a"]
    assert len(await records.items(None)) == 3
    assert await records.due_items(1, later) == []
    assert [a.item_id for a in await records.attempts_of(1)] == ["a"]


async def test_a_wrong_answer_is_due_again_within_a_day(records: Records):
    await ready(records)
    quiz = await ask(records, item_id="a")
    await answer(records, quiz, "a", (1,))
    await records.set_current(quiz, "c", datetime.now(UTC))
    await answer(records, quiz, "c", " gb/t  1.1 ")
    now = datetime.now(UTC)
    assert await records.due_items(1, now) == []
    assert await records.due_items(1, now + timedelta(days=1, minutes=1)) == ["a"]
    assert await records.due_items(1, now + timedelta(days=30)) == ["a", "c"]


async def test_the_last_session_is_the_latest_that_asked_anything(records: Records):
    await ready(records, 1, 2)
    assert await records.last_session(1) is None
    first = await ask(records, item_id="a")
    second = await ask(records, item_id="b")
    empty = (await records.start_session(1, 3)).id  # nothing asked in it yet
    await ask(records, user_id=2, item_id="c")  # someone else's
    assert (await records.last_session(1)).id == second
    assert (await records.last_session(1, before=empty)).asked == ("b",)
    assert (await records.last_session(1, before=second)).id == first
    assert await records.last_session(1, before=first) is None


async def test_next_due_is_the_first_review_still_to_come(records: Records):
    await ready(records)
    now = datetime.now(UTC)
    assert await records.next_due(1, now) is None
    quiz = await ask(records, item_id="a")
    await answer(records, quiz, "a", (1,))  # wrong: back within a day
    await records.set_current(quiz, "c", datetime.now(UTC))
    await answer(records, quiz, "c", "GB/T 1.1")  # right: later
    soon = await records.next_due(1, now)
    assert soon is not None and now < soon <= now + timedelta(days=1, minutes=1)
    later = await records.next_due(1, now, ["c"])
    assert later is not None and later > soon
    assert await records.next_due(1, soon) == later  # due at `soon` is no longer to come
    assert await records.next_due(1, now, []) is None
    await records.set_item_status("c", "retired")
    assert await records.next_due(1, soon) is None


async def test_polls_are_kept_by_id(records: Records):
    await ready(records)
    quiz = await ask(records)
    ref = PollRef("p1", 1, quiz, "a", chat_id=-100, message_id=None)
    await records.save_poll(ref)
    assert await records.poll("p1") == ref and await records.poll("p2") is None


async def test_forget_removes_everything_quiz_related(records: Records):
    await ready(records, 1, 2)
    for uid in (1, 2):
        quiz = await ask(records, uid)
        await records.save_poll(PollRef(f"p{uid}", uid, quiz, "a", uid, None))
        await answer(records, quiz, "a", (0,), user_id=uid)
    assert await records.forget(1)
    for table in (QuizSessionRow, AttemptRow, MasteryRow, ReviewCardRow):
        assert await count(records, table, user_id=1) == 0
        assert await count(records, table, user_id=2) == 1
    assert await records.poll("p1") is None and await records.poll("p2") is not None
    assert len(await records.items()) == 3


async def test_migration_0002_upgrades_a_0001_database_keeping_its_users(records_db: RecordsDB):
    engine = records_db.engine()
    try:
        async with engine.begin() as conn:
            await conn.run_sync(upgrade_to("0001"))
            lin = "INSERT INTO users (id, name, role) VALUES (7, 'Lin', 'admin')"
            await conn.execute(text(lin))
    finally:
        await engine.dispose()
    store = await records_db.open()
    try:
        async with store.engine.connect() as conn:
            version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
        assert version == [(HEAD,)]
        assert (await store.user(7)).name == "Lin"
        await store.upsert_items(BANK)
        quiz = await ask(store, 7)
        assert (await answer(store, quiz, "a", (0,), user_id=7)).correct
        assert await count(store, PollRow) == 0
    finally:
        await store.close()
