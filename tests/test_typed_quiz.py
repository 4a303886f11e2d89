"""Numerical and matching questions in a quiz, through the chat core and its records: typed
answers graded in range or letter by letter, each item asked and recorded once."""

from __future__ import annotations

import io
from dataclasses import replace

from bot.channels.console import chat
from knowledge.learning.questions import Question

NUMERICAL = Question(
    id="fdis-weeks",
    lang="zh",
    kind="numerical",
    stem="FDIS 投票持续几周？",
    options=(),
    answer=(),
    accepted=("8:0.5",),
    explanation="FDIS 投票为期 8 周。",
    feedback="",
    source_doc="iso_iec_stages.md",
    clause="",
    competencies=("iso-iec-process",),
    level=1,
    bloom="remember",
)
MATCHING = replace(
    NUMERICAL,
    id="verb-types",
    kind="matching",
    stem="把能愿动词与条款类型对应起来。",
    accepted=("应", "可", "能"),
    options=("允许", "能力", "要求"),
    answer=(2, 0, 1),
    explanation="要求用“应”，允许用“可”，能力用“能”。",
    competencies=("drafting",),
)


async def quiz(core_for, pack_app, item: Question, typed: str) -> tuple[str, object]:
    """One-question quiz on a bank of `item` alone, answered with `typed` by a trainee who reads
    Chinese (a typed number or letters alone would read as English): what the console
    shows, and the records."""
    core = await core_for(pack_app.tutor)
    records = core.services.records
    await records.upsert_items([item])
    out = io.StringIO()
    await chat(core, io.StringIO(f"/lang zh\n/quiz 1\n1\n/quiz 1\n{typed}\n"), out)
    return out.getvalue(), records


async def test_a_numerical_answer_is_right_within_its_tolerance(pack_app, core_for):
    shown, records = await quiz(core_for, pack_app, NUMERICAL, "8.4")
    assert "请直接输入数字" in shown and "回答正确" in shown
    [attempt] = await records.attempts_of(0)
    assert attempt.correct and attempt.response == "8.4"


async def test_a_numerical_answer_outside_its_tolerance_is_wrong(pack_app, core_for):
    shown, records = await quiz(core_for, pack_app, NUMERICAL, "9")
    assert "不对。正确答案：8 ± 0.5" in shown
    [attempt] = await records.attempts_of(0)
    assert not attempt.correct


async def test_a_matching_item_lists_both_sides_and_counts_once(pack_app, core_for):
    shown, records = await quiz(core_for, pack_app, MATCHING, "C A B")
    assert "1. 应\n2. 可\n3. 能" in shown and "A. 允许\nB. 能力\nC. 要求" in shown
    assert "请按顺序为每一项输入对应的字母" in shown and "回答正确" in shown
    [attempt] = await records.attempts_of(0)
    assert attempt.correct and attempt.item_id == "verb-types"
    assert (await records.mastery(0))["drafting"].attempts == 1
    assert "测验结束：1/1 题正确" in shown


async def test_a_matching_item_with_one_wrong_letter_is_wrong(pack_app, core_for):
    shown, records = await quiz(core_for, pack_app, MATCHING, "CBA")
    assert "不对。正确答案：应 → C. 要求；可 → A. 允许；能 → B. 能力" in shown
    [attempt] = await records.attempts_of(0)
    assert not attempt.correct


def test_xapi_names_the_interaction_and_its_correct_response():
    from knowledge.learning.exports import _definition

    numeric, matching = _definition(NUMERICAL), _definition(MATCHING)
    assert numeric["interactionType"] == "numeric"
    assert numeric["correctResponsesPattern"] == ["7.5[:]8.5"]
    assert matching["interactionType"] == "matching"
    assert matching["correctResponsesPattern"] == ["1[.]2[,]2[.]0[,]3[.]1"]
