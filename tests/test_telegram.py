"""Trainees in Telegram: the real bot stack over HTTP against the Bot API stand-in."""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from knowledge.vocabulary import CATEGORIES
from tests.standins.openai_server import FakeOpenAI
from tests.telegram_harness import (
    ADMIN,
    ANN,
    BOB,
    INSTRUCTOR,
    TOKEN,
    button_data,
    running_bot,
    until,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")
QUESTION = "联盟有哪六类人才？"


@pytest.fixture
async def bot(pack_app, records_url):
    async with running_bot(pack_app, records_url) as harness:
        yield harness


async def test_an_invite_link_enrols_a_trainee_who_is_greeted_in_their_language(bot):
    [link] = await bot.say(ADMIN, "/invite trainee 2026A", language_code="en")
    code = re.search(r"https://t\.me/stdtutor_test_bot\?start=([\w-]+)", link["text"]).group(1)

    greeting, category = await bot.say(ANN, f"/start {code}", language_code="zh-hans")
    assert "你好" in greeting["text"] and "学员 · 2026A" in greeting["text"]
    assert button_data(category) == [f"cat:{c}" for c in CATEGORIES]
    await bot.press(ANN, category, "cat:international")
    assert "国际型" in bot.api.messages[(ANN, category["message_id"])]["text"]
    user = await bot.core.services.records.user(ANN)
    assert (user.role, user.cohort, user.category) == ("trainee", "2026A", "international")
    assert {lang for (_, lang) in bot.api.commands} == {"", "zh"}  # menus in both languages


async def test_a_stranger_gets_one_polite_line_and_nothing_else(bot):
    replies = await bot.say(BOB, QUESTION)
    assert len(replies) == 1 and "邀请" in replies[0]["text"]
    assert not [c for c in bot.api.calls if c.method == "sendChatAction"]
    assert await bot.core.services.records.user(BOB) is None


async def test_open_access_lets_anyone_in_as_a_trainee(pack_app, records_url):
    async with running_bot(pack_app, records_url, access="open") as bot:
        [answer] = await bot.say(BOB, QUESTION)
        assert "研究型" in answer["plain_text"]
        assert (await bot.core.services.records.user(BOB)).role == "trainee"


async def test_a_question_gets_typing_then_a_cited_answer_with_sources_and_rating(bot):
    await bot.enrol(ANN)
    [answer] = await bot.say(ANN, QUESTION)
    methods = [c.method for c in bot.api.calls if c.params.get("chat_id") in (ANN, str(ANN))]
    assert methods.index("sendChatAction") < methods.index("sendMessage")
    assert answer["parse_mode"] == "HTML"
    assert "研究型" in answer["plain_text"] and "[1]" in answer["plain_text"]
    assert "出处\n[1] 苏州标准化产教融合联盟简介 · " in answer["plain_text"]  # a title, not a file
    assert ".md" not in answer["plain_text"]
    qid = button_data(answer)[0].split(":")[1]
    assert button_data(answer) == [f"src:{qid}", f"up:{qid}", f"dn:{qid}", f"qz:{qid}"]

    [sources] = await bot.press(ANN, answer, f"src:{qid}")
    assert "联盟聚焦六类人才的标准化培养" in sources["plain_text"]
    assert (
        "苏州标准化产教融合联盟简介" in sources["plain_text"] and ".md" not in sources["plain_text"]
    )

    await bot.press(ANN, answer, f"dn:{qid}")
    [ack] = await bot.api.wait_for(
        "answerCallbackQuery", lambda c: "谢谢" in c.params.get("text", "")
    )
    [waiting] = await bot.core.services.records.open_feedback()
    assert waiting.question == QUESTION and waiting.rating is False


async def test_help_privacy_language_and_forgetting(bot):
    await bot.enrol(ANN)
    [help_] = await bot.say(ANN, "/help")
    assert "/lang" in help_["text"] and "/materials" not in help_["text"]
    [privacy] = await bot.say(ANN, "/privacy")
    assert "/forget_me" in privacy["text"]
    [pick] = await bot.say(ANN, "/lang")
    await bot.press(ANN, pick, "lang:en")
    [help_en] = await bot.say(ANN, "/help")
    assert "Send me a question" in help_en["text"]

    await bot.say(ANN, QUESTION)
    [confirm] = await bot.say(ANN, "/forget_me")
    await bot.press(ANN, confirm, "forget:no")
    assert await bot.core.services.records.user(ANN) is not None
    [confirm] = await bot.say(ANN, "/forget_me")
    await bot.press(ANN, confirm, "forget:yes")
    assert "deleted" in bot.api.messages[(ANN, confirm["message_id"])]["text"]
    assert await bot.core.services.records.user(ANN) is None
    [stranger] = await bot.say(ANN, QUESTION)
    assert "invite" in stranger["text"] or "邀请" in stranger["text"]


async def test_in_a_group_the_bot_answers_only_when_mentioned_or_replied_to(bot):
    await bot.enrol(ANN)
    group = {"chat_id": -100777, "chat_type": "group"}
    assert await bot.say(ANN, QUESTION, reply=False, **group) == []
    [answer] = await bot.say(ANN, f"@stdtutor_test_bot {QUESTION}", **group)
    assert "研究型" in answer["plain_text"] and answer["reply_to_message_id"]
    [follow_up] = await bot.say(ANN, "ISO的DIS阶段叫什么？", reply_to=answer, **group)
    assert "DIS" in follow_up["plain_text"]
    assert await bot.say(ANN, "/help@some_other_bot", reply=False, **group) == []


async def test_a_long_canonical_answer_is_split_and_its_html_escaped(bot):
    """An instructor answers a question the materials could not; the answer is long."""
    await bot.enrol(ANN)
    await bot.enrol(INSTRUCTOR, "instructor")
    question = "明天苏州的天气怎么样？"
    [refusal] = await bot.say(ANN, question)
    assert "没有" in refusal["plain_text"]
    [item] = await bot.say(INSTRUCTOR, "/feedback")
    assert question in item["text"]
    [prompt] = await bot.press(INSTRUCTOR, item, button_data(item)[0])
    assert question in prompt["text"]
    answer = (
        "<b>注意</b> & 请看 <br> 通知。" + "课程表每周一更新 <以通知为准> & 以基地公告为准。" * 150
    )
    await bot.say(INSTRUCTOR, answer)
    told = f"老师回答了你的问题“{question}”"  # the asker is told, as the refusal promised
    await until(lambda: any(m["text"].startswith(told) for m in bot.api.sent(ANN)))

    parts = await bot.say(ANN, "明天苏州天气怎么样")
    assert len(parts) >= 2
    assert all(len(p["text"].encode("utf-16-le")) // 2 <= 4096 for p in parts)
    shown = "".join(p["plain_text"] for p in parts)
    assert shown.startswith("<b>注意</b> & 请看 <br> 通知。")  # escaped, shown as typed
    assert shown.count("以基地公告为准") == 150 and f"user{INSTRUCTOR}" in shown
    assert button_data(parts[-1])[-1].startswith("dn:") and not button_data(parts[0])


async def test_a_chinese_canonical_answer_serves_the_english_question_headed_in_english(bot):
    await bot.enrol(ANN)
    services = bot.core.services
    canonical = await services.records.add_canonical(
        question="ISO 14001认证的有效期是多久？", lang="zh",
        answer="一般为三年，期间每年监督审核。",
        author_id=INSTRUCTOR, author_name="Li", source_question_id=None,
    )  # fmt: skip
    services.canonical.add(canonical)
    [reply] = await bot.say(ANN, "How long is ISO 14001 certification valid?")
    shown = reply["plain_text"]
    assert shown.startswith("一般为三年，期间每年监督审核。")
    assert "— answered by Li on" in shown and "(written by the instructor in Chinese)" in shown
    [other] = await bot.say(ANN, "How long is ISO 9001 certification valid?")
    assert "一般为三年" not in other["plain_text"]  # another standard: from the materials


async def test_telegram_429_and_unparsable_html_still_deliver_the_answer(bot):
    await bot.enrol(ANN)
    bot.api.fail("sendMessage", status=429, retry_after=1)
    [answer] = await bot.say(ANN, QUESTION, quiet=1.5)
    statuses = [c.status for c in bot.api.calls if c.method == "sendMessage"]
    assert statuses == [429, 200] and "研究型" in answer["plain_text"]

    bot.api.fail("sendMessage", status=400, description="Bad Request: can't parse entities: x")
    [plain] = await bot.say(ANN, QUESTION)
    assert plain["parse_mode"] is None and "研究型" in plain["text"] and "<" not in plain["text"]


async def test_server_errors_and_dropped_connections_are_retried(bot):
    await bot.enrol(ANN)
    bot.api.fail("sendMessage", status=502)
    bot.api.drop("sendMessage")
    replies = await bot.say(ANN, QUESTION, quiet=2.0)
    assert [r["plain_text"].count("研究型") > 0 for r in replies] == [True]


async def test_a_redelivered_update_is_answered_once(bot):
    await bot.enrol(ANN)
    update = bot.api.user_message(ANN, QUESTION)
    await until(lambda: len(bot.api.sent(ANN)) == 1)
    bot.api.redeliver(update)
    await bot.api.wait_idle(quiet=0.4)
    assert len(bot.api.sent(ANN)) == 1
    assert await bot.core.services.records.count_questions(ANN, since=_long_ago()) == 1


async def test_questions_over_the_per_minute_limit_are_kept_and_answered_in_turn(
    pack_app, records_url
):
    """3 a "minute" (4 s here), 3 kept: of 9 questions in a row, 3 are answered at once, 3 are
    kept and answered when the limit allows, and 3 are refused with the time to ask again."""
    async with running_bot(pack_app, records_url, per_minute=3, window=4.0) as bot:
        await bot.enrol(ANN)
        for i in range(9):
            bot.api.user_message(ANN, f"{QUESTION} {i}")
        await until(lambda: len(bot.api.sent(ANN)) >= 9, timeout=60)
        first = [m["plain_text"] for m in bot.api.sent(ANN)]
        assert sum("研究型" in t for t in first) == 3
        kept = [t for t in first if "这个问题我记下了" in t]
        refused = [t for t in first if "这个没有记下" in t]
        assert len(kept) == 3 and len(refused) == 3, first
        assert all(re.search(r"超过 3 个.*约 \d 秒后（\d\d:\d\d:\d\d）回答", t) for t in kept)
        shanghai = datetime.now(ZoneInfo("Asia/Shanghai"))
        for t in refused:
            assert t.startswith("已有 3 个问题在排队")
            at = re.search(r"请在 (\d\d):(\d\d):(\d\d)（约 (\d) 秒后）再问", t)
            assert at, t
            when = shanghai.replace(hour=int(at[1]), minute=int(at[2]), second=int(at[3]))
            assert abs((when - shanghai).total_seconds()) < 10  # on the alliance's clock

        await until(lambda: sum("研究型" in m["plain_text"] for m in bot.api.sent(ANN)) == 6, 30)
        await bot.api.wait_idle(quiet=0.6, timeout=30)
        sent = [c for c in bot.api.calls if c.method == "sendMessage"]
        answers = [c for c in sent if "研究型" in str(c.params)]
        assert len(answers) == 6 and answers[3].at - answers[0].at >= 3.5  # waited their turn
        async with bot.core.services.records.engine.begin() as conn:
            asked = (await conn.execute(text("SELECT question FROM questions ORDER BY id"))).all()
        assert [q for (q,) in asked] == [f"{QUESTION} {i}" for i in range(6)]  # in order


async def test_an_llm_answer_streams_by_edits_at_most_once_a_second(pack_app, records_url):
    from tests.test_llm import llm_tutor

    with FakeOpenAI() as fake:
        text = "联盟聚焦**六类人才**：研究型、管理型、应用型、教育型、编辑型和国际型 [1]。" * 3
        fake.enqueue(text, pace=0.1)
        app = replace(pack_app, tutor=llm_tutor(pack_app, fake))
        async with running_bot(app, records_url) as bot:
            await bot.enrol(ANN)
            [answer] = await bot.say(ANN, QUESTION, quiet=1.5)
            edits = [c for c in bot.api.calls if c.method == "editMessageText"]
    assert len(edits) >= 2
    assert all(b.at - a.at >= 0.95 for a, b in zip(edits, edits[1:], strict=False))
    assert answer["edits"] == len(edits) and "<b>六类人才</b>" in answer["text"]
    assert "研究型" in answer["plain_text"] and button_data(answer)


async def test_the_bot_token_never_reaches_the_logs(pack_app, records_url, caplog):
    caplog.set_level(logging.DEBUG)
    async with running_bot(pack_app, records_url) as bot:
        caplog.set_level(logging.DEBUG, logger="httpx")
        await bot.enrol(ANN)
        bot.api.fail("sendMessage", status=400, description="Bad Request: chat not found")
        await bot.say(ANN, QUESTION, reply=False)  # refused: the failure is logged
    assert "/bot<token>/" in caplog.text  # request lines were logged, redacted
    assert TOKEN not in caplog.text and TOKEN.split(":")[1] not in caplog.text


def _long_ago() -> datetime:
    return datetime.now(UTC) - timedelta(days=1)
