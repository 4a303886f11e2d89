"""What a trainee sees in Telegram around the answers: onboarding after enrolment, what a
quiz's numbers mean and what to do next, and an abandoned quiz closed by a new one."""

from __future__ import annotations

import re

import pytest

from tests.telegram_harness import ADMIN, ANN, BOB, button_data, buttons, running_bot, until
from tests.test_telegram_quiz import answer, current_question

pytestmark = pytest.mark.asyncio(loop_scope="session")
EXAMPLES_ZH = [
    "联盟有哪六类人才？", "《标准化法》规定了哪五类标准？", "ISO 标准的制定分哪几个阶段？"
]  # fmt: skip


@pytest.fixture
async def bot(pack_app, records_url):
    async with running_bot(pack_app, records_url) as harness:
        yield harness


def labels(message: dict) -> list[str]:
    return [b["text"] for row in buttons(message) for b in row]


async def _code(bot, command: str) -> str:
    [link] = await bot.say(ADMIN, command)
    return re.search(r"start=([\w-]+)", link["text"]).group(1)


async def test_enrolment_says_the_category_and_offers_examples_and_a_first_quiz(bot):
    code = await _code(bot, "/invite trainee 2026A 国际型")
    [welcome] = await bot.say(ANN, f"/start {code}")
    text = welcome["text"]
    assert "已登记为学员 · 2026A，人才类别：国际型。" in text
    assert "我从课程资料中回答，并注明出处。\n/quiz 按你的人才类别出题测验" in text
    assert labels(welcome) == [*EXAMPLES_ZH, "🎯 做第一次测验"]
    assert button_data(welcome) == ["ex:1", "ex:2", "ex:3", "quiz:"]

    for n, asked in enumerate(EXAMPLES_ZH, 1):  # each example asks itself and is answered
        echo, reply = await bot.press(ANN, welcome, f"ex:{n}")
        assert echo["text"] == f"❓ {asked}"
        assert "[1]" in reply["plain_text"] and "出处" in reply["plain_text"], reply["plain_text"]
    first = (await bot.press(ANN, welcome, "quiz:"))[0]
    session = await bot.core.services.records.open_session(ANN)
    assert session is not None and session.size == 5 and session.current
    how, _ = await current_question(bot)
    assert how == "poll" or first["text"].startswith("1/5")


async def test_choosing_the_category_later_brings_the_onboarding_in_english(bot):
    code = await _code(bot, "/invite trainee 2026B")
    welcome, question = await bot.say(BOB, f"/start {code}", language_code="en")
    assert "You're enrolled as trainee · 2026B." in welcome["text"]
    assert not button_data(welcome)
    await bot.press(BOB, question, "cat:research")
    shown = bot.api.messages[(BOB, question["message_id"])]
    assert shown["text"].startswith("Category set: research talent.")
    assert "/progress shows how far you are from its targets" in shown["text"]
    assert labels(shown)[0] == "What are the six talent categories of the alliance?"
    assert labels(shown)[-1] == "🎯 Take a first quiz"
    _, reply = await bot.press(BOB, shown, "ex:1")
    assert "research" in reply["plain_text"].lower() and "Sources" in reply["plain_text"]


async def test_after_a_quiz_levels_are_words_on_the_1_to_5_scale_with_next_steps(bot):
    await bot.enrol(ANN)  # research
    await bot.say(ANN, "/quiz 2")
    await answer(bot, False)
    results = await answer(bot, False)  # mastery falls below 1: still shown as level 1
    summary = results[-1]
    text = summary["text"]
    assert text.startswith("测验结束：0/2 题正确。")
    levels = re.findall(r"：第 (\d) 级：(\S+) — 目标第 (\d) 级", text)
    assert levels and all(lv == "1" and name == "了解" for lv, name, _ in levels), text
    assert not re.search(r"\d\.\d", text)  # no raw scores
    scale = "级别从 1 到 5：1 了解 · 2 理解 · 3 应用 · 4 熟练 · 5 精通。目标是研究型人才要求的级别"
    assert scale in text
    assert re.search(r"下一步：“.+”离目标最远", text)
    assert labels(summary) == ["📈 我的进度", "🔁 再来一轮"]

    await bot.press(ANN, summary, "prog:")
    [photo] = await bot.api.wait_for("sendPhoto")
    caption = photo.params["caption"]
    assert re.search(r"差距最大：.+，第 1 级：了解 — 目标第 \d 级。", caption), caption
    assert ".md" not in caption and "还没答过的能力在图中是空心的" in caption
    await bot.press(ANN, summary, "quiz:")
    assert (await bot.core.services.records.open_session(ANN)).size == 5

    await bot.core.services.records.update_user(ANN, lang="en")
    await bot.say(ANN, "/quiz 1")
    [*_, summary] = await answer(bot, True)
    assert re.search(r": Level [1-5]: \w+ — target level \d", summary["text"]), summary["text"]
    assert "Levels go from 1 to 5: 1 Aware · 2 Understand" in summary["text"]
    assert labels(summary) == ["📈 My progress", "🔁 Another round"]


async def test_a_new_quiz_closes_an_abandoned_one_whose_poll_then_no_longer_counts(bot):
    await bot.enrol(ANN)
    await bot.say(ANN, "/quiz 3")
    how, old = await current_question(bot)
    assert how == "poll", "the first research question should fit a quiz poll"
    old_session = await bot.core.services.records.open_session(ANN)

    replies = await bot.say(ANN, "/quiz 2")
    assert replies[0]["text"] == "上一轮测验（已答 0/3 题）已结束，它的题目不再计分。"
    new_session = await bot.core.services.records.open_session(ANN)
    assert new_session.id != old_session.id and new_session.size == 2
    assert (await bot.core.services.records.session(old_session.id)).finished_at is not None

    before = len(bot.api.sent(ANN))
    bot.api.poll_answer(ANN, old["poll"]["id"], [0])  # the old poll, answered late
    await until(lambda: len(bot.api.sent(ANN)) > before)
    await bot.api.wait_idle(quiet=0.4)
    [stale] = bot.api.sent(ANN)[before:]
    assert stale["text"] == "这道题属于已结束的一轮测验，这次作答不计分。"
    assert await bot.core.services.records.attempts_of(ANN) == []
    assert (await bot.core.services.records.open_session(ANN)).current == new_session.current

    results = await answer(bot, True)  # the new quiz goes on as if nothing happened
    assert any("✅" in (m.get("text") or "") for m in results)
    [attempt] = await bot.core.services.records.attempts_of(ANN)
    assert attempt.session_id == new_session.id
