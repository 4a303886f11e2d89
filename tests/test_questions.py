"""Question validation, grading, poll limits, the YAML, GIFT and Aiken importers, and the
reason codes of what they refuse, rendered in zh and en."""

from __future__ import annotations

import ast
from dataclasses import replace
from pathlib import Path
from string import Formatter

import pytest

from bot.flows.question_files import WHY, reason
from ingest.questions import BadQuestion, ImportReport, import_file
from knowledge.learning.questions import Question, problems
from knowledge.vocabulary import has_cjk

COMPETENCIES = {"drafting", "iso-iec-process", "cn-standards-system"}
DOCS = {"drafting_rules.md", "iso_iec_stages.md"}
GOOD = Question(
    id="t-1",
    lang="en",
    kind="single",
    stem="Which verb expresses a requirement?",
    options=("shall", "should", "may"),
    answer=(0,),
    accepted=(),
    explanation="Requirements use shall.",
    feedback="",
    source_doc="drafting_rules.md",
    clause="能愿动词",
    competencies=("drafting",),
    level=1,
    bloom="remember",
)
HEADER = (
    "// @competencies: drafting\n// @level: 2\n// @bloom: remember\n"
    "// @source: drafting_rules.md\n\n"
)


def load(tmp_path: Path, name: str, text: str, **kwargs) -> ImportReport:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return import_file(path, COMPETENCIES, DOCS, **kwargs)


def only(report: ImportReport) -> Question:
    assert report.errors == [] and len(report.questions) == 1, report
    return report.questions[0]


# --- validation -------------------------------------------------------------------------------


def test_a_good_question_has_no_problems():
    assert problems(GOOD, COMPETENCIES, DOCS) == []
    short = replace(GOOD, kind="short", options=(), answer=(), accepted=("shall",))
    assert problems(short) == []


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"stem": "  "}, "empty stem"),
        ({"options": ("shall",)}, "2-10 options"),
        ({"options": tuple("abcdefghijk")}, "2-10 options"),
        ({"answer": (0, 1)}, "exactly one answer"),
        ({"answer": (3,)}, "out of range"),
        ({"kind": "multiple", "options": ("a", "b"), "answer": (0, 1)}, "at least 3 options"),
        ({"kind": "multiple", "answer": (0,)}, "at least 2 correct"),
        ({"kind": "truefalse"}, "exactly 2 options"),
        ({"kind": "truefalse", "options": ("True", "False"), "answer": (0, 1)}, "one answer"),
        ({"kind": "short", "options": (), "answer": (), "accepted": ()}, "accepted"),
        ({"kind": "short", "answer": (), "accepted": ("x",)}, "takes no options"),
        ({"kind": "essay"}, "kind"),
        ({"explanation": "x" * 201}, "put the rest in feedback"),
        ({"level": 0}, "outside 1-5"),
        ({"level": 6}, "outside 1-5"),
        ({"bloom": "memorize"}, "bloom"),
        ({"competencies": ()}, "no competency"),
        ({"competencies": ("drafting", "cooking")}, "unknown competency cooking"),
        ({"source_doc": "nowhere.md"}, "unknown source_doc"),
        ({"source_doc": ""}, "no source_doc"),
        ({"status": "live"}, "status"),
        ({"lang": "fr"}, "lang"),
        ({"id": ""}, "empty id"),
    ],
)
def test_problems_name_the_rule(changes: dict, reason: str):
    found = problems(replace(GOOD, **changes), COMPETENCIES, DOCS)
    assert any(reason in p.text for p in found), found


def test_ids_and_docs_are_only_checked_when_known():
    q = replace(GOOD, competencies=("cooking",), source_doc="nowhere.md")
    assert problems(q) == []


def test_long_stems_and_options_are_fine_but_do_not_fit_a_poll():
    assert GOOD.fits_poll and replace(GOOD, stem="s" * 300).fits_poll
    assert replace(GOOD, options=("o" * 100, "b")).fits_poll
    long_stem, long_option = replace(GOOD, stem="s" * 301), replace(GOOD, options=("o" * 101, "b"))
    assert not long_stem.fits_poll and not long_option.fits_poll
    assert problems(long_stem) == [] and problems(long_option) == []
    assert not replace(GOOD, kind="multiple", answer=(0, 1)).fits_poll


