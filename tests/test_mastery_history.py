"""Mastery over time: every mastery value written is appended to `mastery_history` in the same
transaction (once per answer, however often the answer arrives), migration 0010 gives
existing mastery a starting point, forgetting or removing a person leaves none of it, and a
trainee's page charts it in the reader's language. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import re
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from matplotlib.figure import Figure
from sqlalchemy import func, inspect, select, text

from bot.core import ChatCore
from bot.events import Incoming, QuizPrompt, Reply
from bot.services import Services
from knowledge.answering.canonical import CanonicalIndex
from knowledge.learning import charts
from knowledge.learning.model import load_model
from knowledge.learning.practice import record_answer
from knowledge.records import MasteryPoint, Records
from knowledge.records.tables import MasteryHistoryRow, MasteryRow
from tests.conftest import upgrade_to
from tests.postgres import RecordsDB
from tests.test_mastery import question
from tests.test_records import HEAD
from tests.web_harness import ADA, ANN, LI, cheap_core_parts, web_site

pytestmark = pytest.mark.asyncio(loop_scope="session")
MODEL = load_model()
DRAFTING, ISO = "drafting", "iso-iec-process"
BANK = [  # single choice, the first option right
    question("h-both", (DRAFTING, ISO), level=1),
    question("h-drafting", (DRAFTING,), level=1),
    question("h-iso", (ISO,), level=1),
]
COMPETENCIES = {q.id: len(q.competencies) for q in BANK}


async def history_rows(store: Records, user_id: int | None = None) -> int:
    query = select(func.count()).select_from(MasteryHistoryRow)
    if user_id is not None:
        query = query.where(MasteryHistoryRow.user_id == user_id)
    async with store.engine.connect() as conn:
        return (await conn.execute(query)).scalar_one()


def core_over(records: Records, home: Path) -> ChatCore:
    app, tutor = cheap_core_parts(home)
    return ChatCore(Services(tutor, records, app.ingestor, CanonicalIndex(app.embedder), MODEL))


async def outputs(core: ChatCore, event: Incoming) -> list[object]:
    return [out async for out in core.respond(event)]


def prompt_of(outs: list[object]) -> QuizPrompt:
    [prompt] = [out for out in outs if isinstance(out, QuizPrompt)]
    return prompt


def right_button(prompt: QuizPrompt) -> str:
    return prompt.buttons[0][0].data  # the first option, right in BANK


async def enrol(records: Records, user_id: int, name: str = "Ann") -> None:
    await records.ensure_user(user_id, name=name, role="trainee", lang="en")
    await records.update_user(user_id, category="international", cohort="c")


async def test_each_answer_through_the_core_appends_its_competencies_once(
    records_db: RecordsDB, tmp_path: Path
):
    records = await records_db.open()
    try:
        await records.upsert_items(BANK)
        await enrol(records, ANN)
        core = core_over(records, tmp_path / "home")
        first = prompt_of(await outputs(core, Incoming(ANN, command="quiz", args=("3",))))
        press = Incoming(ANN, button=right_button(first))
        outs = await outputs(core, press)
        assert await history_rows(records, ANN) == COMPETENCIES[first.item_id]
        second = prompt_of(outs)  # the next question

        again = await outputs(core, press)  # a double tap: the answer counts once
        assert not any(isinstance(out, QuizPrompt) for out in again)
        assert await history_rows(records, ANN) == COMPETENCIES[first.item_id]
        await asyncio.gather(*[outputs(core, press) for _ in range(5)])  # retried at once
        assert await history_rows(records, ANN) == COMPETENCIES[first.item_id]
    finally:
        await records.close()

    records = await records_db.open()  # a restart: the same answer arrives once more
    try:
        core = core_over(records, tmp_path / "home2")
        await outputs(core, press)
        assert await history_rows(records, ANN) == COMPETENCIES[first.item_id]
        outs = await outputs(core, Incoming(ANN, button=right_button(second)))
        third = prompt_of(outs)
        await outputs(core, Incoming(ANN, button=right_button(third)))
        asked = (first.item_id, second.item_id, third.item_id)
        assert sorted(asked) == sorted(COMPETENCIES)
        assert await history_rows(records, ANN) == sum(COMPETENCIES.values())  # 2 + 1 + 1

        history = await records.mastery_history(ANN)
        assert set(history) == {DRAFTING, ISO}
        current = await records.mastery(ANN)
        for competency, points in history.items():
            assert len(points) == current[competency].attempts == 2
            assert [p.at for p in points] == sorted(p.at for p in points)
            assert points[-1].score == pytest.approx(current[competency].score)
            assert points[0].score < points[1].score  # two right answers: mastery rose
        assert len((await records.mastery_history(ANN, limit=1))[DRAFTING]) == 1
        assert (await records.mastery_history(ANN, limit=1))[DRAFTING][0] == history[DRAFTING][1]
        assert await records.mastery_history(ADA) == {}
    finally:
        await records.close()


async def test_history_keeps_the_latest_points_of_each_competency(records: Records):
    await records.upsert_items([question(f"q{n}", (DRAFTING,), level=1) for n in range(6)])
    await records.upsert_items([question("iso", (ISO,), level=1)])
    await enrol(records, ANN)
    quiz = await records.start_session(ANN, 7)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    for n, item in enumerate([*(f"q{n}" for n in range(6)), "iso"]):
        await records.set_current(quiz.id, item, start)
        await record_answer(
            records, session_id=quiz.id, item_id=item, user_id=ANN, response=(n % 2,),
            seconds=3.0, now=start + timedelta(hours=n),
        )  # fmt: skip
    history = await records.mastery_history(ANN, limit=4)
    assert [p.at.hour for p in history[DRAFTING]] == [2, 3, 4, 5]  # the latest 4, oldest first
    assert [p.at for p in history[ISO]] == [start + timedelta(hours=6)]
    assert all(p.at.tzinfo is not None for p in history[DRAFTING])
    assert len((await records.mastery_history(ANN))[DRAFTING]) == 6


async def test_the_migration_gives_existing_mastery_a_starting_point(records_db: RecordsDB):
    engine = records_db.engine()
    updated = datetime(2026, 5, 4, 3, 2, 1, tzinfo=UTC)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(upgrade_to("0009"))
            for uid, name in ((7, "Lin"), (8, "Zhou"), (9, "Idle")):
                await conn.execute(
                    text("INSERT INTO users (id, name, role) VALUES (:id, :n, 'trainee')"),
                    {"id": uid, "n": name},
                )
            rows = [(7, DRAFTING, 2.5, 3), (7, ISO, 1.25, 1), (8, DRAFTING, 3.75, 6)]
            for uid, competency, score, attempts in rows:
                await conn.execute(
                    text(
                        "INSERT INTO mastery (user_id, competency, score, attempts, updated_at) "
                        "VALUES (:u, :c, :s, :a, :at)"
                    ),
                    {"u": uid, "c": competency, "s": score, "a": attempts, "at": updated},
                )
    finally:
        await engine.dispose()
    store = await records_db.open()
    try:
        async with store.engine.connect() as conn:
            version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
            indexes = await conn.run_sync(lambda c: inspect(c).get_indexes("mastery_history"))
        assert version == [(HEAD,)]
        assert ("user_id", "competency", "at") in {tuple(i["column_names"]) for i in indexes}
        assert await store.mastery_history(7) == {
            DRAFTING: [MasteryPoint(updated, 2.5)],
            ISO: [MasteryPoint(updated, 1.25)],
        }
        assert await store.mastery_history(8) == {DRAFTING: [MasteryPoint(updated, 3.75)]}
        assert await store.mastery_history(9) == {}
        assert await history_rows(store) == 3
        # the next answer adds to the backfilled point
        await store.upsert_items(BANK)
        quiz = await store.start_session(8, 1)
        await store.set_current(quiz.id, "h-drafting", updated)
        await record_answer(
            store, session_id=quiz.id, item_id="h-drafting", user_id=8, response=(0,), seconds=2
        )
        points = (await store.mastery_history(8))[DRAFTING]
        assert len(points) == 2 and points[0] == MasteryPoint(updated, 3.75)
    finally:
        await store.close()


async def test_forget_me_and_removal_by_an_admin_leave_no_history(
    records_db: RecordsDB, tmp_path: Path
):
    records = await records_db.open()
    try:
        await records.upsert_items(BANK)
        await records.ensure_user(ADA, name="Ada", role="admin", lang="en")
        core = core_over(records, tmp_path / "home")
        bob = 4
        for uid in (ANN, bob):
            await enrol(records, uid, name=f"u{uid}")
            prompt = prompt_of(await outputs(core, Incoming(uid, command="quiz", args=("2",))))
            await outputs(core, Incoming(uid, button=right_button(prompt)))
            assert await history_rows(records, uid) == COMPETENCIES[prompt.item_id]

        confirm = await outputs(core, Incoming(ANN, command="forget_me", chat_id=ANN))
        [yes] = [b.data for r in confirm if isinstance(r, Reply) for row in r.buttons
                 for b in row if b.data.startswith("forget") and "yes" in b.data]  # fmt: skip
        await outputs(core, Incoming(ANN, button=yes, chat_id=ANN))
        assert await records.user(ANN) is None
        assert await history_rows(records, ANN) == 0 and await records.mastery_history(ANN) == {}
        assert await history_rows(records, bob) > 0  # someone else's stays

        asked = await outputs(core, Incoming(ADA, command="remove", args=(str(bob),), chat_id=ADA))
        [yes] = [b.data for r in asked if isinstance(r, Reply) for row in r.buttons
                 for b in row if b.data.startswith("urm") and str(bob) in b.data]  # fmt: skip
        await outputs(core, Incoming(ADA, button=yes, chat_id=ADA))
        assert await records.user(bob) is None
        assert await history_rows(records) == 0
        async with records.engine.connect() as conn:
            mastery = select(func.count()).select_from(MasteryRow)
            assert (await conn.execute(mastery)).scalar_one() == 0
    finally:
        await records.close()


def _texts(figure: Figure) -> list[str]:
    ax = figure.axes[0]
    legend = ax.get_legend()
    found = [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels()]
    return found + ([t.get_text() for t in legend.get_texts()] if legend else [])


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_the_history_chart_names_competencies_and_dates_on_the_alliances_clock(lang):
    evening = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)  # 23:00 in Suzhou
    history = {
        DRAFTING: [MasteryPoint(evening + timedelta(hours=h), 1.0 + h / 2) for h in range(4)],
        ISO: [MasteryPoint(evening + timedelta(hours=1), 0.4)],  # below the scale: drawn at 1
    }
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font(s)" fails the test
        figure = charts.history_figure(MODEL, history, lang, category="international")
        picture = charts.png(figure)  # drawing fills in the date ticks
        empty = charts.png(charts.history_figure(MODEL, {}, lang))
    shown = _texts(figure)
    titles = {MODEL.competencies[c].title(lang).replace("\n", " ") for c in history}
    assert titles <= {t.replace("\n", " ") for t in shown}
    assert not any(MODEL.competencies[c].code in shown for c in history)  # names, not S1, I1
    assert ("目标（虚线）" if lang == "zh" else "target (dashed)") in shown
    assert "23:00" in shown and "15:00" not in shown  # Asia/Shanghai, not UTC
    assert "12-08" in shown  # midnight in Suzhou shows the new day
    levels = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert len(levels) == 5 and levels[1] == ("2 理解" if lang == "zh" else "2 Understand")
    ys = [list(line.get_ydata()) for line in figure.axes[0].get_lines()]
    assert [1.0] in ys and [5.0, 5.0] in ys  # ISO clamped to 1; ISO's target of 5, dashed
    assert picture.startswith(b"\x89PNG") and empty.startswith(b"\x89PNG")


async def test_the_trainee_page_charts_mastery_over_time_in_the_readers_language(tmp_path):
    async with web_site(tmp_path) as site:
        records = site.core.services.records
        await records.upsert_items(BANK)
        await records.update_user(ANN, category="international")
        await records.ensure_user(5, name="王芳", role="trainee")
        await records.update_user(ADA, lang="zh")
        prompt = prompt_of(await outputs(site.core, Incoming(ANN, command="quiz", args=("3",))))
        prompt = prompt_of(await outputs(site.core, Incoming(ANN, button=right_button(prompt))))
        await outputs(site.core, Incoming(ANN, button=right_button(prompt)))
        await site.sign_in(ADA)

        page = await (await site.client.get(f"/trainees/{ANN}")).text()
        progress, history = page.index('<img id="progress"'), page.index('<img id="history"')
        assert progress < history and 'id="no-history"' not in page
        assert "各项能力掌握程度随时间的变化" in page  # the chart's alt text, in Chinese
        chart = await site.client.get(f"/trainees/{ANN}/history.svg")
        assert chart.status == 200 and chart.content_type == "image/svg+xml"
        svg = await chart.text()
        for competency in (DRAFTING, ISO):
            assert f">{MODEL.competencies[competency].title('zh')}</text>" in svg
        assert "掌握程度的变化" in svg and ">目标（虚线）</text>" in svg
        assert "日期（Asia/Shanghai）" in svg
        assert not re.search(r">(S1|I1)</text>", svg)  # names, not codes
        english = await site.client.get(
            f"/trainees/{ANN}/history.svg", headers={"Accept-Language": "en"}
        )
        assert "掌握程度的变化" in await english.text()  # the reader's language, not the browser's
        await records.update_user(ADA, lang="en")
        assert "Mastery over time" in await (await site.client.get(chart.url.path)).text()

        idle = await (await site.client.get("/trainees/5")).text()
        assert 'id="no-history"' in idle and '<img id="history"' not in idle
        assert "No mastery recorded yet" in idle
        assert (await site.client.get("/trainees/999/history.svg")).status == 404
        site.forget_cookies()
        assert (await site.client.get(f"/trainees/{ANN}/history.svg")).status == 401
        await site.sign_in(LI)  # an instructor: results are for admins
        assert (await site.client.get(f"/trainees/{ANN}/history.svg")).status == 403
