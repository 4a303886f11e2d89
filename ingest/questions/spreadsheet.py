"""Spreadsheet question banks (.xlsx, .csv): one row a question, as Chinese instructors keep them.

The first sheet (of an .xlsx) holds a heading row, then one question a row. Headings may be
Chinese or English (case, spaces and a note in brackets, "题型（单选/多选/判断）", don't matter):

    题型 / type          单选 single, 多选 multiple, 判断 true-false (empty: guessed from 答案)
    题干 / stem          the question (required)
    选项A … 选项J / option A … J   the options, in order, none skipped (A-F in the template)
    答案 / answer        letters: "A", "AC", "A,C", "A、C"; true-false also 对/错, 正确/错误, T/F
    解析 / explanation   shown with the result (at most 200 characters)
    能力项 / competencies  competency ids, separated by commas or 、
    层级, 难度 / level   1-5
    布鲁姆 / bloom       optional: remember … create, or 记忆 理解 应用 分析 评价 创造
                        (default: from the level, 1 remember … 5 evaluate)
    出处 / source        a course-pack file, optionally #section: drafting_rules.md#能愿动词
    语言 / lang          optional: zh | en (default: Chinese in the stem -> zh)
    题号 / id            optional: a stable id (default: <file name>-<row>, e.g. 题库-002)

Other columns (序号, 分值, 章节 …) are ignored. A row without competencies or level imports
as a draft (status "draft", to tag in the console before it is published) instead of being
refused; a bad row is reported with its row number. CSV files may be UTF-8 (with or without
a BOM) or GB18030, as Chinese Excel saves them. An .xlsx is checked as a zip before openpyxl
opens it (no zip bombs; `check_package`, then a tighter total for a question file), read
only, values not formulas, and at most `MAX_ROWS` rows and `MAX_COLUMNS` columns.
`write_template` writes the template to download, with Chinese or English headings.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from ingest.questions import Entry, UnparsableFile
from knowledge.errors import MaterialError, TooLarge
from knowledge.learning.questions import BLOOM, Problem, cut, problem
from knowledge.vocabulary import MB

SUFFIXES = (".xlsx", ".csv")
MAX_ROWS = 5000  # questions in one file, heading included; a bigger bank is split
MAX_COLUMNS = 40  # cells read in a row: the columns above, and some of one's own
MAX_UNPACKED_BYTES = 32 * MB  # an .xlsx of questions unpacks to far less
HEADER_ROWS = 10  # the heading row is among the first rows (a title may stand above it)
LETTERS = "ABCDEFGHIJ"  # options A-J: a poll takes at most 10

# heading (normalised: see `_key`) -> field
HEADINGS: dict[str, str] = {
    **dict.fromkeys(("题型", "类型", "题目类型", "type", "kind", "questiontype"), "kind"),
    **dict.fromkeys(("题干", "题目", "问题", "试题", "stem", "question"), "stem"),
    **dict.fromkeys(("答案", "正确答案", "标准答案", "answer", "correctanswer", "key"), "answer"),
    **dict.fromkeys(("解析", "答案解析", "试题解析", "explanation"), "explanation"),
    **dict.fromkeys(("能力项", "能力", "能力点", "competencies", "competency"), "competencies"),
    **dict.fromkeys(("层级", "难度", "级别", "等级", "level", "difficulty"), "level"),
    **dict.fromkeys(("布鲁姆", "认知层次", "认知层级", "bloom"), "bloom"),
    **dict.fromkeys(("出处", "来源", "source", "sourcedoc"), "source"),
    **dict.fromkeys(("语言", "lang", "language"), "lang"),
    **dict.fromkeys(("题号", "编号", "id"), "id"),
    **{f"选项{x.lower()}": f"option {x}" for x in LETTERS},
    **{f"option{x.lower()}": f"option {x}" for x in LETTERS},
    **{x.lower(): f"option {x}" for x in LETTERS},
}
KINDS: dict[str, str] = {
    **dict.fromkeys(("单选", "单项选择", "单选择", "single", "singlechoice"), "single"),
    **dict.fromkeys(("多选", "多项选择", "多选择", "multiple", "multiplechoice"), "multiple"),
    **dict.fromkeys(
        ("判断", "是非", "truefalse", "tf", "true/false", "trueorfalse", "judge"), "truefalse"
    ),
}
TRUE = ("对", "正确", "是", "√", "✓", "t", "true", "y", "yes")
FALSE = ("错", "错误", "否", "×", "✗", "x", "f", "false", "n", "no")
BLOOM_ZH = {"记忆": 0, "识记": 0, "理解": 1, "应用": 2, "分析": 3, "评价": 4, "创造": 5}
_SEPARATORS = re.compile(r"[\s,，、;；/|]+")
_NOTE = re.compile(r"[(（\[【].*?[)）\]】]")


def parse_spreadsheet(path: Path) -> list[Entry]:
    """Read an .xlsx or .csv question bank (already checked against the file size limit)."""
    rows = _xlsx_rows(path) if path.suffix.lower() == ".xlsx" else _csv_rows(path)
    return _entries(rows, path)


# --- reading ----------------------------------------------------------------------------------


def _xlsx_rows(path: Path) -> Iterator[tuple[int, Sequence[object]]]:
    _check_zip(path)
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises anything on a malformed package
        raise UnparsableFile(_damaged(e)) from e
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True)
        for number, row in enumerate(rows, start=1):
            _count(number)
            yield number, row
    except UnparsableFile:
        raise
    except Exception as e:
        raise UnparsableFile(_damaged(e)) from e
    finally:
        book.close()


def _check_zip(path: Path) -> None:
    from ingest.loaders.package import check_package

    try:
        check_package(path, "xlsx", MAX_UNPACKED_BYTES)
    except TooLarge as e:
        raise UnparsableFile(_bomb(e.detail)) from e
    except MaterialError as e:
        detail = cut(e.detail or e.reason)
        raise UnparsableFile(
            problem("xlsx_damaged", f"not a readable .xlsx: {detail}", detail=detail)
        ) from e
    except (OSError, zipfile.BadZipFile) as e:
        raise UnparsableFile(_damaged(e)) from e


def _bomb(detail: str) -> Problem:
    text = f"the .xlsx unpacks to too much for a question file ({detail})"
    return problem("xlsx_too_big", text, detail=cut(detail))


def _damaged(error: Exception) -> Problem:
    detail = " ".join(str(error).split()) or type(error).__name__
    return problem("xlsx_damaged", f"not a readable .xlsx: {detail}", detail=cut(detail))


def _csv_rows(path: Path) -> Iterator[tuple[int, Sequence[object]]]:
    text = _decode(path.read_bytes())
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        for row in reader:
            _count(reader.line_num)
            yield reader.line_num, row[:MAX_COLUMNS]
    except csv.Error as e:
        line, detail = reader.line_num, cut(str(e))
        raise UnparsableFile(
            problem("csv_bad", f"not a readable CSV: {e}", detail=detail), line
        ) from e


def _decode(data: bytes) -> str:
    if b"\x00" in data:
        raise UnparsableFile(problem("binary_file", "binary file, not a text question file"))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as e:
        text = f"CSV neither UTF-8 nor GB18030 (bad byte at offset {e.start})"
        raise UnparsableFile(problem("csv_encoding", text, offset=e.start)) from e


def _count(number: int) -> None:
    if number > MAX_ROWS:
        text = f"more than {MAX_ROWS} rows: split the question bank into smaller files"
        raise UnparsableFile(problem("too_many_rows", text, limit=MAX_ROWS), number)


# --- rows to questions ------------------------------------------------------------------------


def _entries(rows: Iterable[tuple[int, Sequence[object]]], path: Path) -> list[Entry]:
    columns: dict[int, str] | None = None
    entries: list[Entry] = []
    for number, row in rows:
        cells = [_cell(c) for c in row]
        if not any(cells):
            continue
        if columns is None:
            columns = _heading(cells)
            if columns is None and number >= HEADER_ROWS:
                raise UnparsableFile(_no_heading(), number)
            continue
        values = {columns[i]: c for i, c in enumerate(cells) if i in columns and c}
        if not values:  # only columns of one's own (序号, 分值): no question
            continue
        entries.append(_entry(number, values, path))
    if columns is None:
        raise UnparsableFile(_no_heading(), 1)
    return entries


def _no_heading() -> Problem:
    text = "no heading row with 题干 (stem) and 答案 (answer): use the template's headings"
    return problem("sheet_no_heading", text)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _key(heading: str) -> str:
    return re.sub(r"[\s_\-:：*]+", "", _NOTE.sub("", heading)).lower()


def _heading(cells: list[str]) -> dict[int, str] | None:
    """Column -> field, when this row is the heading row (it names the stem and the answer)."""
    columns = {i: HEADINGS[_key(c)] for i, c in enumerate(cells) if _key(c) in HEADINGS}
    named = set(columns.values())
    return columns if {"stem", "answer"} <= named else None


def _entry(number: int, values: dict[str, str], path: Path) -> Entry:
    try:
        return Entry(number, _fields(number, values, path))
    except _BadRow as e:
        return Entry(number, error=e.reason)


class _BadRow(Exception):
    def __init__(self, reason: Problem) -> None:
        super().__init__(reason.text)
        self.reason = reason


def _fields(number: int, values: dict[str, str], path: Path) -> dict[str, object]:
    options = _options(values)
    answer = values.get("answer", "")
    kind = _kind(values.get("kind", ""), answer)
    fields: dict[str, object] = {
        "id": values.get("id") or _row_id(path, number),
        "kind": kind,
        "stem": values.get("stem", ""),
        "options": options,
        "answer": _answer(answer, kind, options),
        "explanation": values.get("explanation", ""),
        "competencies": list(_parts(values.get("competencies", ""))),
    }
    for name in ("lang", "level"):
        if values.get(name):
            fields[name] = values[name]
    doc, _, clause = values.get("source", "").partition("#")
    fields.update(source_doc=doc.strip(), clause=clause.strip())
    fields["bloom"] = _bloom(values.get("bloom", ""), values.get("level", ""))
    if not fields["competencies"] or not values.get("level"):
        fields["status"] = "draft"  # to tag in the console; the bank takes an untagged draft
    return fields


def _row_id(path: Path, number: int) -> str:
    """`<file name>-<row>`, Chinese kept: 题库.xlsx and 练习.xlsx must not share ids."""
    slug = re.sub(r"[^\w]+", "-", path.stem.lower()).strip("-_") or "q"
    return f"{slug}-{number:03d}"


def _options(values: dict[str, str]) -> list[str]:
    given = [values.get(f"option {x}", "") for x in LETTERS]
    while given and not given[-1]:
        given.pop()
    if "" in given:
        letter = LETTERS[given.index("")]
        text = f"option {letter} is empty but a later option is given"
        raise _BadRow(problem("sheet_option_gap", text, letter=letter))
    return given


def _kind(value: str, answer: str) -> str:
    if not value:  # guessed: 对/错 is true-false, two letters or more multiple choice
        word = answer.strip().lower()
        if word in TRUE + FALSE and not re.fullmatch("[a-z]", word):  # F may be option F
            return "truefalse"
        return "multiple" if len(_letters(answer)) > 1 else "single"
    key = re.sub(r"[\s_\-]+", "", value).lower().removesuffix("题")
    if key not in KINDS:
        text = f"question type {value!r} is not 单选/single, 多选/multiple or 判断/true-false"
        raise _BadRow(problem("sheet_bad_kind", text, value=cut(value)))
    return KINDS[key]


def _letters(answer: str) -> list[str]:
    return [x for x in _SEPARATORS.sub("", answer.upper())]


def _answer(value: str, kind: str, options: list[str]) -> object:
    if not value:
        raise _BadRow(problem("sheet_no_answer", "no answer"))
    word = value.strip().lower()
    if kind == "truefalse" and word in TRUE + FALSE:
        return word in TRUE  # True: the first option (对, True), False: the second
    letters = _letters(value)
    count = len(options) or (2 if kind == "truefalse" else 0)
    last = LETTERS[count - 1] if count else "A"
    if not count:
        raise _BadRow(problem("sheet_no_options", "no options (选项A, 选项B, …)"))
    if not letters or not all(x in LETTERS[:count] for x in letters):
        text = f"answer {value!r} names no option A-{last}"
        raise _BadRow(problem("sheet_bad_answer", text, value=cut(value), last=last))
    return [LETTERS.index(x) for x in letters]


def _parts(value: str) -> tuple[str, ...]:
    return tuple(p for p in re.split(r"[\s,，、;；]+", value) if p)


def _bloom(value: str, level: str) -> str:
    if value:
        return BLOOM[BLOOM_ZH[value]] if value in BLOOM_ZH else value.lower()
    if not level.isdigit():
        return ""  # a bad level is named alone, not also a missing bloom
    return BLOOM[min(max(int(level), 1), 5) - 1]


# --- the template -----------------------------------------------------------------------------

TEMPLATE_HEADINGS = {
    "zh": (
        "题型", "题干", "选项A", "选项B", "选项C", "选项D", "选项E", "选项F", "答案", "解析",
        "能力项", "层级", "布鲁姆", "出处", "语言", "题号",
    ),
    "en": (
        "type", "stem", "option A", "option B", "option C", "option D", "option E", "option F",
        "answer", "explanation", "competencies", "level", "bloom", "source", "lang", "id",
    ),
}  # fmt: skip
TEMPLATE_EXAMPLE = {
    "zh": (
        "单选", "标准中表示要求的条款应使用哪个能愿动词？", "应", "宜", "可", "能", "", "",
        "A", "要求型条款使用“应”。", "drafting", 1, "记忆", "drafting_rules.md#能愿动词",
        "zh", "template-zh-001",
    ),
    "en": (
        "single", "Which verbal form expresses a requirement in a standard?", "shall",
        "should", "may", "can", "", "", "A", "Requirements use “shall”.", "drafting", 1,
        "remember", "drafting_rules_en.md", "en", "template-en-001",
    ),
}  # fmt: skip
TEMPLATE_NOTES = {
    "zh": (
        ("题型", "单选、多选或判断"),
        ("题干", "题目文字（必填）"),
        ("选项A … 选项F", "按顺序填写，中间不能空；判断题可不填（默认为 对/错）"),
        ("答案", "选项字母，如 A、AC 或 A,C；判断题也可写 对/错"),
        ("解析", "答题后显示，最多 200 字"),
        ("能力项", "能力模型中的能力项编号，多个用逗号或顿号分隔；不填则导入为草稿"),
        ("层级", "1-5；不填则导入为草稿"),
        ("布鲁姆", "可不填：记忆、理解、应用、分析、评价、创造（默认按层级）"),
        ("出处", "课程资料包中的文件名，可加 #章节，如 drafting_rules.md#能愿动词"),
        ("语言", "可不填：zh 或 en（默认：题干含中文即为 zh）"),
        ("题号", "可不填：再次导入同一题号会更新这道题"),
    ),
    "en": (
        ("type", "single, multiple or true-false"),
        ("stem", "the question (required)"),
        ("option A … option F", "in order, none skipped; true-false may leave them empty"),
        ("answer", "option letters: A, AC or A,C; true-false also T/F"),
        ("explanation", "shown with the result, at most 200 characters"),
        ("competencies", "competency ids, separated by commas; empty: imported as a draft"),
        ("level", "1-5; empty: imported as a draft"),
        ("bloom", "optional: remember ... create (default: from the level)"),
        ("source", "a course-pack file, optionally #section: drafting_rules_en.md"),
        ("lang", "optional: zh or en (default: Chinese in the stem means zh)"),
        ("id", "optional: importing the same id again updates the question"),
    ),
}
TEMPLATE_NAMES = {"zh": "题库模板.xlsx", "en": "question-bank-template.xlsx"}


def template_bytes(lang: str = "zh", competencies: Iterable[tuple[str, str]] = ()) -> bytes:
    """The template .xlsx: headings in `lang` and one example row on the first sheet, what each
    column takes on the second, and the competency ids (with their titles) on a third."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    lang = lang if lang in TEMPLATE_HEADINGS else "en"
    zh = lang == "zh"
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "题库" if zh else "questions"
    sheet.append(list(TEMPLATE_HEADINGS[lang]))
    sheet.append(list(TEMPLATE_EXAMPLE[lang]))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.column_dimensions["B"].width = 48
    notes = book.create_sheet("说明" if zh else "notes")
    for row in TEMPLATE_NOTES[lang]:
        notes.append(list(row))
    notes.column_dimensions["A"].width = 22
    notes.column_dimensions["B"].width = 70
    listed = list(competencies)
    if listed:
        ids = book.create_sheet("能力项" if zh else "competencies")
        ids.append(["能力项" if zh else "competency", "名称" if zh else "title"])
        for row in listed:
            ids.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def write_template(
    path: Path, lang: str = "zh", competencies: Iterable[tuple[str, str]] = ()
) -> None:
    path.write_bytes(template_bytes(lang, competencies))
