"""Canonical answers shared by processes: one written, reworded or retired through one chat core
is served as the records say by another core over the same records once SYNC_SECONDS have
passed (two bot processes over PostgreSQL, or a bot and a console over one SQLite file); the
records' version changes with each such change; migration 0011 keeps every answer and dates
its last change; and records that cannot be read leave the other core answering as it was.
On SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text

from bot.bootstrap import open_core
from bot.core import ChatCore
from bot.events import Incoming, Reply
from bot.flows import canonicals
from bot.flows.canonicals import retire, revise
from bot.flows.feedback import save_canonical
from knowledge.records import Records
from knowledge.records.tables import CanonicalRow
from tests.conftest import upgrade_to
from tests.postgres import RecordsDB
from tests.web_harness import ANN, HANDBOOK, LI, cheap_core_parts

pytestmark = pytest.mark.asyncio(loop_scope="session")
ASKED = "Who calibrates the torque wrench?"
REWORDED = "Who calibrates the lab's torque wrench?"
BY_LI = {"editor_id": LI, "editor_name": "李老师"}  # who edits, kept in the history


async def _core(records_db: RecordsDB, home: Path) -> ChatCore:
    """A process's chat core, opened as the bot opens it, over the shared records; its tutor
    answers from the handbook."""
    app, tutor = cheap_core_parts(home)
    core = await open_core(app, await records_db.open())
    core.services.tutor = tutor  # always answers: retrieval shows in the reply
    core.services.policy = replace(core.services.policy, per_minute=100)
    (home / "handbook.md").write_text(HANDBOOK, encoding="utf-8")
    assert not app.ingestor.ingest([home / "handbook.md"]).failed
    return core


@pytest.fixture
async def two(records_db: RecordsDB, tmp_path: Path):
    """Cores A and B over one database, with a trainee and an instructor enrolled."""
    a = await _core(records_db, tmp_path / "a")
    b = await _core(records_db, tmp_path / "b")
    for uid, name, role in ((ANN, "Ann", "trainee"), (LI, "李老师", "instructor")):
        await a.services.records.ensure_user(uid, name=name, role=role, lang="en")
    try:
        yield a, b
    finally:
        await a.services.records.close()
        await b.services.records.close()


async def _ask(core: ChatCore, question: str = ASKED) -> Reply:
    event = Incoming(ANN, question, chat_id=ANN)
    return [r async for r in core.respond(event) if isinstance(r, Reply)][0]


async def _write(core: ChatCore, answer: str = "The lab manager does.") -> int:
    """Ann's question refused, then answered by 李老师 through `core`; the canonical's id."""
    records = core.services.records
    qid = await records.log_question(
        user_id=ANN, chat_id=ANN, question=ASKED, lang="en", answer="The materials don't say.",
        abstained=True, citations=[],
    )  # fmt: skip
    record = await records.question(qid)
    assert record is not None
    canonical, _ = await save_canonical(core.services, record, answer, LI, "李老师")
    assert (await _ask(core)).text.startswith(answer)  # served at once where it was written
    return canonical.id


async def test_written_reworded_and_retired_in_one_core_the_other_serves_it_so(
    two, monkeypatch: pytest.MonkeyPatch
):
    a, b = two
    monkeypatch.setattr(canonicals, "SYNC_SECONDS", 3600.0)
    assert (await _ask(b)).kind == "answer"  # nothing written yet: from the handbook
    cid = await _write(a)
    assert (await _ask(b)).kind == "answer"  # B looked a moment ago: not again before the hour
    monkeypatch.setattr(canonicals, "SYNC_SECONDS", 0.0)
    served = await _ask(b)
    assert served.kind == "canonical" and served.text.startswith("The lab manager does.")

    assert await revise(a.services, cid, REWORDED, "The lab manager, every 90 days.", **BY_LI)
    reworded = await _ask(b, REWORDED)
    assert reworded.kind == "canonical"
    assert reworded.text.startswith("The lab manager, every 90 days.")
    assert (await _ask(b)).kind == "answer"  # the old wording is no longer the question

    assert await retire(a.services, cid)
    back = await _ask(b, REWORDED)
    assert back.kind == "answer" and back.citations  # back to retrieval: from the handbook
    assert not back.text.startswith("The lab manager, every 90 days.")


async def test_a_core_reloads_only_when_the_records_changed(two, monkeypatch: pytest.MonkeyPatch):
    a, b = two
    monkeypatch.setattr(canonicals, "SYNC_SECONDS", 0.0)
    records = b.services.records
    loads = 0
    read = records.canonicals

    async def counted():
        nonlocal loads
        loads += 1
        return await read()

    monkeypatch.setattr(records, "canonicals", counted)
    await _ask(b)
    await _ask(b)
    assert loads == 0  # opened at the records' version, unchanged since
    await _write(a)
    await _ask(b)
    await _ask(b)
    assert loads == 1


async def test_the_records_unreadable_the_other_core_answers_with_what_it_has(
    two, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    a, b = two
    monkeypatch.setattr(canonicals, "SYNC_SECONDS", 0.0)
    cid = await _write(a)
    assert (await _ask(b)).text.startswith("The lab manager does.")
    await revise(a.services, cid, ASKED, "The lab manager, every 90 days.", **BY_LI)
    records = b.services.records
    version = records.canonicals_version

    async def down():
        raise OSError("connection refused")

    monkeypatch.setattr(records, "canonicals_version", down)
    with caplog.at_level(logging.WARNING, logger="bot.flows.canonicals"):
        kept = await _ask(b)
        other = await _ask(b, "When are goggles worn?")
    assert kept.kind == "canonical" and kept.text.startswith("The lab manager does.")
    assert other.kind == "answer" and other.citations
    assert [r.levelno for r in caplog.records if r.name == "bot.flows.canonicals"] == [
        logging.WARNING,
        logging.WARNING,
    ]
    monkeypatch.setattr(records, "canonicals_version", version)  # back up
    assert (await _ask(b)).text.startswith("The lab manager, every 90 days.")


async def test_the_version_changes_with_each_change_to_what_is_served(records: Records):
    await records.ensure_user(ANN, name="Ann", role="trainee")
    versions = [await records.canonicals_version()]
    asked = await records.log_question(
        user_id=ANN, chat_id=ANN, question="Ann's torque wrench?", lang="en", answer="-",
        abstained=True, citations=[],
    )  # fmt: skip
    assert await records.canonicals_version() == versions[-1]  # a question is no change
    first = await records.add_canonical(
        question="Ann's torque wrench?", lang="en", answer="A", author_id=None,
        author_name="Li", source_question_id=asked, standalone=ASKED,
    )  # fmt: skip
    versions.append(await records.canonicals_version())
    await records.edit_canonical(first.id, question=first.question, answer="A", **BY_LI)  # same
    assert await records.canonicals_version() == versions[-1]
    await records.edit_canonical(first.id, question=first.question, answer="B", **BY_LI)
    versions.append(await records.canonicals_version())
    assert await records.forget(ANN)  # the question becomes the standalone one
    versions.append(await records.canonicals_version())
    [kept] = await records.canonicals()
    assert kept.question == ASKED
    second = await records.add_canonical(
        question="Goggles?", lang="en", answer="C", author_id=None, author_name="Li",
        source_question_id=None,
    )  # fmt: skip
    versions.append(await records.canonicals_version())
    assert await records.retire_canonical(second.id)
    versions.append(await records.canonicals_version())
    assert not await records.retire_canonical(second.id)  # retired already: no change
    assert await records.canonicals_version() == versions[-1]
    assert len(set(versions)) == len(versions) == 6
    assert versions[0] == (0, None, None) and versions[-1][:2] == (2, second.id)


async def test_the_migration_keeps_every_canonical_answer_and_dates_its_last_change(
    records_db: RecordsDB,
):
    engine = records_db.engine()
    written = [datetime(2026, 3, d, 9, 30, tzinfo=UTC) for d in (1, 2, 3)]
    retired = datetime(2026, 4, 1, tzinfo=UTC)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(upgrade_to("0010"))
            for n, at in enumerate(written, 1):
                await conn.execute(
                    text(
                        "INSERT INTO canonical_answers (id, question, lang, answer, author_name, "
                        "created_at, standalone, retired_at) "
                        "VALUES (:id, :q, 'en', :a, 'Li', :at, :s, :r)"
                    ),
                    {"id": n, "q": f"Question {n}?", "a": f"Answer {n}.", "at": at,
                     "s": "Standalone?" if n == 1 else None, "r": retired if n == 3 else None},
                )  # fmt: skip
    finally:
        await engine.dispose()
    store = await records_db.open()  # migrates to the newest
    try:
        served = await store.canonicals()
        assert [(c.id, c.question, c.answer, c.created_at, c.standalone) for c in served] == [
            (1, "Question 1?", "Answer 1.", written[0], "Standalone?"),
            (2, "Question 2?", "Answer 2.", written[1], None),
        ]
        assert (await store.canonical(3)).retired_at == retired  # kept, still retired
        async with store.engine.connect() as conn:
            rows = (await conn.execute(select(CanonicalRow).order_by(CanonicalRow.id))).all()
        assert [row.revised_at for row in rows] == written
        assert await store.canonicals_version() == (3, 3, written[2])
    finally:
        await store.close()