def test_is_correct():
    assert GOOD.is_correct((0,)) and not GOOD.is_correct((1,)) and not GOOD.is_correct("shall")
    multi = replace(GOOD, kind="multiple", answer=(0, 2))
    assert multi.is_correct((2, 0)) and not multi.is_correct((0,))
    short = replace(GOOD, kind="short", options=(), answer=(), accepted=("GB/T", "GB T"))
    assert short.is_correct("  gb/t ") and short.is_correct("gb   t") and not short.is_correct("GB")


# --- GIFT -------------------------------------------------------------------------------------


def test_gift_single_choice_with_title_marker_and_feedback(tmp_path: Path):
    text = HEADER + (
        "// @source: drafting_rules.md#能愿动词\n"
        "::k5-x:: [markdown] 表示要求用哪个词？\n"
        "{=应 ~宜#宜表示推荐 ~可#可表示允许 ####表示要求用“应”。}\n"
    )
    q = only(load(tmp_path, "q.gift", text))
    assert (q.id, q.lang, q.kind, q.stem) == ("k5-x", "zh", "single", "表示要求用哪个词？")
    assert q.options == ("应", "宜", "可") and q.answer == (0,)
    assert q.explanation == "表示要求用“应”。"
    assert q.feedback == "宜: 宜表示推荐\n可: 可表示允许"
    assert (q.source_doc, q.clause, q.competencies, q.level, q.bloom) == (
        "drafting_rules.md",
        "能愿动词",
        ("drafting",),
        2,
        "remember",
    )
    assert q.status == "published"


def test_gift_weights_make_a_multiple_choice(tmp_path: Path):
    q = only(load(tmp_path, "q.gift", HEADER + "Pick two. {~%50%A ~%50%B ~%-100%C}\n"))
    assert (q.kind, q.options, q.answer) == ("multiple", ("A", "B", "C"), (0, 1))


@pytest.mark.parametrize(
    ("block", "answer"), [("{T}", 0), ("{TRUE}", 0), ("{F}", 1), ("{FALSE}", 1)]
)
def test_gift_true_false_spellings(tmp_path: Path, block: str, answer: int):
    q = only(load(tmp_path, "q.gift", HEADER + f"Abstentions count for P-members. {block}\n"))
    assert (q.kind, q.options, q.answer, q.lang) == (
        "truefalse",
        ("True", "False"),
        (answer,),
        "en",
    )


def test_gift_true_false_feedback_and_chinese_options(tmp_path: Path):
    text = HEADER + "O成员必须投票。{FALSE#O成员不承担投票义务。#对，O成员无投票义务。}\n"
    q = only(load(tmp_path, "q.gift", text))
    assert q.options == ("对", "错") and q.answer == (1,)
    assert q.feedback == "O成员不承担投票义务。\n对，O成员无投票义务。"


def test_gift_short_answer(tmp_path: Path):
    q = only(load(tmp_path, "q.gift", HEADER + "Published stage code? {=60.60 =60,60#close}\n"))
    assert (q.kind, q.options, q.answer, q.accepted) == ("short", (), (), ("60.60", "60,60"))
    assert q.is_correct("60.60") and q.feedback == "60,60: close"


@pytest.mark.parametrize(
    ("block", "accepted", "right", "wrong"),
    [
        ("{#12}", ("12",), ["12", "12.0", "１２"], ["11.9", "twelve", ""]),
        ("{#8:0.5}", ("8:0.5",), ["7.5", "8,4", "8.5"], ["7.4", "9"]),
        ("{#2015..2018}", ("2015..2018",), ["2015", "2016"], ["2014", "2019"]),
        ("{#=4:0#right =%50%4:1#close}", ("4:0",), ["4"], ["3.5", "5"]),  # full credit only
    ],
)
def test_gift_numerical_is_graded_within_its_tolerance(
    tmp_path: Path, block: str, accepted: tuple, right: list, wrong: list
):
    q = only(load(tmp_path, "q.gift", HEADER + f"How many? {block}\n"))
    assert (q.kind, q.options, q.answer, q.accepted) == ("numerical", (), (), accepted)
    assert all(q.is_correct(r) for r in right) and not any(q.is_correct(w) for w in wrong)


