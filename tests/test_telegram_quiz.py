"""Quizzes in Telegram: polls and buttons, answers counted once, progress, reports, imports."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from tests.telegram_harness import ADMIN, ANN, INSTRUCTOR, button_data, running_bot, until

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture
async def bot(pack_app, records_url):
    async with running_bot(pack_app, records_url) as harness:
        await harness.enrol(ANN)  # a research trainee
        yield harness


async def current_question(bot) -> tuple[str, dict]:
    """The question just asked: ("poll", sendPoll call params) or ("buttons", message)."""
    session = await bot.core.services.records.open_session(ANN)
    assert session is not None and session.current, "no question is waiting"
    stem = (await bot.core.services.records.item(session.current)).stem
    polls = [c for c in bot.api.calls if c.method == "sendPoll" and c.ok]
    if polls and polls[-1].result["poll"]["question"].endswith(stem):
        return "poll", polls[-1].result
    # the latest message asking it (a late answer to an older question may have come since)
    asking = [m for m in bot.api.sent(ANN) if stem in (m.get("text") or "")]
    assert asking, f"no message asks {session.current}"
    return "buttons", asking[-1]


async def answer(bot, right: bool) -> list[dict]:
    """Answer the waiting question, rightly or wrongly; the messages that follow."""
    session = await bot.core.services.records.open_session(ANN)
    item = await bot.core.services.records.item(session.current)
    choice = (
        list(item.answer)
        if right
        else [i for i in range(len(item.options)) if i not in item.answer][:1]
    )
    how, where = await current_question(bot)
    before = len(bot.api.sent(ANN))
    if how == "poll":
        bot.api.poll_answer(ANN, where["poll"]["id"], choice)
        await until(lambda: len(bot.api.sent(ANN)) > before)
        await bot.api.wait_idle(quiet=0.4)
    elif item.kind == "multiple":
        for i in choice:
            await bot.press(ANN, where, f"qt:{session.id}:{item.id}:{i}")
        await bot.press(ANN, where, f"qd:{session.id}:{item.id}")
    elif item.kind == "short":
        await bot.say(ANN, item.accepted[0] if right else "不知道")
    else:
        await bot.press(ANN, where, f"qa:{session.id}:{item.id}:{choice[0]}")
    return bot.api.sent(ANN)[before:]


async def test_a_quiz_runs_by_poll_and_buttons_and_ends_with_a_score(bot):
    await bot.say(ANN, "/quiz 3")
    results = []
    for right in (True, False, True):
        results += await answer(bot, right)
    texts = [m.get("plain_text") or m.get("text") or "" for m in results]
    assert sum("✅" in t for t in texts) == 2 and sum("❌" in t for t in texts) == 1
    summary = texts[-1]
    assert "测验结束：2/3 题正确" in summary and "目标" in summary
    verdicts = [
        m for m in results if "✅" in (m.get("text") or "") or "❌" in (m.get("text") or "")
    ]
    assert all(button_data(m)[0].startswith("qs:") for m in verdicts)
    attempts = await bot.core.services.records.attempts_of(ANN)
    assert len(attempts) == 3 and sum(a.correct for a in attempts) == 2
    assert await bot.core.services.records.open_session(ANN) is None

    [source] = await bot.press(ANN, verdicts[0], button_data(verdicts[0])[0])
    # the clause under the chapter's title, never its file name
    assert source["plain_text"].startswith("[1] ") and len(source["plain_text"]) > 40
    assert ".md" not in source["plain_text"]


async def test_a_poll_answer_counts_once_and_an_unknown_poll_gets_a_message(bot):
    await bot.say(ANN, "/quiz 1")
    how, where = await current_question(bot)
    if how != "poll":
        pytest.fail("the first research question of the bank should fit a quiz poll")
    poll_id = where["poll"]["id"]
    before = len(bot.api.sent(ANN))
    update = bot.api.poll_answer(ANN, poll_id, [0])
    await until(lambda: len(bot.api.sent(ANN)) > before)  # the verdict
    await bot.api.wait_idle(quiet=0.4)
    bot.api.redeliver(update)  # Telegram delivers the same update again
    bot.api.poll_answer(ANN, poll_id, [1])  # a late second answer to the same poll
    await bot.api.wait_idle(quiet=0.4)
    assert len(await bot.core.services.records.attempts_of(ANN)) == 1
    before = len(bot.api.sent(ANN))
    bot.api.poll_answer(ANN, "no-such-poll", [0])
    await until(lambda: len(bot.api.sent(ANN)) > before)
    assert "测验已经结束" in bot.api.sent(ANN)[-1]["text"]


async def test_progress_is_a_chart_against_the_target_with_the_biggest_gap(bot):
    await bot.say(ANN, "/quiz 2")
    await answer(bot, False)
    await answer(bot, False)
    await bot.say(ANN, "/progress")
    [photo] = [c for c in bot.api.calls if c.method == "sendPhoto"]
    assert photo.files and next(iter(photo.files.values())).startswith(b"\x89PNG")
    assert "差距最大" in photo.params["caption"]


async def test_quiz_me_on_this_asks_about_the_cited_material(bot):
    [reply] = await bot.say(ANN, "GB/T 1.1—2020 中的能愿动词“应”表示什么？")
    quiz_me = [d for d in button_data(reply) if d.startswith("qz:")]
    assert quiz_me, button_data(reply)
    await bot.press(ANN, reply, quiz_me[0])
    session = await bot.core.services.records.open_session(ANN)
    item = await bot.core.services.records.item(session.current)
    assert set(item.competencies) & set(session.focus)


async def test_admins_see_the_report_and_export_it(bot):
    await bot.say(ANN, "/quiz 2")
    await answer(bot, True)
    await answer(bot, False)
    replies = await bot.say(ADMIN, "/report")
    assert re.search(r"1", replies[0]["text"])
    await bot.api.wait_for("sendPhoto")  # the heat map follows the text (drawn meanwhile)
    await bot.say(ADMIN, "/export xlsx")
    [doc] = [c for c in bot.api.calls if c.method == "sendDocument"]
    assert next(iter(doc.files.values()))[:2] == b"PK"
    [denied] = await bot.say(ANN, "/report")
    assert "管理员" in denied["text"]


async def test_an_instructor_imports_a_question_file_with_a_bad_question(bot):
    await bot.enrol(INSTRUCTOR, "instructor")
    gift = (
        "// @competencies: drafting\n// @level: 1\n// @bloom: remember\n"
        "// @source: drafting_rules.md#能愿动词\n// @lang: zh\n"
        "::new-1:: 表示要求的能愿动词是？ {=应 ~可 ~宜}\n\n"
        "// @competencies: no-such-competency\n// @level: 1\n// @bloom: remember\n"
        "// @source: drafting_rules.md#能愿动词\n// @lang: zh\n"
        "::new-2:: 表示允许的能愿动词是？ {=可 ~应}\n"
    ).encode()
    bot.api.add_file("f-gift", gift)
    bot.api.document(INSTRUCTOR, "f-gift", "extra.gift", len(gift))
    await until(lambda: bot.api.sent(INSTRUCTOR))
    await bot.api.wait_idle(quiet=0.6)
    [summary] = bot.api.sent(INSTRUCTOR)
    assert "1 questions added" in summary["text"] or "新增 1 题" in summary["text"]
    assert "no-such-competency" in summary["text"]
    assert await bot.core.services.records.item("new-1") is not None


async def test_review_brings_back_what_was_missed_once_it_is_due(bot):
    [nothing] = await bot.say(ANN, "/review")
    assert "没有需要复习的题目" in nothing["text"]
    await bot.say(ANN, "/quiz 1")
    missed = (await bot.core.services.records.open_session(ANN)).current
    await answer(bot, False)
    async with bot.core.services.records.engine.begin() as conn:  # a day later: the card is due
        await conn.execute(text("UPDATE review_cards SET due_at = :t"), {"t": _yesterday()})
    await bot.say(ANN, "/review")
    session = await bot.core.services.records.open_session(ANN)
    assert session.current == missed and session.size == 1


async def test_review_says_when_what_was_missed_is_due_in_the_trainees_language(bot):
    records = bot.core.services.records
    await bot.say(ANN, "/quiz 1")
    missed = (await records.open_session(ANN)).current
    await answer(bot, False)
    due = await records.next_due(ANN, datetime.now(UTC), [missed])
    when = due.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    [zh] = await bot.say(ANN, "/review")
    assert zh["text"] == (
        "现在还没有需要复习的题目。\n"
        f"上一轮测验答错 1 题，从 {when}（Asia/Shanghai）起可以复习。\n"
        "到时发送 /review 复习；现在可以发送 /quiz 做新题。"
    )
    await records.update_user(ANN, lang="en")
    [en] = await bot.say(ANN, "/review")
    assert en["text"] == (
        "Nothing is due for review yet.\n"
        f"Missed in your last quiz: 1, due for review from {when} (Asia/Shanghai).\n"
        "Send /review then; /quiz gives you new questions now."
    )
    assert await records.open_session(ANN) is None  # no empty review was started


async def test_review_says_when_the_next_one_is_due_after_a_quiz_without_mistakes(bot):
    records = bot.core.services.records
    await bot.say(ANN, "/quiz 1")
    await answer(bot, True)
    due = await records.next_due(ANN, datetime.now(UTC))
    when = due.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    [reply] = await bot.say(ANN, "/review")
    assert f"下一道复习题 {when}（Asia/Shanghai）到期。" in reply["text"]
    assert "答错" not in reply["text"]


async def test_review_starts_with_what_was_missed_in_the_last_session(bot):
    records = bot.core.services.records
    missed = []
    for _ in range(2):
        await bot.say(ANN, "/quiz 1")
        missed.append((await records.open_session(ANN)).current)
        await answer(bot, False)
    earlier, last = missed
    assert earlier != last
    async with records.engine.begin() as conn:  # both due; the earlier miss the more overdue
        for item, days in ((earlier, 2), (last, 1)):
            at = datetime.now(UTC) - timedelta(days=days)
            update = "UPDATE review_cards SET due_at = :t WHERE item_id = :i"
            await conn.execute(text(update), {"t": at, "i": item})
    await bot.say(ANN, "/review")
    session = await records.open_session(ANN)
    assert session.size == 2 and session.current == last
    how, shown = await current_question(bot)
    stem = (await records.item(last)).stem
    assert stem in (shown["poll"]["question"] if how == "poll" else shown["text"])
    await answer(bot, True)
    assert (await records.open_session(ANN)).current == earlier


async def test_a_quiz_with_no_questions_left_says_so(bot):
    for item in await bot.core.services.records.items():
        await bot.core.services.records.set_item_status(item.id, "retired")
    [reply] = await bot.say(ANN, "/quiz")
    assert "暂时没有可做的题目" in reply["text"]


async def test_the_next_quiz_asks_other_questions_than_the_last_one(bot):
    shown = []
    for _ in range(2):
        await bot.say(ANN, "/quiz 3")
        asked = []
        for _ in range(3):
            how, where = await current_question(bot)
            asked.append(where["poll"]["question"] if how == "poll" else where["text"])
            await answer(bot, True)
        shown.append([re.sub(r"^\d+/\d+ · ", "", text) for text in asked])  # less "1/3 · "
    first, second = shown
    assert len(set(first)) == 3 and len(set(second)) == 3
    assert not set(first) & set(second), (first, second)


def _yesterday() -> datetime:
    return datetime.now(UTC) - timedelta(days=1)


async def test_the_summary_says_when_what_was_missed_comes_back(bot):
    records = bot.core.services.records
    await bot.say(ANN, "/quiz 1")
    missed = (await records.open_session(ANN)).current
    after = await answer(bot, False)
    due = await records.next_due(ANN, datetime.now(UTC), [missed])
    when = due.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    [summary] = [m for m in after if m.get("text", "").startswith("测验结束")]
    assert f"答错的 1 题从 {when}（Asia/Shanghai）起可以用 /review 复习。" in summary["text"]


async def test_a_summary_without_mistakes_says_nothing_comes_back(bot):
    await bot.say(ANN, "/quiz 1")
    after = await answer(bot, True)
    [summary] = [m for m in after if m.get("text", "").startswith("测验结束")]
    assert "答错" not in summary["text"]


MOODLE_MATCHING = """<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="matching">
    <name><text>verb-types-tg</text></name>
    <questiontext format="html"><text><![CDATA[<p>把能愿动词与条款类型对应起来。</p>]]></text>
    </questiontext>
    <generalfeedback><text>要求用“应”，允许用“可”，能力用“能”。</text></generalfeedback>
    <subquestion><text>应</text><answer><text>要求</text></answer></subquestion>
    <subquestion><text>可</text><answer><text>允许</text></answer></subquestion>
    <subquestion><text>能</text><answer><text>能力</text></answer></subquestion>
    <tags><tag><text>competency:drafting</text></tag><tag><text>level:1</text></tag>
      <tag><text>bloom:remember</text></tag><tag><text>source:drafting_rules.md</text></tag>
    </tags>
  </question>
  <question type="essay"><name><text>why-consensus</text></name>
    <questiontext><text>为什么要协商一致？</text></questiontext></question>
