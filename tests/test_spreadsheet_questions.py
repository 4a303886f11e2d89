"""Spreadsheet question banks (.xlsx, .csv): Chinese and English headings, drafts for rows
without competencies, bad rows by row number, GB18030 CSV, zip bombs, the template, and an
upload through the Telegram Bot API stand-in."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from bot.flows.question_files import SUFFIXES, reason
from ingest.loaders import SUFFIXES as MATERIALS
from ingest.questions import ImportReport, import_file
from ingest.questions.spreadsheet import template_bytes, write_template
from knowledge.learning.questions import problems
from tests.telegram_harness import INSTRUCTOR, running_bot, until

COMPETENCIES = {"drafting", "iso-iec-process", "cn-standards-system"}
DOCS = {"drafting_rules.md", "drafting_rules_en.md", "iso_iec_stages.md"}

ZH_HEAD = ["题型", "题干", "选项A", "选项B", "选项C", "选项D", "答案", "解析", "能力项", "层级"]
ZH_ROWS = [
    ["单选", "表示要求用哪个能愿动词？", "应", "宜", "可", "能", "A", "要求用“应”。",
     "drafting", 1],
    ["多选题", "哪些是能愿动词？", "应", "宜", "表格", "可", "A,B、D", "",
     "drafting、iso-iec-process", "2"],
    ["判断", "“宜”表示推荐。", "", "", "", "", "对", "", "drafting", 2],
]  # fmt: skip


def xlsx(path: Path, rows: list[list[object]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def read(path: Path) -> ImportReport:
    return import_file(path, COMPETENCIES, DOCS)


def test_a_chinese_headed_xlsx_imports_its_questions(tmp_path: Path):
    rows = [[*r, "drafting_rules.md#能愿动词"] for r in ZH_ROWS]
    report = read(xlsx(tmp_path / "题库.xlsx", [["苏州标准化题库"], [*ZH_HEAD, "出处"], *rows]))
    assert report.errors == []
    one, many, tf = report.questions
    assert (one.kind, one.options, one.answer, one.lang) == (
        "single",
        ("应", "宜", "可", "能"),
        (0,),
        "zh",
    )
    assert (one.explanation, one.level, one.bloom, one.status) == (
        "要求用“应”。",
        1,
        "remember",
        "published",
    )
    assert (one.source_doc, one.clause, one.id) == ("drafting_rules.md", "能愿动词", "题库-003")
    assert (many.kind, many.answer, many.competencies) == (
        "multiple",
        (0, 1, 3),
        ("drafting", "iso-iec-process"),
    )
    assert (many.level, many.bloom) == (2, "understand")
    assert (tf.kind, tf.options, tf.answer) == ("truefalse", ("对", "错"), (0,))
    assert all(problems(q, COMPETENCIES, DOCS) == [] for q in report.questions)


def test_an_english_headed_csv_imports_its_questions(tmp_path: Path):
    text = (
        "Type,Stem,Option A,Option B,Option C,Answer,Explanation,Competencies,Level,Bloom,"
        "Source,ID\n"
        'single,"Which verb, of these, states a requirement?",shall,may,can,A,Use shall.,'
        "drafting,1,remember,drafting_rules_en.md,en-1\n"
        "Multiple choice,Which are verbal forms?,shall,table,may,AC,,drafting,3,apply,"
        "drafting_rules_en.md,en-2\n"
        "true-false,May expresses a permission.,,,,T,,drafting,1,,drafting_rules_en.md,en-3\n"
    )  # fmt: skip
    path = tmp_path / "bank.csv"
    path.write_text(text, encoding="utf-8-sig")  # what Excel's "CSV UTF-8" writes
    report = read(path)
    assert report.errors == []
    one, many, tf = report.questions
    assert (one.id, one.stem, one.options, one.answer) == (
        "en-1", "Which verb, of these, states a requirement?", ("shall", "may", "can"), (0,),
    )  # fmt: skip
    assert (one.lang, one.explanation) == ("en", "Use shall.")
    assert (many.kind, many.answer, many.bloom, many.level) == ("multiple", (0, 2), "apply", 3)
    assert (tf.kind, tf.options, tf.answer, tf.bloom) == (
        "truefalse",
        ("True", "False"),
        (0,),
        "remember",
    )


def test_a_row_without_competencies_imports_as_a_draft(tmp_path: Path):
    rows = [ZH_HEAD[:8], ZH_ROWS[0][:8], [*ZH_ROWS[2][:6], "错"]]
    report = read(xlsx(tmp_path / "无能力项.xlsx", rows))
    assert report.errors == []
    first, second = report.questions
    assert (first.status, first.competencies, first.level) == ("draft", (), 0)
    assert (second.status, second.answer) == ("draft", (1,))
    assert problems(first, COMPETENCIES, DOCS) == []
    published = import_file(xlsx(tmp_path / "b.xlsx", [ZH_HEAD, ZH_ROWS[0]]), COMPETENCIES)
    assert published.questions[0].status == "published"  # tagged rows are published as before


def test_bad_rows_are_refused_with_their_row_numbers_and_reasons(tmp_path: Path):
    rows = [
        ZH_HEAD,
        ZH_ROWS[0],  # row 2: good
        ["填空", "一道填空题", "", "", "", "", "应", "", "drafting", 1],  # 3: unknown type
        ["单选", "没有答案的题", "应", "宜", "", "", "", "", "drafting", 1],  # 4
        ["单选", "答案越界", "应", "宜", "", "", "E", "", "drafting", 1],  # 5
        ["单选", "选项中间空了", "应", "", "可", "", "A", "", "drafting", 1],  # 6
        [],  # 7: blank, skipped
        ["单选", "两个答案", "应", "宜", "可", "", "AB", "", "drafting", 1],  # 8
        ["单选", "未知能力项", "应", "宜", "", "", "A", "", "cooking", 1],  # 9
        ["单选", "层级不对", "应", "宜", "", "", "A", "", "drafting", 7],  # 10
    ]
    report = import_file(xlsx(tmp_path / "bad.xlsx", rows), COMPETENCIES)
    assert [q.stem for q in report.questions] == ["表示要求用哪个能愿动词？"]
    found = [(e.line, [p.code for p in e.problems]) for e in report.errors]
    assert found == [
        (3, ["sheet_bad_kind"]),
        (4, ["sheet_no_answer"]),
        (5, ["sheet_bad_answer"]),
        (6, ["sheet_option_gap"]),
        (8, ["single_answers"]),
        (9, ["unknown_competency"]),
        (10, ["bad_level"]),
    ]
    assert reason(report.errors[2], "zh") == "• 第 5 行：答案“E”不是 A-B 中的选项字母。"
    assert reason(report.errors[2], "en") == "• Row 5: The answer E names no option A-B."


def test_a_sheet_without_a_heading_row_is_refused_as_a_whole(tmp_path: Path):
    report = read(xlsx(tmp_path / "x.xlsx", [["a", "b"], ["c", "d"]]))
    assert [(e.line, e.problems[0].code) for e in report.errors] == [(1, "sheet_no_heading")]


def test_a_gb18030_csv_reads(tmp_path: Path):
    out = io.StringIO()
    csv.writer(out).writerows([ZH_HEAD, *ZH_ROWS])
    path = tmp_path / "题库.csv"
    path.write_bytes(out.getvalue().encode("gb18030"))  # Chinese Excel's "CSV (逗号分隔)"
    report = import_file(path, COMPETENCIES)
    assert report.errors == []
    assert [q.stem for q in report.questions] == [r[1] for r in ZH_ROWS]
    assert report.questions[0].explanation == "要求用“应”。"


def test_a_zip_bomb_xlsx_is_refused_with_one_clear_reason(tmp_path: Path):
    path = xlsx(tmp_path / "bomb.xlsx", [ZH_HEAD, ZH_ROWS[0]])
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/zeros.bin", b"\0" * (40 * 1024 * 1024))  # packs to ~40 KB
    assert path.stat().st_size < 200_000
    [error] = read(path).errors
    assert (error.line, [p.code for p in error.problems]) == (0, ["xlsx_too_big"])
    assert "压缩炸弹" in reason(error, "zh") and "unpacks" in reason(error, "en")


def test_an_oversized_or_damaged_spreadsheet_is_refused_with_one_reason(tmp_path: Path):
    big = tmp_path / "big.csv"
    big.write_bytes(b"x" * (6 * 1024 * 1024))
    damaged = tmp_path / "damaged.xlsx"
    damaged.write_bytes(b"PK\x03\x04 not really a zip")
    many = tmp_path / "many.csv"
    many.write_text("题干,答案\n" + "问题？,A\n" * 6000, encoding="utf-8")
    codes = [[p.code for e in read(p).errors for p in e.problems] for p in (big, damaged, many)]
    assert codes == [["file_too_big"], ["xlsx_damaged"], ["too_many_rows"]]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_template_round_trips(tmp_path: Path, lang: str):
    path = tmp_path / f"template-{lang}.xlsx"
    write_template(path, lang, [("drafting", "按GB/T 1.1—2020起草标准")])
    report = read(path)
    assert report.errors == []
    [q] = report.questions
    assert (q.id, q.kind, q.answer, q.lang, q.status) == (
        f"template-{lang}-001",
        "single",
        (0,),
        lang,
        "published",
    )
    assert (q.competencies, q.level, q.bloom) == (("drafting",), 1, "remember")
    assert q.options == (
        ("应", "宜", "可", "能") if lang == "zh" else ("shall", "should", "may", "can")
    )
    assert problems(q, COMPETENCIES, DOCS) == []


def test_spreadsheets_are_question_files_not_course_materials():
    assert {".xlsx", ".csv"} <= set(SUFFIXES)
    assert not {".xlsx", ".csv"} & set(MATERIALS)


@pytest.fixture
async def bot(pack_app, records_url):
    async with running_bot(pack_app, records_url) as harness:
        await harness.enrol(INSTRUCTOR, "instructor")
        await harness.core.services.records.update_user(INSTRUCTOR, lang="zh")
        yield harness


@pytest.mark.asyncio(loop_scope="session")
async def test_a_chinese_instructor_sees_the_import_summary_in_chinese(bot):
    book = io.BytesIO()
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    rows = [
        [*ZH_HEAD, "出处"],
        [*ZH_ROWS[0], "drafting_rules.md#能愿动词"],
        ["单选", "没有能力项的题", "应", "宜", "", "", "B"],  # row 3: a draft
        ["单选", "答案越界", "应", "宜", "", "", "E", "", "drafting", 1, "drafting_rules.md"],
    ]
    for row in rows:
        sheet.append(row)
    workbook.save(book)
    data = book.getvalue()
    bot.api.add_file("f-sheet", data)
    before = len(bot.api.sent(INSTRUCTOR))
    bot.api.document(INSTRUCTOR, "f-sheet", "题库.xlsx", len(data))
    await until(lambda: len(bot.api.sent(INSTRUCTOR)) > before)
    await bot.api.wait_idle(quiet=1.5)
    [summary] = bot.api.sent(INSTRUCTOR)[before:]
    assert summary["text"] == (
        "题库.xlsx：新增 2 题，更新 0 题，1 题有问题未导入。\n"
        "其中 1 题没有标注能力项或层级，已存为草稿：请在控制台补充后发布。\n"
        "• 第 4 行：答案“E”不是 A-B 中的选项字母。"
    )
    draft = await bot.core.services.records.item("题库-003")
    assert draft is not None and draft.status == "draft"


def test_the_template_is_an_xlsx():
    assert template_bytes("zh")[:2] == b"PK"


def test_the_cli_writes_the_template_and_imports_it(
    tmp_path: Path, embedding_cache: Path, monkeypatch: pytest.MonkeyPatch
):
    from tests.test_cli import run_cli

    monkeypatch.setenv("EMBEDDING_CACHE", str(embedding_cache))
    home = tmp_path / "home"
    wrote = run_cli(["questions", "template", "--lang", "en", str(tmp_path / "t.xlsx")], home)
    assert wrote.returncode == 0, wrote.stderr
    imported = run_cli(["questions", "import", str(tmp_path / "t.xlsx")], home)
    assert imported.returncode == 0, imported.stderr
    assert "t.xlsx: 1 added, 0 updated, 0 rejected" in imported.stdout
    listed = run_cli(["questions", "list"], home)
    assert "template-en-001" in listed.stdout
