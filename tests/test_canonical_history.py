"""A canonical answer's earlier wordings, on SQLite and PostgreSQL alike: each edit keeps the
wording it replaces with who replaced it, newest first, none for an edit that changes
nothing; the migration keeps every answer; forgetting a person leaves none of their words
in the history, nor their name on the edits they made."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text

from knowledge.records import Records
from knowledge.records.tables import CanonicalRevisionRow
from tests.conftest import upgrade_to
from tests.postgres import RecordsDB
from tests.test_records import ask

pytestmark = pytest.mark.asyncio(loop_scope="session")
LI, ZHAO = 9, 10  # instructors
BY_LI = {"editor_id": LI, "editor_name": "李老师"}
BY_ZHAO = {"editor_id": ZHAO, "editor_name": "赵老师"}


async def _canonical(records: Records, question: str, source: int | None = None, **extra):
    return await records.add_canonical(
        question=question, lang="zh", answer="原来的答案。", author_id=LI, author_name="李老师",
        source_question_id=source, **extra,
    )  # fmt: skip


async def _revisions(records: Records) -> list:
    """Every revision row in the records, whichever answer it belongs to."""
    async with records.engine.connect() as conn:
        query = select(CanonicalRevisionRow).order_by(CanonicalRevisionRow.id)
        return list(await conn.execute(query))


async def test_each_edit_keeps_the_wording_it_replaces_with_its_editor_newest_first(
    records: Records,
):
    first = await _canonical(records, "培训几点开始？")
    assert await records.edit_canonical(
        first.id, question="培训几点开始？", answer="九点。", **BY_LI
    )
    assert await records.edit_canonical(
        first.id, question="培训每天几点开始？", answer="每天九点。", **BY_ZHAO
    )
    newest, oldest = await records.canonical_revisions(first.id)
    assert (newest.question, newest.answer, newest.editor_id, newest.editor_name) == (
        "培训几点开始？", "九点。", ZHAO, "赵老师",
    )  # fmt: skip
    assert (oldest.question, oldest.answer, oldest.editor_id, oldest.editor_name) == (
        "培训几点开始？", "原来的答案。", LI, "李老师",
    )  # fmt: skip
    assert newest.replaced_at >= oldest.replaced_at and newest.replaced_at.tzinfo is UTC
    other = await _canonical(records, "地点在哪里？")
    assert await records.canonical_revisions(other.id) == []  # each answer has its own


async def test_an_edit_that_changes_nothing_keeps_no_revision(records: Records):
    first = await _canonical(records, "培训几点开始？")
    kept = await records.edit_canonical(
        first.id, question=first.question, answer=first.answer, **BY_LI
    )
    assert kept == first
    assert await records.canonical_revisions(first.id) == []
    assert await records.retire_canonical(first.id)
    assert await records.edit_canonical(first.id, question="?", answer="!", **BY_LI) is None
    assert await records.canonical_revisions(first.id) == []  # retired: not edited


async def test_forgetting_leaves_none_of_their_words_in_the_history_nor_their_name(
    records: Records,
):
    await records.ensure_user(1, name="王芳", role="trainee")
    await records.ensure_user(2, name="u2", role="trainee")
    await records.ensure_user(ZHAO, name="赵老师", role="instructor")
    worded = await ask(records, 1, text="我叫王芳，住在园区，明天培训几点开始？")
    bare = await ask(records, 1, text="王芳的证书什么时候发？")
    others = await ask(records, 2, text="培训地点在哪里？")
    reworded = await _canonical(
        records, "我叫王芳，住在园区，明天培训几点开始？", worded, standalone="培训几点开始？"
    )
    await records.edit_canonical(reworded.id, question=reworded.question, answer="九点。", **BY_LI)
    await records.edit_canonical(
        reworded.id, question="培训每天几点开始？", answer="九点。", **BY_LI
    )
    unworded = await _canonical(records, "王芳的证书什么时候发？", bare)  # no standalone
    await records.edit_canonical(unworded.id, question=unworded.question, answer="月底。", **BY_LI)
    kept = await _canonical(records, "培训地点在哪里？", others)
    await records.edit_canonical(kept.id, question=kept.question, answer="三楼。", **BY_ZHAO)

    assert await records.forget(1)
    history = await _revisions(records)
    assert not [r for r in history if "王芳" in r.question or "王芳" in r.answer]
    assert [(r.question, r.answer) for r in await records.canonical_revisions(reworded.id)] == [
        ("培训每天几点开始？", "九点。"),  # the question as the answer itself now stands
        ("培训每天几点开始？", "原来的答案。"),
    ]
    assert await records.canonical_revisions(unworded.id) == []  # no standalone: deleted
    [theirs] = await records.canonical_revisions(kept.id)  # another asker's: untouched
    assert (theirs.question, theirs.editor_name) == ("培训地点在哪里？", "赵老师")

    assert await records.forget(ZHAO)  # an editor forgotten: their name leaves their edits
    [unnamed] = await records.canonical_revisions(kept.id)
    assert (unnamed.question, unnamed.editor_id, unnamed.editor_name) == (
        "培训地点在哪里？", None, None,
    )  # fmt: skip
    [li, _] = await records.canonical_revisions(reworded.id)
    assert (li.editor_id, li.editor_name) == (LI, "李老师")  # others' edits keep theirs


async def test_an_author_forgotten_leaves_their_answers_served_under_no_name(records: Records):
    """The answers a forgotten instructor wrote still serve trainees, signed "an instructor"
    (一位老师) in the reader's language, never with the forgotten person's name."""
    from bot.flows.ask import canonical_text

    await records.ensure_user(LI, name="李老师", role="instructor")
    written = await _canonical(records, "培训几点开始？")
    other = await records.add_canonical(
        question="地点在哪里？", lang="zh", answer="三楼。", author_id=ZHAO, author_name="赵老师",
        source_question_id=None,
    )  # fmt: skip
    assert "李老师" in canonical_text(written, "zh")
    assert await records.forget(LI)
    served = {c.id: c for c in await records.canonicals()}
    assert (served[written.id].author_id, served[written.id].author_name) == (None, "")
    assert "李老师" not in canonical_text(served[written.id], "zh")
    assert "一位老师" in canonical_text(served[written.id], "zh")
    assert "an instructor" in canonical_text(served[written.id], "en")
    assert served[other.id].author_name == "赵老师"  # another author keeps theirs


async def test_the_migration_keeps_every_canonical_answer_and_starts_no_history(
    records_db: RecordsDB,
):
    engine = records_db.engine()
    written = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(upgrade_to("0011"))
            for n in (1, 2, 3):
                await conn.execute(
                    text(
                        "INSERT INTO canonical_answers (id, question, lang, answer, author_name, "
                        "created_at, standalone, retired_at, revised_at) "
                        "VALUES (:id, :q, 'en', :a, 'Li', :at, :s, :r, :at)"
                    ),
                    {"id": n, "q": f"Question {n}?", "a": f"Answer {n}.", "at": written,
                     "s": "Standalone?" if n == 1 else None, "r": written if n == 3 else None},
                )  # fmt: skip
    finally:
        await engine.dispose()
    store = await records_db.open()  # migrates to the newest
    try:
        served = await store.canonicals()
        assert [(c.id, c.question, c.answer, c.standalone) for c in served] == [
            (1, "Question 1?", "Answer 1.", "Standalone?"),
            (2, "Question 2?", "Answer 2.", None),
        ]
        assert (await store.canonical(3)).retired_at == written  # kept, still retired
        assert await _revisions(store) == []
        await store.edit_canonical(2, question="Question 2?", answer="Better.", **BY_LI)
        [before] = await store.canonical_revisions(2)
        assert (before.question, before.answer, before.editor_name) == (
            "Question 2?", "Answer 2.", "李老师",
        )  # fmt: skip
    finally:
        await store.close()
