"""Cohort reports, item analysis, charts, exports and the quiz load bench, on both databases."""

from __future__ import annotations

import csv
import json
import math
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

import pytest
from openpyxl import load_workbook

from bench.quiz_load import QUICK_RECORD, QUICK_REPORT, record_load, report_load
from knowledge.learning.charts import heatmap_png, progress_png
from knowledge.learning.exports import COLUMNS, write_csv, write_xapi, write_xlsx, xapi_statements
from knowledge.learning.mastery import START
from knowledge.learning.model import load_model
from knowledge.learning.practice import record_answer
from knowledge.learning.questions import Question
from knowledge.learning.reports import cohort_report, format_report
from knowledge.records import Records
from knowledge.records.reporting import CohortMastery, ItemStats, correlation
from tests.postgres import RecordsDB

pytestmark = pytest.mark.asyncio(loop_scope="session")

MODEL = load_model()
PNG = b"\x89PNG\r\n\x1a\n"
STRONG, WEAK, IDLE = range(1, 7), range(11, 17), 20


def item(item_id: str, competency: str, kind: str = "single", answer=(0,), **extra) -> Question:
    options = {"single": ("A", "B", "C", "D"), "multiple": ("a", "b", "c", "d"),
               "truefalse": ("True", "False"), "short": ()}[kind]  # fmt: skip
    return Question(
        item_id, "en", kind, f"Stem of {item_id}?", options, answer, extra.get("accepted", ()),
        "", "", "drafting_rules.md", "", (competency,), 2, "remember",
    )  # fmt: skip


BANK = [
    item("good", "iso-iec-process"),
    item("bad", "iso-iec-process"),
    *(item(f"f{n}", "drafting") for n in range(1, 5)),
    item("easy", "alliance-outlook", "truefalse"),
    item("hard", "conformity-assessment", "multiple", (0, 2)),
    item("typed", "standard-lifecycle", "short", (), accepted=("ISO",)),
]
FILLERS = ("f1", "f2", "f3", "f4")


def strong_answers(user_id: int) -> dict[str, object]:
    fillers = {f: (3,) if (user_id, f) == (1, "f1") else (0,) for f in FILLERS}
    return dict(good=(0,), bad=(2,), **fillers, easy=(0,), hard=(0,), typed="iso")


def weak_answers(user_id: int) -> dict[str, object]:
    fillers = dict.fromkeys(FILLERS, (1,))
    return dict(good=(1,), bad=(0,), **fillers, easy=(0,), hard=(1, 3), typed="IEC")


async def enrol(store: Records, user_id: int, name: str, role: str = "trainee", **fields):
    await store.ensure_user(user_id, name=name, role=role)
    await store.update_user(user_id, **fields)


async def answer_all(store: Records, user_id: int, answers: dict[str, object]) -> None:
    quiz = await store.start_session(user_id, len(answers))
    for item_id, response in answers.items():
        await store.set_current(quiz.id, item_id, datetime.now(UTC))
        await record_answer(
            store,
            session_id=quiz.id,
            item_id=item_id,
            user_id=user_id,
            response=response,
            seconds=12.5,
        )


async def cohort(store: Records) -> None:
    """Cohort A: six strong and six weak trainees and an idle one; noise outside it."""
    await store.upsert_items(BANK)
    for uid in STRONG:
        await enrol(store, uid, f"Strong {uid}", cohort="A", category="application")
        await answer_all(store, uid, strong_answers(uid))
    for uid in WEAK:
        name = f"弱{uid}" if uid % 2 else f"Weak {uid}"
        await enrol(store, uid, name, cohort="A", category="editorial")
        await answer_all(store, uid, weak_answers(uid))
    await enrol(store, IDLE, "Idle", cohort="A", category="research")
    await enrol(store, 30, "Teacher", role="instructor", cohort="A")
    await answer_all(store, 30, {"easy": (1,)})  # staff never count
    await enrol(store, 40, "Other", cohort="B", category="research")
    await answer_all(store, 40, {"easy": (1,)})


def pearson(pairs: list[tuple[float, float]]) -> float:
    n = len(pairs)
    mx, my = sum(x for x, _ in pairs) / n, sum(y for _, y in pairs) / n
    cov = sum((x - mx) * (y - my) for x, y in pairs)
    return cov / math.sqrt(
        sum((x - mx) ** 2 for x, _ in pairs) * sum((y - my) ** 2 for _, y in pairs)
    )


