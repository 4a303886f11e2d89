"""Hostile question files: YAML alias bombs and huge files are refused or reported briefly,
and importing one never stops the bot answering others."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from ingest.questions import import_file
from tests.telegram_harness import ANN, INSTRUCTOR, running_bot, until

COMPETENCIES = {"drafting"}
DOCS = {"drafting_rules.md"}
QUESTION = "联盟培养哪几类人才？"  # answered from the course pack


def alias_bomb(levels: int) -> str:
    """ "Billion laughs": each question's stem nine aliases of the one before (9**levels)."""
    names = "abcdefghij"
    lines = [
        "defaults: {kind: single, competencies: drafting, level: 1, bloom: remember}",
        "questions:",
        '- stem: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    ]
    for prev, name in zip(names, names[1 : levels + 1], strict=False):
        lines.append(f"- stem: &{name} [{','.join(f'*{prev}' for _ in range(9))}]")
    return "\n".join(lines) + "\n"


def many_bad_questions(n: int) -> str:
    """`n` questions missing their competencies: a big file, slow to parse, all rejected."""
    return "questions:\n" + "".join(
        f"  - id: big-{i}\n    stem: Which verb number {i} expresses a requirement?\n"
        "    kind: single\n    options: [shall, should, may]\n    answer: shall\n"
        "    level: 1\n    bloom: remember\n"
        for i in range(n)
    )


def test_an_alias_bomb_is_refused_at_once_naming_the_line(tmp_path: Path):
    bomb = alias_bomb(7)
    assert len(bomb.encode()) < 500
    path = tmp_path / "bomb.yaml"
    path.write_text(bomb, encoding="utf-8")
    started = time.monotonic()
    report = import_file(path, COMPETENCIES, DOCS)
    assert time.monotonic() - started < 1.0
    assert report.questions == []
    [error] = report.errors
    assert error.line == 4  # the first alias
    assert "alias" in error.reason and len(error.reason) <= 200


def test_a_bad_value_is_named_not_printed_in_full(tmp_path: Path):
    path = tmp_path / "long.yaml"
    path.write_text(
        "- stem: [" + ", ".join(f"word{i}" for i in range(5000)) + "]\n  kind: single\n"
        "  competencies: drafting\n  level: 1\n  bloom: remember\n",
        encoding="utf-8",
    )
    [error] = import_file(path, COMPETENCIES, DOCS).errors
    assert error.reason.startswith("stem must be text") and len(error.reason) <= 200
    [found] = error.problems  # the reason code's value is cut short too
    assert (found.code, found.values["field"], len(found.values["value"])) == (
        "not_text",
        "stem",
        80,
    )


on_session_loop = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture
async def bot(pack_app, records_url):
    async with running_bot(pack_app, records_url) as harness:
        await harness.enrol(ANN)
        await harness.enrol(INSTRUCTOR, "instructor")
        yield harness


@on_session_loop
async def test_an_uploaded_alias_bomb_gets_one_short_reply(bot):
    bomb = alias_bomb(6).encode()  # 531,441 values once expanded
    bot.api.add_file("f-bomb", bomb)
    bot.api.document(INSTRUCTOR, "f-bomb", "bomb.yaml", len(bomb))
    await until(lambda: bot.api.sent(INSTRUCTOR))
    [answer] = await bot.say(ANN, QUESTION)
    assert "研究型" in answer["plain_text"]
    await bot.api.wait_idle(quiet=0.6)
    [reply] = bot.api.sent(INSTRUCTOR)
    assert "0 questions added" in reply["text"] or "新增 0 题" in reply["text"]
    assert "• 第 4 行：不允许使用 YAML 别名（*a），请把值直接写出来。" in reply["text"]
    assert len(reply["text"]) < 500


@on_session_loop
async def test_a_huge_question_file_is_read_off_the_loop_and_summed_up(bot):
    big = many_bad_questions(6000).encode()  # about 1 MB, seconds to parse
    bot.api.add_file("f-big", big)
    bot.api.document(INSTRUCTOR, "f-big", "big.yaml", len(big))
    await bot.api.wait_for("getFile", timeout=30)
    await asyncio.sleep(0.3)  # the file is being read
    before = len(bot.api.sent(INSTRUCTOR))
    [answer] = await bot.say(ANN, QUESTION, quiet=0.1)
    assert "研究型" in answer["plain_text"]
    assert len(bot.api.sent(INSTRUCTOR)) == before  # answered while the import went on
    await until(lambda: bot.api.sent(INSTRUCTOR), timeout=60)
    await bot.api.wait_idle(quiet=0.6)
    replies = bot.api.sent(INSTRUCTOR)
    assert 1 <= len(replies) <= 3
    text = "\n".join(r["text"] for r in replies)
    assert "6000 rejected" in text or "6000 题有问题" in text
    assert text.count("• ") == 20
    assert "还有 5980 题有问题" in text or "and 5980 more" in text
