"""The learner-records store, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import func, insert, inspect, select, text, update

from knowledge.people import InviteError
from knowledge.records import Records
from knowledge.records.engine import MIGRATIONS
from knowledge.records.tables import ProcessedUpdateRow, QuestionRow, RatingRow
from tests.postgres import RecordsDB

pytestmark = pytest.mark.asyncio(loop_scope="session")

TABLES = {
    "users", "invites", "questions", "ratings", "canonical_answers", "processed_updates",
    "in_flight", "identities", "mastery_history",
}  # fmt: skip
SOON = datetime.now(UTC) + timedelta(days=30)
HEAD = ScriptDirectory(str(MIGRATIONS)).get_current_head()  # the newest migration


async def invite(store: Records, max_uses: int = 1, **overrides):
    values = dict(role="trainee", cohort="2025-spring", category="research", max_uses=max_uses)
    values |= dict(expires_at=SOON, created_by=1) | overrides
    return await store.create_invite(**values)


async def ask(store: Records, user_id: int, abstained: bool = False, text: str = "q") -> int:
    return await store.log_question(
        user_id=user_id, chat_id=user_id, question=text, lang="en", answer="a",
        abstained=abstained, citations=[{"doc": "GB/T 1.1", "page": 3}],
    )  # fmt: skip


async def count_rows(store: Records, table: type) -> int:
    async with store.engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(table))).scalar_one()


async def test_migrations_build_the_schema_and_reopening_changes_nothing(records_db: RecordsDB):
    store = await records_db.open()
    try:
        async with store.engine.connect() as conn:
            names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
            indexed = await conn.run_sync(lambda c: inspect(c).get_indexes("questions"))
            version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
        assert TABLES | {"alembic_version"} <= names
        assert {tuple(i["column_names"]) for i in indexed} >= {("user_id",), ("created_at",)}
        assert version == [(HEAD,)]
        await store.ensure_user(7, name="Lin", role="admin", lang="zh")
    finally:
        await store.close()
    store = await records_db.open()
    try:
        assert (await store.user(7)).role == "admin"
        async with store.engine.connect() as conn:
            again = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
        assert again == [(HEAD,)]
    finally:
        await store.close()


async def test_records_survive_close_and_reopen(records_db: RecordsDB):
    store = await records_db.open()
    await store.ensure_user(1, name="Wang", role="trainee", lang="zh")
    code = (await invite(store, max_uses=3)).code
    question = await ask(store, 1, abstained=True)
    await store.rate(question, 1, helpful=False)
    await store.add_canonical(
        question="q", lang="en", answer="A", author_id=None, author_name="Li",
        source_question_id=None,
    )  # fmt: skip
    await store.claim_update(99)
    await store.close()
    store = await records_db.open()
    try:
        assert (await store.user(1)).created_at.tzinfo is UTC
        assert [i.code for i in await store.invites()] == [code]
        kept = await store.question(question)
        assert (kept.rating, kept.citations) == (False, [{"doc": "GB/T 1.1", "page": 3}])
        assert [c.author_name for c in await store.canonicals()] == ["Li"]
        assert not await store.claim_update(99)
    finally:
        await store.close()


async def test_an_invite_enrols_with_its_role_cohort_and_category(records: Records):
    made = await invite(records, max_uses=2, role="instructor", category="editorial")
    assert re.fullmatch(r"[A-Za-z0-9_-]{12,16}", made.code) and made.active
    user = await records.redeem(made.code, user_id=5, name="Zhao", lang="zh")
    assert (user.role, user.cohort, user.category, user.lang) == (
        "instructor", "2025-spring", "editorial", "zh",
    )  # fmt: skip
    again = await records.redeem(made.code, user_id=5, name="Zhao", lang="zh")
    assert again == user
    assert (await records.invites())[0].uses == 1  # the second redemption took nothing


async def test_invites_that_cannot_be_redeemed_say_why(records: Records):
    expired = await invite(records, expires_at=datetime.now(UTC) - timedelta(minutes=1))
    used = await invite(records)
    await records.redeem(used.code, user_id=1, name="first", lang=None)
    revoked = await invite(records)
    assert await records.revoke(revoked.code) and not await records.revoke("nope")
    cases = {"unknown": "no-such-code", "expired": expired.code, "used_up": used.code}
    for reason, code in (cases | {"revoked": revoked.code}).items():
        with pytest.raises(InviteError) as caught:
            await records.redeem(code, user_id=2, name="second", lang="en")
        assert caught.value.reason == reason
    assert await records.user(2) is None
    assert await records.invites() == []
    assert len(await records.invites(active_only=False)) == 3


async def test_a_one_use_invite_enrols_exactly_one_of_twenty_at_once(records: Records):
    code = (await invite(records, cohort="rush")).code
    results = await asyncio.gather(
        *(records.redeem(code, user_id=100 + i, name=f"u{i}", lang=None) for i in range(20)),
        return_exceptions=True,
    )
    errors = [r for r in results if isinstance(r, InviteError)]
    assert len(errors) == 19 and {e.reason for e in errors} == {"used_up"}
    assert len(await records.users(cohort="rush")) == 1
    assert (await records.invites(active_only=False))[0].uses == 1


async def test_people_are_validated_and_never_downgraded(records: Records):
    await records.ensure_user(1, name="Admin", role="admin")
    assert (await records.ensure_user(1, name="x", role="trainee")).role == "admin"
    assert (await records.ensure_user(2, name="T", role="trainee")).role == "trainee"
    assert (await records.ensure_user(2, name="T", role="instructor")).role == "instructor"
    updated = await records.update_user(2, cohort="c1", category="education", pending='{"a":1}')
    assert (updated.cohort, updated.category, updated.pending) == ("c1", "education", '{"a":1}')
    assert (await records.update_user(2, pending=None)).pending is None
    assert await records.update_user(404, name="ghost") is None
    assert [u.id for u in await records.users(role="admin")] == [1]
    with pytest.raises(ValueError, match="role"):
        await records.ensure_user(3, name="x", role="overlord")
    with pytest.raises(ValueError, match="category"):
        await invite(records, category="astrology")
    with pytest.raises(ValueError, match="lang"):
        await records.update_user(2, lang="fr")
    with pytest.raises(TypeError):
        await records.update_user(2, id=9)


async def test_forget_removes_only_that_persons_questions_and_ratings(records: Records):
    for uid in (1, 2):
        await records.ensure_user(uid, name=f"u{uid}", role="trainee")
    mine, theirs = await ask(records, 1), await ask(records, 2)
    await records.rate(mine, 1, helpful=True)
    await records.rate(theirs, 2, helpful=False)
    await records.rate(theirs, 1, helpful=True)
    source = await records.add_canonical(
        question="q", lang="en", answer="A", author_id=2, author_name="u2",
        source_question_id=mine,
    )  # fmt: skip
    assert await records.forget(1) and not await records.forget(1)
    assert await records.user(1) is None and await records.question(mine) is None
    assert (await records.question(theirs)).rating is False
    assert await count_rows(records, RatingRow) == 1
    assert await count_rows(records, QuestionRow) == 1
    [kept] = await records.canonicals()
    assert (kept.id, kept.source_question_id) == (source.id, None)


async def test_a_second_rating_replaces_the_first(records: Records):
    await records.ensure_user(1, name="u", role="trainee")
    question = await ask(records, 1)
    assert await records.rate(question, 1, helpful=True)
    assert await records.rate(question, 1, helpful=False)
    assert (await records.question(question)).rating is False
    assert await count_rows(records, RatingRow) == 1
    assert not await records.rate(question + 1000, 1, helpful=True)


async def test_open_feedback_lists_unanswered_problems_newest_first(records: Records):
    await records.ensure_user(1, name="u", role="trainee")
    refused = await ask(records, 1, abstained=True, text="refused")
    liked = await ask(records, 1, text="liked")
    await ask(records, 1, text="unrated")
    disliked = await ask(records, 1, text="disliked")
    await records.rate(liked, 1, helpful=True)
    await records.rate(disliked, 1, helpful=False)
    assert [q.id for q in await records.open_feedback()] == [disliked, refused]
    assert [q.id for q in await records.open_feedback(limit=1)] == [disliked]
    await records.add_canonical(
        question="disliked", lang="en", answer="Better.", author_id=9, author_name="Li",
        source_question_id=disliked,
    )  # fmt: skip
    [left] = await records.open_feedback()
    assert (left.id, left.abstained, left.rating) == (refused, True, None)


async def test_count_questions_counts_one_persons_recent_questions(records: Records):
    for uid in (1, 2):
        await records.ensure_user(uid, name=f"u{uid}", role="trainee")
    old, *_ = [await ask(records, 1) for _ in range(3)]
    await ask(records, 2)
    async with records.engine.begin() as conn:
        two_days_ago = datetime.now(UTC) - timedelta(days=2)
        await conn.execute(
            update(QuestionRow).where(QuestionRow.id == old).values(created_at=two_days_ago)
        )
    now = datetime.now(UTC)
    assert await records.count_questions(1, now - timedelta(days=1)) == 2
    assert await records.count_questions(1, now - timedelta(days=3)) == 3
    assert await records.count_questions(1, now + timedelta(seconds=1)) == 0


async def test_an_update_is_claimed_once_even_under_concurrency(records_db: RecordsDB):
    store = await records_db.open()
    try:
        claims = await asyncio.gather(*(store.claim_update(42) for _ in range(20)))
        assert claims.count(True) == 1
        assert await store.claim_update(43)
        async with store.engine.begin() as conn:
            stale = datetime.now(UTC) - timedelta(days=8)
            await conn.execute(insert(ProcessedUpdateRow).values(update_id=7, created_at=stale))
    finally:
        await store.close()
    store = await records_db.open()  # a fresh store prunes on its first claim
    try:
        assert await store.claim_update(44)
        assert await count_rows(store, ProcessedUpdateRow) == 3
        assert await store.claim_update(7)
    finally:
        await store.close()


async def test_a_dropped_postgresql_connection_is_replaced_before_use():
    """After the server drops the pool's connection, the next read just works."""
    import asyncpg
    from sqlalchemy import text

    from tests.postgres import POSTGRES_URL, postgres_schema

    async with postgres_schema() as schema:
        records = await Records.open(POSTGRES_URL, schema=schema)
        try:
            async with records.engine.connect() as conn:  # the pool's one connection
                pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            admin = await asyncpg.connect(POSTGRES_URL)
            try:
                assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
            finally:
                await admin.close()
            assert await records.user(1) is None  # no error: the dead connection was replaced
        finally:
            await records.close()


