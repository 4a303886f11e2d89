"""Who may touch which records: ratings by the asker only, forgetting that reaches canonical
answers, and learner data that other accounts on the machine cannot read."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from knowledge.records import Records
from knowledge.records.tables import RatingRow
from tests.test_records import ask, count_rows

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_only_the_asker_can_rate_their_question(records: Records):
    for uid in (1, 2):
        await records.ensure_user(uid, name=f"u{uid}", role="trainee")
    anns = await ask(records, 1)
    assert not await records.rate(anns, 2, helpful=False)  # someone else's question
    assert await records.open_feedback() == []
    assert await count_rows(records, RatingRow) == 0
    assert await records.rate(anns, 1, helpful=False)
    [waiting] = await records.open_feedback()
    assert (waiting.id, waiting.rating) == (anns, False)


async def test_forgetting_rewords_or_unlinks_canonical_answers_to_their_questions(
    records: Records,
):
    for uid in (1, 2):
        await records.ensure_user(uid, name=f"u{uid}", role="trainee")
    worded = await ask(records, 1, text="我叫王芳，住在园区，明天培训几点开始？")
    bare = await ask(records, 1, text="王芳的证书什么时候发？")
    others = await ask(records, 2, text="培训地点在哪里？")
    common = dict(lang="zh", answer="A", author_id=9, author_name="Li")
    reworded = await records.add_canonical(
        question="我叫王芳，住在园区，明天培训几点开始？", source_question_id=worded,
        standalone="培训几点开始？", **common,
    )  # fmt: skip
    unlinked = await records.add_canonical(
        question="王芳的证书什么时候发？", source_question_id=bare, **common
    )
    kept = await records.add_canonical(
        question="培训地点在哪里？", source_question_id=others, standalone="地点？", **common
    )
    assert await records.forget(1)
    after = {c.id: c for c in await records.canonicals()}
    assert (after[reworded.id].question, after[reworded.id].source_question_id) == (
        "培训几点开始？",
        None,
    )
    assert after[unlinked.id].source_question_id is None
    assert (after[kept.id].question, after[kept.id].source_question_id) == (
        "培训地点在哪里？",
        others,
    )


async def test_the_records_file_and_its_folder_are_private(tmp_path: Path):
    folder = tmp_path / "fresh" / "data"
    store = await Records.open(f"sqlite+aiosqlite:///{folder / 'records.sqlite'}")
    try:
        await store.ensure_user(1, name="u", role="trainee")
    finally:
        await store.close()
    assert _mode(folder) == 0o700
    assert _mode(folder / "records.sqlite") == 0o600
    for extra in folder.glob("records.sqlite-*"):  # WAL and shared-memory files, if left
        assert _mode(extra) & 0o077 == 0, extra


async def test_an_existing_world_readable_records_file_is_made_private(tmp_path: Path):
    path = tmp_path / "records.sqlite"
    path.touch(mode=0o644)
    path.chmod(0o644)
    store = await Records.open(f"sqlite+aiosqlite:///{path}")
    await store.close()
    assert _mode(path) == 0o600


async def test_a_new_data_directory_is_private(make_app, tmp_path: Path):
    home = tmp_path / "new-home"
    make_app(home=home)
    assert _mode(home) == 0o700