def test_gift_matching_keeps_its_pairs_and_needs_every_letter_right(tmp_path: Path):
    text = HEADER + "Match the verb to its clause type. {=shall -> requirement =may -> permission"
    text += " =can -> possibility ####Clause types follow the verb.}\n"
    q = only(load(tmp_path, "q.gift", text))
    assert (q.kind, q.accepted) == ("matching", ("shall", "may", "can"))
    assert [q.options[i] for i in q.answer] == ["requirement", "permission", "possibility"]
    assert q.answer != (0, 1, 2)  # the answers are not left in the items' order
    right = "".join("ABC"[i] for i in q.answer)
    assert q.is_correct(right) and q.is_correct(f"1{right[0]} 2{right[1]} 3{right[2]}")
    assert not q.is_correct(right[:2]) and not q.is_correct(right[::-1])
    assert q.explanation == "Clause types follow the verb."


@pytest.mark.parametrize(
    ("block", "code"),
    [
        ("{#twelve}", "gift_numerical"),
        ("{#}", "gift_numerical"),
        ("{=a -> b =c}", "gift_matching"),
        ("{=a -> b}", "matching_prompts"),
    ],
)
def test_bad_gift_numerical_and_matching_say_why(tmp_path: Path, block: str, code: str):
    [error] = load(tmp_path, "q.gift", HEADER + f"Question? {block}\n").errors
    assert code in [p.code for p in error.problems]


def test_gift_categories_titles_and_generated_ids(tmp_path: Path):
    text = (
        "// @level: 1\n// @bloom: remember\n// @source: iso_iec_stages.md\n\n"
        "$CATEGORY: $course$/top/Standards/iso-iec-process\n\n"
        "First? {=a ~b}\n\n"
        "// @competencies: drafting\n::named:: Second? {=a ~b}\n\n"
        "$CATEGORY: $course$/top/Default\n\n"
        "Third? {=a ~b}\n"
    )
    report = load(tmp_path, "My Bank.gift", text)
    first, second = report.questions
    assert (first.id, first.competencies) == ("my-bank-001", ("iso-iec-process",))
    assert (second.id, second.competencies) == ("named", ("drafting",))
    assert [(e.line, e.reason) for e in report.errors] == [(14, "missing competencies")]


def test_gift_escapes_and_missing_word(tmp_path: Path):
    text = HEADER + r"::a\:b:: Use \{braces\} \= \# \~ here {=x\=1 ~y\~2} now." + "\n"
    q = only(load(tmp_path, "q.gift", text))
    assert q.id == "a:b" and q.stem == "Use {braces} = # ~ here _____ now."
    assert q.options == ("x=1", "y~2")


def test_gift_html_marker_is_stripped(tmp_path: Path):
    q = only(load(tmp_path, "q.gift", HEADER + "[html]<p>Is <b>CASCO</b> &amp; ISO?</p>{T}\n"))
    assert q.stem == "Is CASCO & ISO?"


def test_gift_long_general_feedback_is_split(tmp_path: Path):
    general = "能愿动词“应”表示要求。" * 30
    q = only(load(tmp_path, "q.gift", HEADER + f"表示要求？ {{=应 ~宜#推荐 ####{general}}}\n"))
    assert len(q.explanation) <= 200 and q.explanation.endswith("。")
    assert general.startswith(q.explanation) and q.feedback == f"{general}\n\n宜: 推荐"
    unbroken = "x" * 300
    q = only(load(tmp_path, "q.gift", HEADER + f"Long? {{=a ~b ####{unbroken}}}\n"))
    assert q.explanation == "x" * 199 + "…" and q.feedback == unbroken


def test_gift_metadata_comments_override_defaults(tmp_path: Path):
    text = HEADER + (
        "// @level: 4\n// @bloom: analyze\n// @lang: en\n// @status: draft\n"
        "// @competencies: drafting, iso-iec-process\n"
        "// @source: iso_iec_stages.md#Harmonized stage codes\n"
        "Code 60.60 means? {=published ~withdrawn}\n"
    )
    q = only(load(tmp_path, "q.gift", text))
    assert (q.level, q.bloom, q.lang, q.status) == (4, "analyze", "en", "draft")
    assert q.competencies == ("drafting", "iso-iec-process")
    assert (q.source_doc, q.clause) == ("iso_iec_stages.md", "Harmonized stage codes")


