"""Moodle XML imports as an instructor sees them: kinds, answers, feedback, tags, drafts, the
questions refused with their number and name, and hostile XML refused before it is read."""

from __future__ import annotations

from pathlib import Path

from bot.flows.question_files import reason
from ingest.questions import ImportReport, import_file

COMPETENCIES = {"drafting", "iso-iec-process", "cn-standards-system"}
DOCS = {"drafting_rules.md", "iso_iec_stages.md"}


def tags(*texts: str) -> str:
    return "<tags>" + "".join(f"<tag><text>{t}</text></tag>" for t in texts) + "</tags>"


TAGGED = tags("competency:iso-iec-process", "level:2", "bloom:remember", "source:iso_iec_stages.md")


def question(kind: str, name: str, text: str, body: str, extra: str = TAGGED) -> str:
    return (
        f'<question type="{kind}">\n<name><text>{name}</text></name>\n'
        f'<questiontext format="html"><text><![CDATA[{text}]]></text></questiontext>\n'
        f"{body}\n{extra}\n</question>\n"
    )


def answer(fraction: int, text: str, feedback: str = "", extra: str = "") -> str:
    note = f"<feedback><text>{feedback}</text></feedback>" if feedback else ""
    return f'<answer fraction="{fraction}"><text>{text}</text>{extra}{note}</answer>'


EXPORT = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n'
    '<question type="category"><category><text>$course$/top/Standards/iso-iec-process'
    "</text></category></question>\n"
    + question(
        "multichoice",
        "dis-ballot",
        "<p>How long is the <b>DIS</b> ballot?</p>",
        "<single>true</single><shuffleanswers>1</shuffleanswers>"
        + answer(100, "12 weeks", "Right: twelve weeks.")
        + answer(0, "8 weeks", "That is the FDIS ballot.")
        + answer(0, "4 weeks")
        + "<generalfeedback><text>The enquiry stage ballot runs 12 weeks.</text>"
        "</generalfeedback>",
    )
    + question(
        "multichoice",
        "stage-documents",
        "Which of these are stage documents?",
        "<single>false</single>" + answer(50, "CD") + answer(50, "DIS") + answer(-100, "Memo"),
    )
    + question(
        "truefalse",
        "fdis-comments",
        "Technical comments are accepted at the FDIS stage.",
        answer(0, "true") + answer(100, "false", "Only editorial ones."),
    )
    + question(
        "shortanswer",
        "pas-name",
        "What does PAS stand for?",
        answer(100, "Publicly Available Specification") + answer(50, "Public spec"),
    )
    + question(
        "numerical",
        "fdis-weeks",
        "How many weeks does the FDIS ballot last?",
        answer(100, "8", extra="<tolerance>0</tolerance>")
        + answer(50, "6", extra="<tolerance>1</tolerance>"),
    )
    + question(
        "matching",
        "stage-codes",
        "Match each stage code with its stage.",
        "<subquestion><text>40</text><answer><text>Enquiry</text></answer></subquestion>"
        "<subquestion><text>50</text><answer><text>Approval</text></answer></subquestion>"
        "<subquestion><text>60</text><answer><text>Publication</text></answer></subquestion>"
        "<subquestion><text></text><answer><text>Withdrawal</text></answer></subquestion>",
    )
    + "</quiz>\n"
)


def load(tmp_path: Path, text: str, name: str = "bank.xml") -> ImportReport:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return import_file(path, COMPETENCIES, DOCS)


def test_a_moodle_export_imports_every_kind_with_its_answers_and_feedback(tmp_path: Path):
    report = load(tmp_path, EXPORT)
    assert report.errors == []
    got = {q.id: q for q in report.questions}
    assert [(q.id, q.kind) for q in report.questions] == [
        ("dis-ballot", "single"),
        ("stage-documents", "multiple"),
        ("fdis-comments", "truefalse"),
        ("pas-name", "short"),
        ("fdis-weeks", "numerical"),
        ("stage-codes", "matching"),
    ]
    ballot = got["dis-ballot"]
    assert ballot.stem == "How long is the DIS ballot?"  # HTML is plain text
    assert (ballot.options, ballot.answer) == (("12 weeks", "8 weeks", "4 weeks"), (0,))
    assert ballot.explanation == "The enquiry stage ballot runs 12 weeks."
    assert "8 weeks: That is the FDIS ballot." in ballot.feedback
    assert (ballot.competencies, ballot.level, ballot.bloom) == (
        ("iso-iec-process",),
        2,
        "remember",
    )
    assert (ballot.source_doc, ballot.status) == ("iso_iec_stages.md", "published")
    assert got["stage-documents"].answer == (0, 1)
    assert got["fdis-comments"].answer == (1,) and "Only editorial" in got["fdis-comments"].feedback
    assert got["pas-name"].accepted == ("Publicly Available Specification",)
    weeks = got["fdis-weeks"]
    assert weeks.accepted == ("8:0",) and weeks.is_correct("8") and not weeks.is_correct("6")
    codes = got["stage-codes"]
    assert codes.accepted == ("40", "50", "60")  # the distractor has no item of its own
    assert sorted(codes.options) == ["Approval", "Enquiry", "Publication", "Withdrawal"]
    right = "".join("ABCD"[i] for i in codes.answer)
    assert [codes.options[i] for i in codes.answer] == ["Enquiry", "Approval", "Publication"]
    assert codes.is_correct(right) and codes.is_correct(" ".join(right).lower())
    assert not codes.is_correct(right[::-1])
    # the same file imports the same shuffle: a re-import replaces, it doesn't reorder
    assert load(tmp_path, EXPORT, "again.xml").questions[-1].options == codes.options


