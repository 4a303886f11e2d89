"""One user flooding the bot doesn't slow the others: each user has one update in hand and a
few in line; the rest are skipped with one line saying so, and commands are limited too."""

from __future__ import annotations

import pytest

from tests.telegram_harness import ANN, BOB, running_bot, until

pytestmark = pytest.mark.asyncio(loop_scope="session")
QUESTION = "联盟有哪六类人才？"  # answered from the course pack
BUSY = ("请稍等，我还在处理你前面的消息", "One moment: I'm still on your earlier messages")


@pytest.fixture
async def bot(pack_app, records_url):
    # Question limits out of the way: what is tested is the sharing of the bot, not them.
    async with running_bot(pack_app, records_url, per_minute=1000, per_day=1000) as harness:
        await harness.enrol(ANN)
        await harness.enrol(BOB)
        yield harness


def replies_to(bot, chat_id: int) -> list:
    """The bot's sendMessage and sendPhoto calls to `chat_id`, in the order made."""
    return [
        c
        for c in bot.api.calls
        if c.method in ("sendMessage", "sendPhoto") and c.ok and c.params["chat_id"] == chat_id
    ]


# Held up behind ANN's line, BOB would wait for all of her 12 replies (the one in hand, the
# "busy" line, ten in line). Fair sharing lets through only what is in hand while his answer is
# written: on two busy cores that is two or three of hers, now and then one more.
FAIR = 5


async def flood_then_ask(bot, flood: list[str]) -> tuple[int, list]:
    """ANN sends `flood` at once, then BOB asks; how many of ANN's replies came before BOB's
    answer, and all of ANN's replies once the bot is idle."""
    for text in flood:
        bot.api.user_message(ANN, text)
    bot.api.user_message(BOB, QUESTION)
    await until(lambda: replies_to(bot, BOB), timeout=120)
    [answer] = bot.api.sent(BOB)
    assert "研究型" in answer["plain_text"]
    ahead = len(replies_to(bot, ANN))
    await bot.api.wait_idle(quiet=1.0, timeout=120)
    return ahead, replies_to(bot, ANN)


async def test_a_trainee_asking_eighty_questions_at_once_does_not_hold_up_another(bot):
    ahead, ann = await flood_then_ask(bot, [f"{QUESTION} ({n})" for n in range(80)])
    assert ahead <= FAIR, f"{ahead} of ANN's replies went before BOB's answer"
    busy = [c for c in ann if c.params.get("text", "").startswith(BUSY)]
    assert len(busy) == 1  # told once, not once per skipped message
    answers = [c for c in ann if "研究型" in c.params.get("text", "")]
    assert 1 <= len(answers) <= 11  # the one in hand and ten in line; the rest skipped


async def test_forty_progress_charts_at_once_do_not_hold_up_another(bot):
    ahead, ann = await flood_then_ask(bot, ["/progress"] * 40)
    assert ahead <= FAIR, f"{ahead} of ANN's replies went before BOB's answer"
    charts = [c for c in ann if c.method == "sendPhoto"]
    assert 1 <= len(charts) <= 11
    assert sum(c.params.get("text", "").startswith(BUSY) for c in ann) == 1


async def test_commands_are_limited_per_minute_in_the_users_language(bot):
    for _ in range(40):  # one after another: none is skipped, all count
        await bot.say(ANN, "/help")
    [limited] = await bot.say(ANN, "/help")
    assert limited["text"] == "操作太快了，请稍等一分钟再试。"
    [answer] = await bot.say(ANN, QUESTION)  # questions have their own limits
    assert "研究型" in answer["plain_text"]
