"""Refusals in Telegram as the asker sees them: a word or two refused comes with a hint to
ask a whole question, in the asker's language; longer questions and greetings don't."""

from __future__ import annotations

import pytest

from tests.telegram_harness import ANN, running_bot

pytestmark = pytest.mark.asyncio(loop_scope="session")

REFUSAL_ZH = "课程资料里没有找到这个问题的答案"
REFUSAL_EN = "The course materials don't cover this"


@pytest.fixture
async def bot(make_app, records_url):
    """A bot over an empty library: every question is refused."""
    async with running_bot(make_app(), records_url) as harness:
        await harness.enrol(ANN)  # a Chinese trainee
        yield harness


def shown(message: dict) -> str:
    return message.get("plain_text") or message.get("text") or ""


async def test_a_refused_word_or_two_comes_with_a_hint_to_ask_a_whole_question(bot):
    [cjk] = await bot.say(ANN, "标准化法")
    assert shown(cjk).startswith(REFUSAL_ZH)
    assert shown(cjk).endswith(
        "\n\n💡 只有几个字的问题我很难找准。试着问完整的一句话，例如“标准化法是什么？”"
    )

    [latin] = await bot.say(ANN, "ISO？")  # Latin letters from a Chinese trainee: in Chinese
    assert shown(latin).startswith(REFUSAL_ZH)
    assert shown(latin).endswith("例如“ISO是什么？”")

    await bot.core.services.records.update_user(ANN, lang="en")
    [en] = await bot.say(ANN, "GB/T 1.1?")
    assert shown(en).startswith(REFUSAL_EN)
    assert shown(en).endswith(
        "\n\n💡 A word or two is hard for me to look up. Try a whole question, for example "
        "“What is GB/T 1.1?”"
    )
    assert not any(ch in shown(en) for ch in "只有几个字")  # one language per reply


async def test_a_whole_question_or_a_greeting_gets_no_rephrase_hint(bot):
    [whole] = await bot.say(ANN, "国家标准由哪个部门批准发布？")
    assert shown(whole).startswith(REFUSAL_ZH) and "💡" not in shown(whole)
    [english] = await bot.say(ANN, "Who approves mandatory national standards?")
    assert shown(english).startswith(REFUSAL_EN) and "💡" not in shown(english)
    [hello] = await bot.say(ANN, "你好")
    assert REFUSAL_ZH not in shown(hello) and "💡" not in shown(hello)