async def expected_discrimination(store: Records, item_id: str, users) -> float:
    """Correctness on the item against the share right on the trainee's other answers."""
    pairs = []
    for uid in users:
        attempts = await store.attempts_of(uid)
        mine = [a.correct for a in attempts if a.item_id == item_id]
        others = [a.correct for a in attempts if a.item_id != item_id]
        pairs += [(float(x), sum(others) / len(others)) for x in mine]
    return pearson(pairs)


async def test_item_analysis_finds_facility_discrimination_flags_and_picks(records: Records):
    await cohort(records)
    report = await cohort_report(records, MODEL, "A")
    stats = {st.item_id: st for st in report.items}
    assert (report.trainees, report.attempts) == (13, 12 * len(BANK))
    assert await records.cohort_counts("A") == (13, 12 * len(BANK))
    assert await records.cohort_counts(None) == (14, 12 * len(BANK) + 1)

    good, bad = stats["good"], stats["bad"]
    assert (good.answered, good.right, good.facility) == (12, 6, 0.5)
    assert good.discrimination is not None and good.discrimination > 0.8
    assert bad.discrimination is not None and bad.discrimination < -0.8
    everyone = [*STRONG, *WEAK]
    for st in (good, bad, stats["f1"]):
        want = await expected_discrimination(records, st.item_id, everyone)
        assert st.discrimination == pytest.approx(want, abs=1e-9)
    assert stats["easy"].facility == 1.0 and stats["easy"].discrimination is None
    assert stats["hard"].facility == 0.0

    assert good.options == {0: 6, 1: 6, 2: 0, 3: 0}
    assert bad.options == {0: 6, 1: 0, 2: 6, 3: 0}
    assert stats["hard"].options == {0: 6, 1: 6, 2: 0, 3: 6}
    assert stats["easy"].options == {0: 12, 1: 0}
    assert stats["typed"].options == {} and stats["typed"].right == 6

    flagged = {f.stats.item_id: f.reasons for f in report.flagged}
    assert flagged == {"bad": ("discrimination",), "easy": ("easy",), "hard": ("hard",)}
    everybody = {st.item_id: st for st in await records.item_stats()}
    assert everybody["easy"].answered == 13 and everybody["easy"].options == {0: 12, 1: 1}


async def test_the_report_ranks_who_is_behind_and_the_weakest_competencies(records: Records):
    await cohort(records)
    report = await cohort_report(records, MODEL, "A")
    people = [*STRONG, *WEAK, IDLE]
    categories = {**dict.fromkeys(STRONG, "application"), **dict.fromkeys(WEAK, "editorial")}
    gaps, shortfall = {}, {c.id: [] for c in MODEL.leaves()}
    for uid in people:
        scores = {c: m.score for c, m in (await records.mastery(uid)).items()}
        targets = {c: t for c, t in MODEL.profile(categories.get(uid, "research")).items() if t}
        short = {c: max(0.0, t - scores.get(c, START)) for c, t in targets.items()}
        gaps[uid] = sum(short.values()) / len(short)
        for c, value in short.items():
            shortfall[c].append(value)
    behind = sorted(people, key=lambda u: (-gaps[u], u))[:5]
    assert [t.user_id for t in report.behind] == behind
    assert [t.gap for t in report.behind] == pytest.approx([gaps[u] for u in behind])
    assert not set(behind) & set(STRONG) and IDLE in behind
    means = {c: sum(v) / len(v) for c, v in shortfall.items()}
    weakest = sorted(means, key=lambda c: -means[c])[:3]
    assert [line.id for line in report.weakest] == weakest
    assert report.weakest[0].code == "S1"  # drafting: editorial trainees aim at level 5
    assert len(report.ranking) == 13 and len(report.heat_rows(limit=4)) == 4


class Stub:
    """Just what cohort_report reads, with chosen numbers."""

    async def cohort_mastery(self, cohort):
        return [
            CohortMastery(1, "Ahead", "editorial", "drafting", 4.0, 9),
            CohortMastery(2, "New", None, None, None, None),
        ]

    async def item_stats(self, cohort):
        return [ItemStats("q", 3, 3, 1.0, None, {0: 3, 1: 0})]


