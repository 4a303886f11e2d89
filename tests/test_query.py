"""How a question is read: its concepts in both languages and the shape of answer it wants."""

from __future__ import annotations

import pytest

from knowledge.answering.glossary import Glossary, Term, _english_forms
from knowledge.answering.query import analyse
from knowledge.answering.write.extractive import _standing

GLOSSARY = Glossary(
    [
        Term("国际标准", ("international standard", "IS")),
        Term("技术委员会", ("technical committee", "TC")),
        Term("可", ("may",)),
    ]
)


def read(question: str):
    return analyse(question, GLOSSARY, idf=lambda t: 1.0, df=lambda t: 1)


def test_an_acronym_is_matched_in_capitals_only() -> None:
    found = [t.zh for t, _ in GLOSSARY.matches("Who is on the TC? Is an IS binding?")[0]]
    assert found == ["国际标准", "技术委员会"]
    assert GLOSSARY.matches("This is what it is.")[0] == []
    concept = read("What is an IS?").concepts[0]
    assert concept.found_in("ISO publishes each IS.", frozenset())
    assert not concept.found_in("This is what it is.", frozenset())


def test_one_character_terms_and_stop_words_do_not_cut_a_question() -> None:
    found, rest = GLOSSARY.matches("前言里可以写要求吗？ Who may vote?")
    assert found == []
    assert "可以" in rest


def test_bracketed_abbreviations_separated_by_a_slash_are_each_a_form() -> None:
    assert _english_forms("new work item proposal (NP / NWIP)") == [
        "new work item proposal",
        "NP",
        "NWIP",
    ]
    assert _english_forms("technical committee (TC) / TC") == ["technical committee", "TC"]


@pytest.mark.parametrize(
    ("question", "answer", "fits"),
    [
        ("How long must a motion stay open?", "It stays open for seven calendar days.", True),
        ("How long must a motion stay open?", "It stays open for 7 days.", True),
        ("多久要复审一次？", "复审周期一般不超过5年。", True),
        ("多久要复审一次？", "本制度自2002年5月1日起实施。", False),
        ("What's the minimum number of members?", "It must have at least four members.", True),
        ("What's the earliest it can be final?", "Not until 60 days have passed.", True),
    ],
)
def test_the_shape_of_an_answer(question: str, answer: str, fits: bool) -> None:
    assert read(question).shape_match(answer) is fits


def test_a_word_that_merely_contains_date_asks_for_no_date() -> None:
    assert read("Are there more candidates than seats?").shapes == []
    assert read("When does the term end?").shapes != []


def test_places_are_shared_by_equal_values() -> None:
    assert _standing([0.5, 0.9, 0.5, 0.1]) == [1, 0, 1, 3]
    assert _standing([]) == []


@pytest.mark.parametrize(
    ("question", "answer", "fits"),
    [
        (
            "Which voting options do members have?",
            'One of "approve", "disapprove" or "abstain".',
            1.0,
        ),
        ("Which voting options do members have?", "Members vote by email.", -1.0),
        (
            "What kinds of documents does the committee publish?",
            "It publishes standards, reports, and guides.",
            1.0,
        ),
        ("申请时要提交哪些材料？", "应当提交申请书、营业执照复印件和检测报告。", 1.0),
        ("申请时要提交哪些材料？", "申请人应当如实提交材料。", -1.0),
        ("Who chairs the committee?", "It publishes standards, reports, and guides.", -1.0),
        ("Is the ballot open to observers?", "It publishes standards, reports, and guides.", 0.0),
    ],
)
def test_a_question_after_several_things_wants_an_enumeration(
    question: str, answer: str, fits: float
) -> None:
    query = read(question)
    assert query.fits(answer) == fits
    assert not query.shape_match('One of "approve", "disapprove" or "abstain".')  # gate: not a sign


def test_words_taught_for_one_library_do_not_cut_anothers_text() -> None:
    """jieba's own tokenizer is global: a term taught for one glossary used to stay for
    every later one, so the same text was cut (and its vectors looked up) differently."""
    from knowledge.answering.text import configure_tokenizer, terms

    text = "苏州标准化联盟成立"
    configure_tokenizer(None)
    plain = terms(text)
    configure_tokenizer(None, ["标准化联盟"])
    assert "标准化联盟" in terms(text)
    configure_tokenizer(None)
    assert terms(text) == plain