def test_broken_gift_file_reports_each_bad_question(tmp_path: Path):
    text = HEADER + (  # the header takes lines 1-5
        "Good one? {=a ~b}\n\n"  # 6
        "No answers here.\n\n"  # 8
        "// @level: 9\nBad level? {=a ~b}\n\n"  # 10-11
        "Two blocks {=a ~b} and {=c ~d}\n\n"  # 13
        "Match {=a -> b =c}\n\n"  # 15
        "// @bloom: memorize\nBad bloom? {=a ~b}\n\n"  # 17-18
        "// @colour: blue\nUnknown key? {=a ~b}\n\n"  # 20-21
        "Another good one? {~a =b}\n"  # 23
    )
    report = load(tmp_path, "bank.gift", text)
    assert [q.answer for q in report.questions] == [(0,), (1,)]
    assert {e.file for e in report.errors} == {str(tmp_path / "bank.gift")}
    got = {e.line: e.reason for e in report.errors}
    assert sorted(got) == [8, 11, 13, 15, 18, 21]
    assert "no {...} answer block" in got[8]
    assert "level 9 is outside 1-5" in got[11]
    assert "exactly one {...} answer block" in got[13]
    assert "matching" in got[15]
    assert "bloom 'memorize'" in got[18]
    assert "unknown metadata @colour" in got[21]


# --- Aiken ------------------------------------------------------------------------------------

AIKEN = """# @competencies: iso-iec-process
# @level: 1
# @bloom: remember
# @source: iso_iec_stages.md

# @id: dis-weeks
# @source: iso_iec_stages.md#Enquiry and approval stages
How long does the DIS ballot last?
A. 8 weeks
B) 12 weeks
ANSWER: B
Which are stage documents?
A. WD
B. CD
C. ISBN
ANSWER: A, B
"""


def test_aiken_questions_with_header_and_metadata(tmp_path: Path):
    report = load(tmp_path, "stages.aiken", AIKEN)
    assert report.errors == []
    first, second = report.questions
    assert (first.id, first.kind, first.options, first.answer) == (
        "dis-weeks",
        "single",
        ("8 weeks", "12 weeks"),
        (1,),
    )
    assert (first.source_doc, first.clause, first.level) == (
        "iso_iec_stages.md",
        "Enquiry and approval stages",
        1,
    )
    assert (second.id, second.kind, second.answer) == ("stages-002", "multiple", (0, 1))
    assert (second.source_doc, second.clause) == ("iso_iec_stages.md", "")
    assert second.competencies == ("iso-iec-process",)


def test_broken_aiken_file_reports_each_bad_question(tmp_path: Path):
    text = AIKEN.replace("ANSWER: A, B", "ANSWER: D") + (
        "\nNo answer line?\nA. x\nB. y\n"  # 18: runs into the next question
        "Out of order?\nA. x\nC. y\nANSWER: A\n"  # 21
        "Fine again?\nA. x\nB. y\nANSWER: A\n"  # 25
    )
    report = load(tmp_path, "stages.aiken", text)
    assert [q.stem for q in report.questions] == [
        "How long does the DIS ballot last?",
        "Fine again?",
    ]
    got = {e.line: e.reason for e in report.errors}
    assert got == {
        12: "ANSWER: D names no option A-C",
        18: "missing ANSWER: line after the options",
        21: "option C out of order (expected B)",
    }


# --- YAML -------------------------------------------------------------------------------------

YAML = """defaults:
  competencies: drafting
  source_doc: drafting_rules.md
  level: 1
  bloom: remember
questions:
  - id: y-1
    kind: single
    stem: 表示要求用哪个词？
    options: [应, 宜, 可]
    answer: 应
    explanation: 表示要求使用“应”。
  - id: y-2
    kind: multiple
    stem: Which are mandatory elements?
    options: [cover, foreword, index]
    answer: [0, foreword]
  - id: y-3
    kind: truefalse
    stem: 前言可以包含要求。
    answer: false
    clause: 封面、目次和前言
    status: draft
"""


def test_yaml_questions_with_defaults_and_answer_forms(tmp_path: Path):
    report = load(tmp_path, "bank.yaml", YAML)
    assert report.errors == []
    one, two, three = report.questions
    assert (one.lang, one.answer, one.competencies, one.level) == ("zh", (0,), ("drafting",), 1)
    assert (two.lang, two.answer) == ("en", (0, 1))
    assert (three.options, three.answer, three.status) == (("对", "错"), (1,), "draft")