async def test_means_count_untouched_competencies_at_the_start_and_need_answers_to_flag():
    report = await cohort_report(Stub(), MODEL)
    drafting = next(line for line in report.competencies if line.id == "drafting")
    assert drafting.mastery == pytest.approx((4.0 + START) / 2)
    assert drafting.target == pytest.approx((5 + MODEL.profile(None)["drafting"]) / 2)
    assert drafting.gap == pytest.approx((1.0 + MODEL.profile(None)["drafting"] - START) / 2)
    assert report.flagged == []  # 3 answers are too few to call an item too easy
    assert [t.user_id for t in report.behind] == [2, 1]
    pairs = [(1.0, 0.9), (0.0, 0.2)] * 5
    sums = [sum(x for x, _ in pairs), sum(y for _, y in pairs), sum(x * y for x, y in pairs)]
    squares = [sum(x * x for x, _ in pairs), sum(y * y for _, y in pairs)]
    assert correlation(10, *sums, *squares) == pytest.approx(1.0)
    assert correlation(9, *sums, *squares) is None  # too few answers
    assert correlation(10, 5.0, 5.0, 5.0, 5.0, 5.0) is not None
    assert correlation(10, 10.0, 5.0, 5.0, 10.0, 2.5) is None  # everyone right: no variance


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_the_report_reads_as_short_plain_text(records: Records, lang: str):
    await cohort(records)
    report = await cohort_report(records, MODEL, "A")
    text = format_report(report, MODEL, lang)
    assert "A" in text.splitlines()[0]
    words = {"zh": ("13 名学员，108 次作答", "差距最大的学员", "过易", "区分度低", "编辑型人才"),
             "en": ("13 trainees, 108 answers", "Furthest behind", "too easy",
                    "low discrimination", "editorial talent")}[lang]  # fmt: skip
    for word in words:
        assert word in text
    assert all(code in text for code in ("K1", "K2", "I1", "I2", "S1", "S2", "A1"))
    assert all(len(line) <= 64 for line in text.splitlines())
    empty = await cohort_report(records, MODEL, "nobody")
    assert format_report(empty, MODEL, lang).count("\n") == 2


async def test_charts_are_png_images(records: Records):
    await cohort(records)
    report = await cohort_report(records, MODEL, "A")
    scores = {c: m.score for c, m in (await records.mastery(11)).items()}
    pictures = [
        progress_png(MODEL, "editorial", scores),
        progress_png(MODEL, None, {}),
        heatmap_png(MODEL, report.heat_rows()),
        heatmap_png(MODEL, [(f"t{n}", {"drafting": n / 50}) for n in range(90)]),
    ]
    for png in pictures:
        assert png.startswith(PNG) and len(png) > 5000


async def test_csv_and_xlsx_exports_have_every_row(records: Records, tmp_path: Path):
    await cohort(records)
    rows = await records.export_rows("A")
    mastery_rows = sum([len(await records.mastery(u)) for u in [*STRONG, *WEAK]])
    counts = {"attempts": 12 * len(BANK), "mastery": mastery_rows, "items": len(BANK)}
    assert {table: len(found) for table, found in rows.items()} == counts

    paths = write_csv(rows, tmp_path / "csv")
    assert [p.name for p in paths] == ["attempts.csv", "mastery.csv", "items.csv"]
    for path in paths:
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")
        with path.open(encoding="utf-8-sig", newline="") as f:
            table = list(csv.reader(f))
        assert tuple(table[0]) == COLUMNS[path.stem] and len(table) == counts[path.stem] + 1
    book = load_workbook(write_xlsx(rows, tmp_path / "cohort.xlsx"), read_only=True)
    assert book.sheetnames == ["attempts", "mastery", "items"]
    for name in book.sheetnames:
        table = list(book[name].iter_rows(values_only=True))
        assert table[0] == COLUMNS[name] and len(table) == counts[name] + 1
    book.close()