async def test_a_persons_last_questions_survive_reopening_and_stay_few(records_db: RecordsDB):
    store = await records_db.open()
    try:
        await store.ensure_user(7, name="Lin", role="trainee")
        for question in ("ISO 是什么？", "DIS 阶段多长？", "IEC呢？", "CDV 呢？"):
            await store.remember_question(7, question, keep=3)
        await store.remember_question(99, "nobody's", keep=3)  # no such person: nothing kept
    finally:
        await store.close()
    store = await records_db.open()
    try:
        assert await store.recent_questions(7) == ("DIS 阶段多长？", "IEC呢？", "CDV 呢？")
        assert await store.recent_questions(99) == ()
        assert await store.forget(7) and await store.recent_questions(7) == ()
    finally:
        await store.close()


async def test_work_in_flight_survives_reopening_and_each_leftover_is_taken_once(
    records_db: RecordsDB,
):
    store = await records_db.open()
    try:
        await store.ensure_user(7, name="Lin", role="trainee", lang="zh")
        await store.ensure_user(8, name="Ann", role="instructor", lang="en")
        asked = await store.begin_work(
            user_id=7, chat_id=-100, kind="question", about="DIS 阶段多长？", lang="zh"
        )
        loading = await store.begin_work(
            user_id=8, chat_id=8, kind="upload", about="notes.md", lang="en"
        )
        done = await store.begin_work(user_id=7, chat_id=7, kind="question", about="x", lang="zh")
        assert await store.finish_work(done) and not await store.finish_work(done)
        with pytest.raises(ValueError):
            await store.begin_work(user_id=7, chat_id=7, kind="nap", about="", lang="zh")
    finally:
        await store.close()
    store = await records_db.open()  # a restart: what was not finished is still there
    try:
        left = await store.work_in_flight()
        assert [(w.id, w.user_id, w.chat_id, w.kind, w.about, w.lang) for w in left] == [
            (asked, 7, -100, "question", "DIS 阶段多长？", "zh"),
            (loading, 8, 8, "upload", "notes.md", "en"),
        ]
        assert all(w.started_at.tzinfo is UTC for w in left)
        assert await store.work_in_flight(before=left[0].started_at) == []
        now = datetime.now(UTC) + timedelta(seconds=1)
        taken, again = await asyncio.gather(
            store.take_leftover_work(now), store.take_leftover_work(now)
        )
        assert sorted(w.id for w in taken + again) == [asked, loading]  # each taken once
        assert await store.take_leftover_work(now) == [] and await store.work_in_flight() == []
        later = await store.begin_work(user_id=8, chat_id=8, kind="upload", about="a", lang="en")
        assert await store.forget(8) and await store.work_in_flight() == []  # theirs went too
        assert not await store.finish_work(later)
    finally:
        await store.close()
