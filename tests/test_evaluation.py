"""The eval scorer: number-aware answer matching, per-kind scores, the printed table."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from bench.devcorpus import DEVCORPUS
from knowledge.answering.evaluation import (
    KINDS,
    EvalReport,
    contains_all,
    format_report,
    load_questions,
    normalise_numbers,
    percentile,
    score,
)

DEV_QUESTIONS = DEVCORPUS / "questions.jsonl"


def question(
    qid: str, kind: str = "fact", doc: str | None = "law.md", must: list[str] | None = None
) -> dict:
    if kind == "out_of_scope":
        doc, must = None, []
    return {
        "id": qid,
        "lang": "en",
        "question": f"question {qid}?",
        "doc": doc,
        "answer": None if doc is None else "gold",
        "must_contain": must or [],
        "kind": kind,
    }


def reply(
    text: str = "", docs: tuple[str, ...] = (), abstained: bool = False, ms: float = 100.0
) -> dict:
    citations = [
        {"n": i, "doc": d, "title": d, "section": "", "page": None, "snippet": ""}
        for i, d in enumerate(docs, 1)
    ]
    return {
        "question": "q",
        "answer": text,
        "abstained": abstained,
        "lang": "en",
        "citations": citations,
        "ms": ms,
    }


# --- number equivalence ---------------------------------------------------------------------


@pytest.mark.parametrize("gold", ["15", "fifteen", "十五", "Fifteen", "１５"])
@pytest.mark.parametrize("reply_text", ["within 15 days", "within fifteen days", "在十五日内"])
def test_fifteen_in_any_script_matches_any_other(gold: str, reply_text: str) -> None:
    assert contains_all(reply_text, [gold])


@pytest.mark.parametrize(
    ("gold", "reply_text"),
    [
        ("10名", "至少十名专职认证人员"),
        ("十名", "至少10名专职认证人员"),
        ("2 years", "two years"),
        ("二年", "有效期为2年"),
        ("两年", "有效期为二年"),
        ("9,000", "a fine of 9000 yuan"),
        ("9000", "a fine of 9,000 yuan"),
        ("3,000,000", "up to 3000000 yuan"),
        ("twenty-one", "21 days"),
        ("105", "one hundred and five days"),
        ("一百零五", "105日"),
        ("第十四条", "见第14条"),
    ],
)
def test_numbers_written_differently_still_match(gold: str, reply_text: str) -> None:
    assert contains_all(reply_text, [gold])


def test_money_in_wan_keeps_its_unit() -> None:
    assert normalise_numbers("300万元") == "300万元"
    assert normalise_numbers("三百万元") == "300万元"
    assert contains_all("处三百万元以下罚款", ["300万元"])


def test_words_that_only_contain_a_number_word_are_left_alone() -> None:
    text = "Someone often checks the network; none are written."
    assert normalise_numbers(text) == text
    assert not contains_all("reviewers often reply", ["10"])
    assert not contains_all("someone will review it", ["1"])


def test_a_number_does_not_match_inside_a_longer_number() -> None:
    assert not contains_all("a fine of 100 yuan", ["10"])
    assert not contains_all("处一百元罚款", ["十"])
    assert contains_all("一年内十次", ["十"])


def test_two_and_three_stay_two_numbers() -> None:
    assert normalise_numbers("two and three") == "2 and 3"


# --- matching rules -------------------------------------------------------------------------


def test_any_alternative_is_enough_but_every_entry_is_needed() -> None:
    must = ["mailing list|邮件列表", "errata"]
    assert contains_all("Post to the mailing list and file errata.", must)
    assert contains_all("发到邮件列表，并记入 errata", must)
    assert not contains_all("Post to the mailing list.", must)


def test_matching_ignores_case_and_extra_whitespace() -> None:
    assert contains_all("Open a PULL   REQUEST\nagainst the repo", ["pull request"])
    assert contains_all("raises a deprecationwarning", ["DeprecationWarning"])


def test_no_required_entries_passes_anything() -> None:
    assert contains_all("", [])


# --- scoring --------------------------------------------------------------------------------


def test_abstaining_never_passes_the_facts_even_if_the_text_matches() -> None:
    qs = [question("a", must=["10名"])]
    report = score(qs, [reply("我不确定，可能是10名", docs=("law.md",), abstained=True)])
    assert report.per_kind["fact"].facts == 0.0
    assert report.failures[0]["why"].startswith("refused")


def test_doc_hit_counts_only_the_first_five_citations() -> None:
    others = tuple(f"other{i}.md" for i in range(5))
    qs = [question("a"), question("b")]
    answers = [
        reply("x", docs=(*others[:4], "law.md")),  # 5th citation: a hit
        reply("x", docs=(*others, "law.md")),
    ]  # 6th citation: a miss
    report = score(qs, answers)
    assert report.per_kind["fact"].doc_hit == 0.5
    assert [f["id"] for f in report.failures] == ["b"]
    assert "not in top 5" in report.failures[0]["why"]


def test_doc_hit_accepts_a_cited_path_for_the_gold_file_name() -> None:
    report = score([question("a")], [reply("x", docs=("/data/docs/law.md",))])
    assert report.per_kind["fact"].doc_hit == 1.0


def test_refusal_shares_split_out_of_scope_from_the_rest() -> None:
    qs = [
        question("f1"),
        question("f2"),
        question("m1", kind="multi"),
        question("m2", "multi"),
        question("o1", kind="out_of_scope"),
        question("o2", kind="out_of_scope"),
    ]
    answers = [
        reply("x", ("law.md",)),
        reply("", abstained=True),
        reply("x", ("law.md",)),
        reply("x", ("law.md",)),
        reply("", abstained=True),
        reply("I think 42"),
    ]
    report = score(qs, answers)
    assert report.out_of_scope_refused == 0.5
    assert report.in_scope_wrongly_refused == 0.25
    oos = report.per_kind["out_of_scope"]
    assert oos.doc_hit is None and oos.facts is None and oos.abstained == 0.5
    assert {
        "id": "o2",
        "kind": "out_of_scope",
        "why": "answered instead of refusing",
    } in report.failures


def test_overall_facts_cover_in_scope_only_and_latency_covers_all() -> None:
    qs = [
        question("f", must=["MIT"]),
        question("c", kind="cross_lang", must=["45"]),
        question("o", kind="out_of_scope"),
    ]
    answers = [
        reply("MIT licence", ("law.md",), ms=100),
        reply("45日", ("law.md",), ms=300),
        reply("", abstained=True, ms=20),
    ]
    report = score(qs, answers)
    assert report.overall.n == 3
    assert report.overall.facts == 1.0 and report.overall.doc_hit == 1.0
    assert report.overall.answered_ms_p50 == 100
    assert report.per_kind["cross_lang"].answered_ms_p95 == 300
    assert report.failures == []


def test_failures_name_the_missing_entry() -> None:
    report = score([question("a", must=["暂停", "连带责任"])], [reply("责令暂停", ("law.md",))])
    assert report.failures == [{"id": "a", "kind": "fact", "why": "missing '连带责任'"}]


def test_answers_must_line_up_with_questions() -> None:
    with pytest.raises(ValueError, match="2 questions but 1 answers"):
        score([question("a"), question("b")], [reply()])


def test_report_prints_a_row_per_kind_plus_overall_and_the_refusal_lines() -> None:
    qs = [question("f"), question("m", kind="multi"), question("o", kind="out_of_scope")]
    answers = [
        reply("x", ("law.md",), ms=1200),
        reply("", abstained=True, ms=80),
        reply("", abstained=True, ms=40),
    ]
    text = format_report(score(qs, answers), label="baseline")
    lines = text.splitlines()
    assert "baseline" in lines[0]
    rows = {line.split()[0]: line.split() for line in lines if line.split()}
    # n, evidence at 5/10/20 and context (no traces here: "-"), doc@5, facts, refused
    assert rows["fact"][1:8] == ["1", "-", "-", "-", "-", "100.0%", "100.0%"]
    assert rows["multi"][6:9] == ["0.0%", "0.0%", "100.0%"]
    assert rows["out_of_scope"][6:9] == ["-", "-", "100.0%"]
    assert rows["overall"][1] == "3"
    assert "cross_lang" not in rows  # no such questions, no empty row
    table = [line for line in lines if line.split()[0] in {"kind", *KINDS, "overall"}]
    assert len(table) == 5 and len({len(line) for line in table}) == 1  # columns line up
    assert any(line.startswith("out-of-scope refused") and "100.0%" in line for line in lines)
    assert any(line.startswith("in-scope wrongly refused") and "50.0%" in line for line in lines)


def test_empty_report_does_not_crash() -> None:
    report = score([], [])
    assert isinstance(report, EvalReport)
    assert report.out_of_scope_refused is None
    assert "overall" in format_report(report)


# --- percentile -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([1, 2, 3, 4], 50, 2.5),
        ([3, 1, 2], 50, 2),
        ([0, 100], 95, 95),
        ([10, 20, 30, 40, 50], 0, 10),
        ([10, 20, 30, 40, 50], 100, 50),
        ([10, 20, 30, 40, 50], 95, 48),
        ([7], 95, 7),
    ],
)
def test_percentile_interpolates_linearly(values: list[float], q: float, expected: float) -> None:
    assert percentile(values, q) == pytest.approx(expected)


@pytest.mark.parametrize(("values", "q"), [([], 50), ([1.0], 101), ([1.0], -1)])
def test_percentile_rejects_empty_input_and_bad_q(values: list[float], q: float) -> None:
    with pytest.raises(ValueError):
        percentile(values, q)


# --- loading --------------------------------------------------------------------------------


def write_lines(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_load_skips_blank_lines(tmp_path: Path) -> None:
    good = json.dumps(question("a"), ensure_ascii=False)
    assert [q["id"] for q in load_questions(write_lines(tmp_path, [good, "", good]))] == ["a", "a"]


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ("{not json", "not valid JSON"),
        ('["a list"]', "expected a JSON object"),
        (
            json.dumps({k: v for k, v in question("x").items() if k != "must_contain"}),
            "missing key.*must_contain",
        ),
        (json.dumps(question("x") | {"kind": "trivia"}), "unknown kind 'trivia'"),
        (json.dumps(question("x") | {"must_contain": "10名"}), "must_contain must be a list"),
    ],
)
def test_load_errors_name_the_file_and_line(tmp_path: Path, bad_line: str, message: str) -> None:
    good = json.dumps(question("a"))
    path = write_lines(tmp_path, [good, "", bad_line, good])
    with pytest.raises(ValueError, match=rf"set\.jsonl, line 3: {message}"):
        load_questions(path)


def test_dev_question_set_loads_with_the_documented_kind_counts() -> None:
    questions = load_questions(DEV_QUESTIONS)
    assert len(questions) == 60
    assert Counter(q["kind"] for q in questions) == {
        "fact": 30,
        "multi": 14,
        "cross_lang": 8,
        "out_of_scope": 8,
    }
    assert all(q["doc"] is None for q in questions if q["kind"] == "out_of_scope")


def test_stage_figures_come_from_the_traces_and_failures_name_the_stage() -> None:
    zh = {**question("z", must=["十年"]), "lang": "zh"}
    qs = [question("a", must=["8 weeks"]), question("b", must=["12 weeks"]), zh]
    answers = [
        {**reply("It lasts 8 weeks [1].", ("law.md",)), "retrieved": ["x", "8 weeks"] + ["y"] * 8},
        {**reply("No idea [2].", ("law.md",)), "retrieved": ["x"] * 5 + ["12 weeks"]},
        {**reply("", abstained=True), "retrieved": ["满十年丧失"], "context": ["满十年丧失"]},
    ]
    report = score(qs, answers)
    row = report.per_kind["fact"]
    assert row.evidence[5] == 2 / 3 and row.evidence[10] == 1.0
    assert row.citations_ok == 0.5  # "[2]" points at no citation
    assert {"lang zh", "lang en"} <= set(report.per_kind)
    why = {f["id"]: f["why"] for f in report.failures}
    assert why["b"].startswith("[retrieved but not in the answer]")
    assert why["z"].startswith("[refused]")
