"""Mastery scores, review scheduling and choosing the next quiz question (pure functions)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from knowledge.learning.mastery import START, expected, update
from knowledge.learning.questions import Question
from knowledge.learning.schedule import review
from knowledge.learning.select import aim, next_question

NOW = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def question(
    item_id: str, competencies: tuple[str, ...] = ("c1",), level: int = 2, **overrides
) -> Question:
    values = dict(
        id=item_id, lang="en", kind="single", stem=f"Question {item_id}?",
        options=("yes", "no"), answer=(0,), accepted=(), explanation="Because.", feedback="",
        source_doc="drafting_rules.md", clause="3.1", competencies=competencies, level=level,
        bloom="remember",
    )  # fmt: skip
    return Question(**(values | overrides))


# mastery


def test_a_trainee_at_an_items_level_is_expected_to_get_it_right_about_70_percent():
    assert expected(3.0, 3) == pytest.approx(0.70, abs=0.01)
    assert expected(1.0, 4) < expected(3.0, 4) < expected(5.0, 4)


def test_right_answers_raise_mastery_and_wrong_ones_lower_it():
    assert update(2.0, 3, 2, correct=True) > 2.0
    assert update(2.0, 3, 2, correct=False) < 2.0


def test_early_answers_move_mastery_more_than_later_ones():
    first = abs(update(2.0, 0, 2, correct=False) - 2.0)
    tenth = abs(update(2.0, 9, 2, correct=False) - 2.0)
    late = abs(update(2.0, 100, 2, correct=False) - 2.0)
    assert first > tenth > late > 0
    assert late == pytest.approx(0.25 * expected(2.0, 2))  # the step factor's floor


def test_mastery_stays_within_the_scale():
    assert update(4.99, 0, 5, correct=True) == 5.0
    assert update(0.01, 0, 1, correct=False) == 0.0


def test_answering_level_3_items_right_converges_above_3():
    score = START
    for attempts in range(30):
        score = update(score, attempts, 3, correct=True)
    assert 3.0 < score <= 5.0


def test_missing_level_1_items_drops_below_1():
    assert update(START, 0, 1, correct=False) < 1.0


# reviews


def test_a_wrong_answer_comes_back_within_a_day_a_right_one_later():
    _, missed = review(None, False, NOW)
    _, known = review(None, True, NOW)
    assert NOW < missed <= NOW + timedelta(days=1)
    assert known > missed


def test_right_answers_in_a_row_space_reviews_further_apart():
    card, first = review(None, True, NOW)
    card, second = review(card, True, first)
    assert second - first > first - NOW


def test_a_card_round_trips_through_json_and_is_deterministic():
    card, due = review(None, True, NOW)
    assert json.loads(card)["due"] == due.isoformat()
    assert review(card, False, due) == review(json.loads(json.dumps(card)), False, due)
    assert review(None, True, NOW) == (card, due)
    with pytest.raises(ValueError, match="naive"):
        review(None, True, NOW.replace(tzinfo=None))


# selection

TARGETS = {"c1": 3, "c2": 4}


def pick(
    bank, mastery=None, *, asked=(), due=(), lang="en", focus=None, targets=TARGETS, previous=()
):
    chosen = next_question(
        bank, targets, mastery or {}, asked=set(asked), due=list(due), lang=lang, focus=focus,
        previous=set(previous),
    )  # fmt: skip
    return chosen.id if chosen else None


def test_due_reviews_come_first_in_due_order():
    bank = [question("a"), question("b"), question("c", ("c2",))]
    assert pick(bank, due=["b", "a"]) == "b"
    assert pick(bank, due=["b", "a"], asked={"b"}) == "a"
    assert pick(bank, due=["gone", "a"]) == "a"


def test_the_competency_furthest_below_its_target_is_asked_about():
    bank = [question("one", ("c1",)), question("two", ("c2",))]
    assert pick(bank, {"c1": 1.0, "c2": 1.0}) == "two"  # gap 3 beats gap 2
    assert pick(bank, {"c1": 1.0, "c2": 3.5}) == "one"
    assert pick(bank, {"c1": 1.0, "c2": 2.0}, targets={"c1": 3, "c2": 4}) == "one"  # tie: c1


def test_the_level_asked_is_a_little_above_mastery_and_at_most_the_target():
    bank = [question(f"l{n}", ("c1",), level=n) for n in range(1, 6)]
    assert aim(1.0, 3) == 2 and aim(0.2, 3) == 1 and aim(4.4, 3) == 3
    assert pick(bank, {"c1": 1.0}) == "l2"
    assert pick(bank, {"c1": 2.2}) == "l3"
    assert pick(bank, {"c1": 2.9}) == "l3"  # never above the target of 3
    assert pick(bank, {"c1": 2.9}, asked={"l3"}) == "l2"
    assert pick([question("hard", level=5), question("easy", level=1)], {"c1": 2.9}) == "easy"


def test_nothing_is_asked_twice_and_none_is_returned_when_the_bank_runs_out():
    bank = [question("a"), question("b"), question("c", ("other",))]
    asked: set[str] = set()
    while (chosen := pick(bank, asked=asked, due=["a"])) is not None:
        assert chosen not in asked
        asked.add(chosen)
    assert asked == {"a", "b"}  # "c" has no competency with a target


def test_draft_and_retired_questions_are_never_asked():
    bank = [question("d", status="draft"), question("r", status="retired"), question("p")]
    assert pick(bank, due=["d", "r"]) == "p"
    assert pick(bank, asked={"p"}, due=["d", "r"]) is None


def test_focus_limits_questions_to_its_competencies():
    bank = [question("one", ("c1",)), question("two", ("c2",)), question("both", ("c1", "c2"))]
    assert pick(bank, focus={"c1"}, due=["two"]) == "both"
    assert pick(bank, focus={"c1"}, asked={"both"}) == "one"
    assert pick(bank, focus={"c3"}) is None


def test_the_trainees_language_is_preferred_but_not_required():
    bank = [question("en", lang="en"), question("zh", lang="zh")]
    assert pick(bank, lang="zh") == "zh"
    assert pick(bank, lang="en") == "en"
    assert pick(bank, lang="zh", asked={"zh"}) == "en"
    assert pick(bank, lang=None) == "en"  # id order decides


def test_the_previous_sessions_questions_are_not_asked_again_unless_due():
    bank = [question("a"), question("b"), question("c", ("c2",))]
    assert pick(bank) == "c"  # the widest gap, c2
    assert pick(bank, previous={"c"}) == "a"  # asked last session: another competency's item
    assert pick(bank, previous={"c"}, due=["c"]) == "c"  # due for review: asked anyway
    assert pick(bank, previous={"a", "c"}) == "b"


def test_the_previous_sessions_questions_come_back_only_when_nothing_else_is_left():
    bank = [question("a"), question("b"), question("c", ("c2",))]
    assert pick(bank, previous={"a", "b", "c"}) == "c"  # a session is never started empty
    assert pick(bank, asked={"a"}, previous={"b", "c"}) in {"b", "c"}
    asked: list[str] = []
    while (chosen := pick(bank, asked=asked, previous={"a", "c"})) is not None:
        asked.append(chosen)
    assert asked == ["b", "c", "a"]  # the fresh one first, then the repeats
