"""The conversation's typed values and the flows' route table: what a button, a step and a
flow registration mean is decided in one place each, and a clash is caught at start."""

from __future__ import annotations

import pytest

from bot.conversation import (
    AwaitingQuizAnswer,
    Press,
    WritingCanonical,
    dump_step,
    load_step,
    press,
)
from bot.core import Routes
from bot.flows import Flow, Route
from bot.flows.registry import FLOWS


async def _nothing(ctx):
    yield None


def test_a_button_reads_back_what_it_was_made_with():
    data = press("qa", 12, "iso-stages-3", 0)
    assert data == "qa:12:iso-stages-3:0"
    parsed = Press.parse(data)
    assert parsed.kind == "qa" and parsed.number(0) == 12 and parsed.text(1) == "iso-stages-3"
    assert Press.parse(press("prog")) == Press("prog")


def test_forged_button_data_names_nothing():
    forged = Press.parse("src:'; drop table--")
    assert forged.number() == -1 and Press.parse("").kind == "" and Press.parse("qa").args == ()
    assert Press.parse("qa:1").text(5) == "" and Press.parse("qa:1").number(5) == -1


def test_a_button_over_telegrams_64_bytes_is_refused_when_made():
    with pytest.raises(ValueError, match="64 bytes"):
        press("rm", "x" * 70)


@pytest.mark.parametrize("step", [AwaitingQuizAnswer(7), WritingCanonical(42), None])
def test_a_step_is_stored_and_read_back(step):
    assert load_step(dump_step(step)) == step


def test_steps_stored_by_earlier_versions_still_read():
    assert load_step('{"quiz": 5}') == AwaitingQuizAnswer(5)
    assert load_step('{"canonical_for": 9}') == WritingCanonical(9)


UNREADABLE = ["", "not json", "[1]", '{"quiz": "5"}', '{"quiz": true}', '{"mystery": 1}',
              '{"quiz": 1, "canonical_for": 2}']  # fmt: skip


@pytest.mark.parametrize("stored", UNREADABLE)
def test_an_unreadable_step_is_no_step(stored):
    assert load_step(stored) is None


def test_the_registry_routes_every_kind_of_event():
    routes = Routes.of(FLOWS)
    assert {"start", "quiz", "feedback", "invite", "progress", "report", "console"} <= set(
        routes.commands
    )
    assert {AwaitingQuizAnswer, WritingCanonical} == set(routes.steps)
    assert routes.poll and routes.upload and routes.text


def test_two_flows_claiming_one_command_fail_at_start():
    one = Flow(commands={"quiz": Route("trainee", _nothing)})
    with pytest.raises(ValueError, match="quiz"):
        Routes.of((*FLOWS, one))
    with pytest.raises(ValueError, match="text"):
        Routes.of((*FLOWS, Flow(text=Route("trainee", _nothing))))