def test_yaml_plain_list(tmp_path: Path):
    text = "- {id: a, kind: short, stem: 'Code?', accepted: '60.60', competencies: [drafting],\n"
    text += "   level: 2, bloom: remember, source_doc: iso_iec_stages.md}\n"
    q = only(load(tmp_path, "bank.yml", text, default_status="draft"))
    assert (q.accepted, q.status) == (("60.60",), "draft")


def test_broken_yaml_file_reports_each_bad_question(tmp_path: Path):
    text = YAML + (
        "  - id: y-1\n    kind: single\n    stem: Duplicate?\n    options: [a, b]\n    answer: 0\n"
        "  - id: y-5\n    kind: single\n    stem: Bad answer\n    options: [a, b]\n    answer: c\n"
        "  - id: y-6\n    kind: single\n    stem: Typo\n    option: [a, b]\n    answer: 0\n"
        "  - id: y-7\n    kind: single\n    stem: Float\n    options: [60.60, b]\n    answer: 0\n"
        "  - just text\n"
        "  - {id: y-9, kind: single, stem: Fine, options: [a, b], answer: 1}\n"
    )
    report = load(tmp_path, "bank.yaml", text)
    assert [q.id for q in report.questions] == ["y-1", "y-2", "y-3", "y-9"]
    got = {e.line: e.reason for e in report.errors}
    assert got == {
        24: "duplicate id 'y-1' (first at line 7)",
        29: "answer 'c' is not one of the options",
        34: "unknown field option",
        39: "options must be a list of text (quote numbers and dates in YAML)",
        44: "expected a mapping of question fields",
    }


def test_yaml_syntax_error_is_one_error_for_the_file(tmp_path: Path):
    report = load(tmp_path, "bank.yaml", "- id: a\n  stem: [unclosed\n- id: b\n")
    assert report.questions == [] and len(report.errors) == 1
    assert report.errors[0].reason.startswith("not valid YAML") and report.errors[0].line == 3


# --- files ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("bin.gift", b"\x00\x01\x02GIFT{", "binary file"),
        ("latin.aiken", "Qu\xe9?\nA. x\nANSWER: A\n".encode("latin-1"), "not UTF-8"),
        ("bank.docx", b"hello", "unsupported file type .docx"),
        ("empty.yaml", b"", "no questions found"),
        ("comments.gift", b"// nothing here\n", "no questions found"),
        ("scalar.yaml", b"just a string\n", "expected a list of questions"),
    ],
)
def test_unusable_files_give_one_clear_error(tmp_path: Path, name: str, data: bytes, reason: str):
    path = tmp_path / name
    path.write_bytes(data)
    report = import_file(path)
    assert report.questions == [] and len(report.errors) == 1
    assert report.errors[0].file == str(path) and reason in report.errors[0].reason


def test_missing_file(tmp_path: Path):
    [error] = import_file(tmp_path / "gone.gift").errors
    assert error == BadQuestion(str(tmp_path / "gone.gift"), 0, error.problems)
    assert error.reason.startswith("cannot read the file")


def test_txt_files_are_sniffed(tmp_path: Path):
    gift = only(load(tmp_path, "a.txt", HEADER + "Gift? {=yes ~no}\n"))
    aiken = only(load(tmp_path, "b.txt", AIKEN.split("Which are")[0]))
    assert (gift.options, aiken.id) == (("yes", "no"), "dis-weeks")


# --- reason codes -----------------------------------------------------------------------------


def _problem_calls() -> dict[str, set[str]]:
    """Every `problem("code", text, name=value, ...)` in the importer and the validator: the
    code and the names of the values it passes."""
    root = Path(__file__).parent.parent
    sources = [*sorted((root / "ingest" / "questions").glob("*.py"))]
    sources.append(root / "knowledge" / "learning" / "questions.py")
    sources.append(root / "knowledge" / "learning" / "typed_answers.py")
    calls: dict[str, set[str]] = {}
    for source in sources:
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "problem":
                code = node.args[0]
                assert isinstance(code, ast.Constant), ast.unparse(node)
                names = {k.arg for k in node.keywords}
                assert calls.setdefault(code.value, names) == names, code.value
    return calls