async def test_spreadsheet_cells_never_run_as_formulas(tmp_path: Path):
    rows = {"attempts": [{"name": "=HYPERLINK(1)", "response": "=1+1", "seconds": -1.0}]}
    write_csv(rows, tmp_path)
    line = (tmp_path / "attempts.csv").read_text(encoding="utf-8-sig").splitlines()[1]
    assert "'=HYPERLINK(1)" in line and "'=1+1" in line and "-1.0" in line
    book = load_workbook(write_xlsx(rows, tmp_path / "x.xlsx"))
    cells = {c.value: c.data_type for c in book["attempts"][2] if c.value is not None}
    assert cells["=1+1"] == "s" and cells["=HYPERLINK(1)"] == "s"


def iri(value: str) -> bool:
    parsed = urlparse(value)
    return parsed.scheme in ("http", "https") and bool(parsed.netloc)


async def test_every_answer_becomes_a_valid_xapi_statement(records: Records, tmp_path: Path):
    await cohort(records)
    attempts = (await records.export_rows("A"))["attempts"]
    items = {q.id: q for q in await records.items()}
    statements = xapi_statements(attempts, items)
    assert len(statements) == len(attempts) == len({s["id"] for s in statements})
    for attempt, st in zip(attempts, statements, strict=True):
        assert uuid.UUID(st["id"]).version == 5
        actor = st["actor"]
        assert actor["objectType"] == "Agent" and actor["name"] == attempt["name"]
        assert actor["account"] == {"homePage": "https://t.me", "name": str(attempt["user_id"])}
        assert iri(st["verb"]["id"]) and st["verb"]["display"] == {"en-US": "answered"}
        assert iri(st["object"]["id"]) and st["object"]["id"].endswith(
            f"/items/{attempt['item_id']}"
        )
        when = datetime.fromisoformat(st["timestamp"])  # to the millisecond
        assert when.tzinfo == UTC and abs(when - attempt["answered_at"]) < timedelta(milliseconds=1)
        assert (
            st["result"]["success"] is attempt["correct"] and st["result"]["duration"] == "PT12.5S"
        )
        category = st["context"]["contextActivities"]["category"]
        assert all(iri(a["id"]) for a in category) and len(category) == 1
    by_item = {(s["object"]["id"].rsplit("/", 1)[1], s["actor"]["name"]): s for s in statements}
    hard = by_item["hard", "Weak 12"]
    assert hard["result"]["response"] == "1[,]3"
    assert hard["object"]["definition"]["correctResponsesPattern"] == ["0[,]2"]
    assert hard["object"]["definition"]["interactionType"] == "choice"
    assert len(hard["object"]["definition"]["choices"]) == 4
    easy = by_item["easy", "Weak 12"]["object"]["definition"]
    assert (easy["interactionType"], easy["correctResponsesPattern"]) == ("true-false", ["true"])
    typed = by_item["typed", "Strong 2"]
    assert typed["result"]["response"] == "iso" and typed["result"]["success"] is True
    assert typed["object"]["definition"]["interactionType"] == "fill-in"
    path = write_xapi(statements, tmp_path / "statements.json")
    assert json.loads(path.read_text(encoding="utf-8")) == statements


async def test_quick_record_load_loses_and_doubles_nothing(records_db: RecordsDB):
    lines = await record_load(records_db.url, records_db.schema, trainees=QUICK_RECORD)
    out = "\n".join(lines)
    assert f"recorded {QUICK_RECORD} of {QUICK_RECORD}, lost 0, doubled 0" in out, out
    rate = re.search(
        r"([\d.]+) answers/s\s+one at a time\s+([\d.]+) answers/s\s+ratio ([\d.]+)", out
    )
    assert rate and abs(float(rate[3]) - float(rate[1]) / float(rate[2])) < 0.01, out
    assert re.search(r"p95\s+[\d.]+ ms\s+one at a time p95\s+[\d.]+ ms\s+ratio [\d.]+", out), out


async def test_quick_report_load_times_the_report_against_its_target(records_db: RecordsDB):
    trainees, answers = QUICK_REPORT
    lines = await report_load(records_db.url, records_db.schema, trainees, answers)
    out = "\n".join(lines)
    assert f"= {trainees * answers} attempts" in out, out
    for label in ("cohort report (all)", "item stats (all)", "cohort report (1 cohort)"):
        found = re.search(re.escape(label) + r"\s+([\d.]+) s\s+target 2 s\s+ratio ([\d.]+)", out)
        assert found and abs(float(found[2]) - float(found[1]) / 2) < 0.01, out
