"""`stdtutor questions|report|competencies` as a user runs them, in a subprocess."""

from __future__ import annotations

import asyncio
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest

from knowledge.learning.practice import record_answer
from knowledge.records import Records
from tests.test_cli import assert_clean, run_cli

GIFT = """// @competencies: drafting
// @level: 1
// @bloom: remember
// @source: drafting_rules.md#能愿动词
::extra-1:: 表示要求的能愿动词是？ {=应 ~可 ~宜}

// @competencies: drafting
// @level: 9
// @bloom: remember
// @source: drafting_rules.md#能愿动词
::extra-2:: 表示允许的能愿动词是？ {=可 ~应}
"""


@pytest.fixture(scope="module", autouse=True)
def _shared_embedding_cache(embedding_cache: Path):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EMBEDDING_CACHE", str(embedding_cache))
        yield


def test_questions_import_list_stats_and_retire(tmp_path: Path) -> None:
    home = tmp_path / "home"
    stats = run_cli(["questions", "stats"], home)
    assert "87 questions: 87 published" in stats.stdout
    assert "drafting                 level 5:" in stats.stdout

    gift = tmp_path / "extra.gift"
    gift.write_text(GIFT, encoding="utf-8")
    imported = run_cli(["questions", "import", str(gift)], home)
    assert imported.returncode == 1
    assert "extra.gift: 1 added, 0 updated, 1 rejected" in imported.stdout
    assert "extra.gift:11: level 9 is outside 1-5" in imported.stderr  # where the question is

    retired = run_cli(["questions", "retire", "extra-1"], home)
    listed = run_cli(["questions", "list"], home)
    assert_clean(stats, imported, retired, listed)
    assert retired.returncode == 0
    [line] = [row for row in listed.stdout.splitlines() if row.startswith("extra-1")]
    assert "retired" in line


def test_report_exports_in_every_format_and_the_model_as_case(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert run_cli(["questions", "stats"], home).returncode == 0  # creates the records
    asyncio.run(_one_answer(home / "records.sqlite"))

    text = run_cli(["report"], home)
    assert "1" in text.stdout and text.returncode == 0
    out = {fmt: tmp_path / f"export.{fmt}" for fmt in ("csv", "xlsx", "xapi")}
    for fmt, path in out.items():
        result = run_cli(["report", "--format", fmt, "--out", str(path)], home)
        assert result.returncode == 0, result.stderr
    assert set(zipfile.ZipFile(out["csv"]).namelist()) == {
        "attempts.csv",
        "mastery.csv",
        "items.csv",
    }
    assert {"attempts", "mastery"} <= set(openpyxl.load_workbook(out["xlsx"]).sheetnames)
    [statement] = json.loads(out["xapi"].read_text(encoding="utf-8"))
    assert statement["verb"]["id"] == "http://adlnet.gov/expapi/verbs/answered"
    assert statement["result"]["success"] is True

    case = run_cli(["competencies", "export", "--format", "case"], home)
    package = json.loads(case.stdout)
    assert len(package["CFItems"]) == 11 and package["CFAssociations"]


async def _one_answer(path: Path) -> None:
    """A trainee answers one question right (set up straight through the records)."""
    records = await Records.open(f"sqlite+aiosqlite:///{path}")
    try:
        await records.ensure_user(5, name="Ann", role="trainee")
        item = (await records.items())[0]
        session = await records.start_session(5, 1)
        await records.set_current(session.id, item.id, session.started_at)
        await record_answer(
            records,
            session_id=session.id,
            item_id=item.id,
            user_id=5,
            response=item.answer,
            seconds=4,
        )
    finally:
        await records.close()


def test_an_untagged_draft_is_not_published_from_the_command_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    sheet = tmp_path / "bank.csv"
    sheet.write_text("题型,题干,选项A,选项B,答案\n单选,表示要求的能愿动词是？,应,可,A\n", "utf-8")
    imported = run_cli(["questions", "import", str(sheet)], home)
    assert imported.returncode == 0, imported.stderr
    [row] = [r for r in run_cli(["questions", "list"], home).stdout.splitlines() if "bank" in r]
    item_id = row.split()[0]
    assert "draft" in row
    refused = run_cli(["questions", "publish", item_id], home)
    assert refused.returncode == 1
    assert f"error: {item_id} can't be published yet: level 0 is outside 1-5" in refused.stderr
    assert refused.stderr.rstrip().endswith("no competency")
    [row] = [r for r in run_cli(["questions", "list"], home).stdout.splitlines() if "bank" in r]
    assert "draft" in row


def test_a_moodle_xml_export_imports_from_the_command_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    xml = tmp_path / "moodle.xml"
    xml.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n'
        '<question type="numerical"><name><text>fdis-weeks</text></name>\n'
        "<questiontext><text>FDIS 投票持续几周？</text></questiontext>\n"
        '<answer fraction="100"><text>8</text><tolerance>0</tolerance></answer>\n'
        "<tags><tag><text>competency:iso-iec-process</text></tag><tag><text>level:1</text>"
        "</tag><tag><text>bloom:remember</text></tag><tag><text>source:iso_iec_stages.md"
        "</text></tag></tags></question>\n"
        '<question type="description"><name><text>intro</text></name>\n'
        "<questiontext><text>先读第 5 章。</text></questiontext></question>\n</quiz>\n",
        encoding="utf-8",
    )
    imported = run_cli(["questions", "import", str(xml)], home)
    assert imported.returncode == 1
    assert "moodle.xml: 1 added, 0 updated, 1 rejected" in imported.stdout
    assert "moodle.xml:7: question 2 'intro': description questions are not supported" in (
        imported.stderr
    )
    [row] = [r for r in run_cli(["questions", "list"], home).stdout.splitlines() if "fdis" in r]
    assert row.startswith("fdis-weeks") and "published" in row