def test_every_reason_code_has_a_line_in_both_languages_using_its_values():
    calls = _problem_calls()
    assert len(calls) > 40 and set(calls) == set(WHY)  # none without a line, no line unused
    for code, (zh, en) in WHY.items():
        zh_names = {name for _, name, _, _ in Formatter().parse(zh) if name}
        en_names = {name for _, name, _, _ in Formatter().parse(en) if name}
        assert en_names == calls[code], code  # English names every value
        assert zh_names <= calls[code], code  # Chinese leaves out English details (an OS error)
        assert has_cjk(zh) and not has_cjk(en), code


@pytest.mark.parametrize(
    ("name", "text", "line", "code", "zh", "en"),
    [
        (
            "q.gift", HEADER + "// @level: 9\nBad level? {=a ~b}\n", 7, "bad_level",
            "• 第 7 行：级别 9 不在 1-5 之间。", "• Line 7: Level 9 is outside 1-5.",
        ),
        (
            "q.gift", HEADER + "No answers here.\n", 6, "gift_no_block",
            "• 第 6 行：缺少 {...} 答案块。", "• Line 6: There is no {...} answer block.",
        ),
        (
            "q.gift", HEADER + "// @colour: blue\nUnknown key? {=a ~b}\n", 7, "unknown_meta",
            "• 第 7 行：无法识别的元数据 @colour（可用：competencies, level, bloom, source, "
            "clause, lang, status, id, explanation, feedback）。",
            "• Line 7: Unknown metadata @colour (known: competencies, level, bloom, source, "
            "clause, lang, status, id, explanation, feedback).",
        ),
        (
            "q.aiken", "Which?\nA. x\nC. y\nANSWER: A\n", 1, "aiken_option_order",
            "• 第 1 行：选项 C 顺序不对（应为 B）。",
            "• Line 1: Option C is out of order (expected B).",
        ),
        ("q.docx", "hello", 0, "unsupported_suffix",
         "• 整个文件：不支持 .docx 文件，请使用 .yaml、.gift、.aiken、.xml、.xlsx 或 .csv。",
         "• The file: .docx files aren't supported: use .yaml, .gift, .aiken, .xml, .xlsx or"
         " .csv."),
    ],
)  # fmt: skip
def test_a_refusal_is_rendered_from_its_code_in_the_instructors_language(
    tmp_path: Path, name: str, text: str, line: int, code: str, zh: str, en: str
):
    [error] = load(tmp_path, name, text).errors
    assert error.line == line and [p.code for p in error.problems] == [code]
    assert (reason(error, "zh"), reason(error, "en")) == (zh, en)


def test_a_bad_value_is_named_cut_short_in_either_language(tmp_path: Path):
    level = "very" + " high" * 40
    text = (
        "- {id: a, kind: single, stem: Which, options: [x, y], answer: 0, competencies: [drafting],"
        f" bloom: remember, source_doc: drafting_rules.md, level: {level}}}\n"
    )
    [error] = load(tmp_path, "q.yaml", text).errors
    [found] = error.problems
    assert found.code == "not_whole" and found.values["field"] == "level"
    value = found.values["value"]
    assert len(value) == 80 and value == repr(level)[:79] + "…"
    assert reason(error, "zh") == f"• 第 1 行：level 必须是整数，而不是 {value}。"
    assert reason(error, "en") == f"• Line 1: level must be a whole number, not {value}."


def test_one_question_with_several_problems_lists_each(tmp_path: Path):
    text = HEADER + "// @level: 0\n// @bloom: memorize\nBad? {=a ~b}\n"
    [error] = load(tmp_path, "q.gift", text).errors
    assert [p.code for p in error.problems] == ["bad_level", "bad_bloom"]
    assert reason(error, "zh") == (
        "• 第 8 行：级别 0 不在 1-5 之间。认知层次 'memorize' 无效，应为 remember, understand, "
        "apply, analyze, evaluate, create 之一。"
    )
    assert reason(error, "en") == (
        "• Line 8: Level 0 is outside 1-5. bloom 'memorize' is not one of remember, understand, "
        "apply, analyze, evaluate, create."
    )
    assert error.reason == (  # the CLI's English line is unchanged
        "level 0 is outside 1-5; bloom 'memorize' is not one of remember, understand, apply, "
        "analyze, evaluate, create"
    )