</quiz>
"""


async def test_a_moodle_matching_question_is_asked_as_text_and_answered_once(bot):
    await bot.enrol(INSTRUCTOR, "instructor")
    data = MOODLE_MATCHING.encode()
    bot.api.add_file("f-xml", data)
    bot.api.document(INSTRUCTOR, "f-xml", "stages.xml", len(data))
    await until(lambda: bot.api.sent(INSTRUCTOR))
    await bot.api.wait_idle(quiet=0.6)
    [summary] = bot.api.sent(INSTRUCTOR)
    assert "第 2 题“why-consensus”：不支持 essay 题型" in summary["text"]
    records = bot.core.services.records
    for q in await records.items("published"):  # only the imported question is left to ask
        if q.id != "verb-types-tg":
            await records.set_item_status(q.id, "retired")

    [asked] = [m for m in await bot.say(ANN, "/quiz 1") if "对应起来" in (m.get("text") or "")]
    assert (
        "1. 应\n2. 可\n3. 能" in asked["text"] and "请按顺序为每一项输入对应的字母" in asked["text"]
    )
    assert not [c for c in bot.api.calls if c.method == "sendPoll"]  # text, not a poll
    item = await records.item("verb-types-tg")
    letters = "".join("ABC"[i] for i in item.answer)
    replies = await bot.say(ANN, letters)
    assert any("✅" in (m.get("text") or "") for m in replies)
    [attempt] = await records.attempts_of(ANN)
    assert attempt.correct and (await records.mastery(ANN))["drafting"].attempts == 1
