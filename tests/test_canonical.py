"""Canonical answers match a question and its close paraphrases, and nothing else."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.flows.ask import canonical_text
from knowledge.answering.canonical import CanonicalIndex, group_paraphrases
from knowledge.answering.embeddings import BundledE5, BundledUSE
from knowledge.records import Canonical


def canonical(id_: int, question: str, answer: str | None = None) -> Canonical:
    now = datetime(2026, 12, 1, tzinfo=UTC) if answer else datetime.now(UTC)
    return Canonical(id_, question, "zh", answer or f"answer {id_}", 1, "Wang", None, now)


@pytest.fixture(scope="module")
def index() -> CanonicalIndex:
    index = CanonicalIndex(BundledE5())
    index.load([canonical(1, "ISO标准制定有几个阶段？"), canonical(2, "What is a group standard?")])
    return index


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("ISO标准制定有几个阶段？", 1),
        ("ISO 标准的制定分为哪几个阶段", 1),
        ("ISO标准的制定一共有多少个阶段？", 1),
        ("What's a group standard?", 2),
        ("what is group standard", 2),
        ("IEC标准制定有几个阶段？", None),  # another organisation: not the same question
        ("团体标准由谁发布？", None),
        ("Who publishes group standards?", None),
        ("What is a national standard?", None),
    ],
)
def test_paraphrases_match_and_other_questions_do_not(index, question, expected):
    found = index.match(question)
    assert (found.id if found else None) == expected


def test_a_new_canonical_answer_is_matched_at_once(index):
    index.add(canonical(3, "什么是合格评定？"))
    assert index.match("合格评定是什么意思？").id == 3
    assert index.match("什么是认证？") is None


def test_the_queue_groups_questions_by_the_rule_answers_are_matched_by(index):
    asked = [
        "ISO 标准的制定分为哪几个阶段",
        "IEC标准制定有几个阶段？",
        "ISO标准制定有几个阶段？",
        "What is a group standard?",
        "ISO标准的制定一共有多少个阶段？",
        "What's a group standard?",
    ]
    assert group_paraphrases(index.embedder, asked) == [[0, 2, 4], [1], [3, 5]]
    for group in ([0, 2, 4], [3, 5]):  # what one canonical answer would serve
        heads = {index.match(asked[i]).id for i in group}
        assert len(heads) == 1


def test_a_question_about_another_number_is_another_question() -> None:
    # each pair is over the cosine and term thresholds: only the number tells them apart
    index = CanonicalIndex(BundledE5())
    index.load([canonical(3, "GB/T 1.1—2020的第5章讲什么？")])
    assert index.match("GB/T 1.1—2020 的第5章讲什么") is not None
    assert index.match("GB/T 1.1—2020的第6章讲什么？") is None
    asked = ["2023年发布了多少项团体标准？", "2022年发布了多少项团体标准？"]
    assert group_paraphrases(BundledE5(), asked) == [[0], [1]]


def test_a_reworded_answer_is_served_in_place_and_a_retired_one_no_longer() -> None:
    index = CanonicalIndex(BundledE5())
    index.load([canonical(1, "ISO标准制定有几个阶段？"), canonical(2, "What is a group standard?")])
    reworded = replace(canonical(1, "什么是合格评定？"), answer="new answer")
    index.replace(reworded)
    assert index.match("ISO标准制定有几个阶段？") is None  # the old wording is gone
    assert index.match("合格评定是什么意思？").answer == "new answer"
    index.remove(2)
    assert index.match("What is a group standard?") is None
    index.replace(canonical(4, "What is a national standard?"))  # not served before: added
    assert index.match("What's a national standard?").id == 4


ISO_TCS = "ISO有多少个技术委员会？"
ISO_TCS_ANSWER = "ISO目前有两百多个技术委员会，以ISO官网公布的数字为准。"


@pytest.fixture(scope="module")
def bilingual() -> CanonicalIndex:
    """The index as the bot builds it: with the cross-language encoder."""
    index = CanonicalIndex(BundledE5(), BundledUSE())
    index.load(
        [
            canonical(1, "ISO标准制定有几个阶段？"),
            canonical(2, "What is a group standard?"),
            canonical(5, ISO_TCS, ISO_TCS_ANSWER),
            canonical(6, "Who develops mandatory standards?", "The relevant State Council bodies."),
        ]
    )
    return index


def test_a_chinese_answer_serves_its_english_translation_headed_in_english(bilingual):
    found = bilingual.match("How many technical committees does ISO have?")
    assert found is not None and found.id == 5
    shown = canonical_text(found, "en")
    answer, by = shown.split("\n\n")
    assert answer == ISO_TCS_ANSWER  # as written: nothing translates it
    assert by == "— answered by Wang on 2026-12-01\n(written by the instructor in Chinese)"
    assert canonical_text(found, "zh") == f"{ISO_TCS_ANSWER}\n\n—— Wang 于 2026-12-01 解答"


@pytest.mark.parametrize(
    "question",
    [
        "How many technical committees does IEC have?",  # another organisation
        "推荐性标准由谁制定？",  # recommended, not mandatory
        "强制性标准什么时候实施？",  # when, not who
    ],
)
def test_a_near_question_in_the_other_language_is_not_served(bilingual, question):
    assert bilingual.match(question) is None


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("ISO 标准的制定分为哪几个阶段", 1),
        ("What's a group standard?", 2),
        ("IEC标准制定有几个阶段？", None),
        ("团体标准由谁发布？", None),
        ("Who publishes group standards?", None),
        ("ISO的技术委员会有多少个", 5),
    ],
)
def test_within_a_language_the_bilingual_index_matches_as_before(bilingual, question, expected):
    found = bilingual.match(question)
    assert (found.id if found else None) == expected