def test_unsupported_types_are_named_by_number_and_name_and_the_rest_imports(tmp_path: Path):
    essay = question("essay", "why-consensus", "Why does consensus matter?", "")
    about = question("description", "read-first", "Read clause 5 first.", "")
    good = question("truefalse", "tf-1", "A CD is a committee draft.", answer(100, "true"))
    report = load(tmp_path, f"<quiz>\n{about}{good}{essay}</quiz>")
    assert [q.id for q in report.questions] == ["tf-1"]
    assert [e.line for e in report.errors] == [2, 14]  # where each <question> starts
    first, second = (reason(e, "en") for e in report.errors)
    assert "Question 1 “read-first”: description questions are not supported" in first
    assert "Question 3 “why-consensus”: essay questions are not supported" in second
    assert "第 3 题“why-consensus”：不支持 essay 题型" in reason(report.errors[1], "zh")


def test_a_file_without_tags_imports_as_untagged_drafts(tmp_path: Path):
    plain = question(
        "multichoice",
        "未标注 1",
        "标准的编号由什么组成？",
        "<single>true</single>" + answer(100, "代号、顺序号和年代号") + answer(0, "只有顺序号"),
        extra=tags("第一章"),  # a Moodle label, not competency data
    )
    category = (
        '<question type="category"><category><text>$course$/top/Default for STD101'
        "</text></category></question>"
    )
    report = load(tmp_path, f"<quiz>{category}{plain}</quiz>", "题库.xml")
    [q] = report.questions
    assert report.errors == [] and q.status == "draft" and q.competencies == ()
    assert (q.lang, q.level, q.id) == ("zh", 0, "未标注-1")  # the name, Chinese kept


def test_ids_come_from_idnumber_else_the_name_else_the_position(tmp_path: Path):
    body = answer(100, "true")
    given = question("truefalse", "Q1", "A.", f"<idnumber>k5-001</idnumber>{body}")
    named = question("truefalse", "Q2 Drafting verbs (Part 2)", "B.", body)
    long = question("truefalse", "第二部分 " + "起草规则" * 10, "C.", body)
    nameless = question("truefalse", "", "D.", body)
    report = load(tmp_path, f"<quiz>{given}{named}{long}{nameless}</quiz>", "export-1412.xml")
    ids = [q.id for q in report.questions]
    assert ids[:2] == ["k5-001", "q2-drafting-verbs-part-2"]
    assert ids[2].startswith("第二部分-起草规则") and len(ids[2].encode()) <= 40
    assert ids[3] == "export-1412-004"


def test_a_repeated_name_is_refused_the_second_time(tmp_path: Path):
    one = question("truefalse", "same-name", "A DIS is a draft.", answer(100, "true"))
    two = question("truefalse", "same-name", "An IS is a draft.", answer(100, "false"))
    report = load(tmp_path, f"<quiz>\n{one}{two}</quiz>")
    assert [q.stem for q in report.questions] == ["A DIS is a draft."]
    [error] = report.errors
    assert "Question 2: the name “same-name” is used again (first: question 1)" in reason(
        error, "en"
    )


BOMB = """<?xml version="1.0"?>
<!DOCTYPE quiz [
  <!ENTITY a "aaaaaaaaaa">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
  <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
]>
<quiz><question type="shortanswer"><name><text>&d;</text></name></question></quiz>
"""
EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE quiz [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<quiz><question type="shortanswer"><name><text>&secret;</text></name></question></quiz>
"""


def test_an_xml_bomb_or_an_external_entity_is_refused_with_one_line(tmp_path: Path):
    for text in (BOMB, EXTERNAL):
        report = load(tmp_path, text)
        assert report.questions == []
        [error] = report.errors
        assert [p.code for p in error.problems] == ["xml_doctype"]
        assert reason(error, "en").count("\n") == 0
        assert "DOCTYPE or entity declarations is refused" in reason(error, "en")
        assert "拒绝含 DOCTYPE" in reason(error, "zh")


def test_broken_xml_and_other_xml_files_are_refused_with_a_reason(tmp_path: Path):
    [broken] = load(tmp_path, "<quiz>\n<question type='truefalse'>\n</quiz>").errors
    assert broken.line == 3 and "Not valid XML" in reason(broken, "en")
    [other] = load(tmp_path, "<html><body/></html>").errors
    assert "the root is <html>, not <quiz>" in reason(other, "en")
