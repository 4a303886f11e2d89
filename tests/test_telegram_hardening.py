"""What the Telegram bot must not do: staff data in groups, rating others' answers, easy
invites, strangers getting back in; and how it meets odd input and bad start-up settings."""

from __future__ import annotations

import asyncio
import os
import re
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.standins.telegram import BotApiStandin
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
from tests.test_cli import _DROPPED, COMMAND

pytestmark = pytest.mark.asyncio(loop_scope="session")
QUESTION = "联盟有哪六类人才？"
GROUP = {"chat_id": -100555, "chat_type": "group"}
STAFF = ("/users", "/invite admin", "/revoke", "/export", "/report", "/materials", "/feedback")


@pytest.fixture
async def bot(pack_app, records_url):
    async with running_bot(pack_app, records_url) as harness:
        await harness.enrol(ANN)
        yield harness


async def test_staff_and_personal_commands_in_a_group_point_to_a_private_chat(bot):
    await bot.enrol(INSTRUCTOR, "instructor")
    for command in (*STAFF, "/remove 7001", "/role 7001 admin"):
        replies = await bot.say(ADMIN, command, language_code="en", **GROUP)
        assert [r["text"] for r in replies] == [
            "Please use this command in a private chat with me."
        ], command
    for command in ("/progress", "/forget_me", "/feedback"):
        who = ANN if command != "/feedback" else INSTRUCTOR
        [reply] = await bot.say(who, command, **GROUP)
        assert reply["text"] == "请在与我的私聊中使用这个命令。", command
    assert not [c for c in bot.api.calls if c.method in ("sendDocument", "sendPhoto")]
    made = await bot.core.services.records.invites(active_only=False)
    assert "admin" not in {i.role for i in made}  # only the enrolment of the set-up
    assert (await bot.core.services.records.user(ANN)).role == "trainee"
    [people] = await bot.say(ADMIN, "/users")  # in private, as before
    assert f"({ANN})" in people["text"]


async def test_only_the_asker_may_rate_an_answer(bot):
    await bot.enrol(BOB)
    [answer] = await bot.say(ANN, QUESTION)
    qid = button_data(answer)[1].split(":")[1]
    await bot.press(BOB, answer, f"dn:{qid}")
    await bot.api.wait_for("answerCallbackQuery", lambda c: "不存在" in c.params.get("text", ""))
    assert await bot.core.services.records.open_feedback() == []
    await bot.press(ANN, answer, f"dn:{qid}")
    await bot.api.wait_for("answerCallbackQuery", lambda c: "谢谢" in c.params.get("text", ""))
    [waiting] = await bot.core.services.records.open_feedback()
    assert waiting.id == int(qid) and waiting.rating is False


async def test_staff_invites_are_single_use_for_a_day_and_trainee_invites_as_before(bot):
    [staff] = await bot.say(ADMIN, "/invite instructor", language_code="en")
    assert "Up to 1 uses" in staff["text"]
    [trainee] = await bot.say(ADMIN, "/invite trainee 2026A", language_code="en")
    assert "Up to 30 uses" in trainee["text"]
    [wider] = await bot.say(ADMIN, "/invite admin uses=2 days=3", language_code="en")
    assert "Up to 2 uses" in wider["text"]
    by_role = {i.role: i for i in await bot.core.services.records.invites()}
    now = datetime.now(UTC)
    assert by_role["instructor"].max_uses == 1
    assert abs(by_role["instructor"].expires_at - (now + timedelta(days=1))) < timedelta(minutes=5)
    assert by_role["trainee"].max_uses == 30
    assert by_role["trainee"].expires_at - now > timedelta(days=13)


async def test_invite_codes_are_throttled_after_five_failed_tries(bot):
    [link] = await bot.say(ADMIN, "/invite trainee 2026A")
    code = re.search(r"start=([\w-]+)", link["text"]).group(1)
    for i in range(5):
        [refused] = await bot.say(BOB, f"/start guess{i}", language_code="en")
        assert refused["text"] == "That invite link is not valid."
    [wait] = await bot.say(BOB, f"/start {code}", language_code="en")
    assert "try again in 10 minutes" in wait["text"]
    assert await bot.core.services.records.user(BOB) is None
    [welcome, _category] = await bot.say(INSTRUCTOR, f"/start {code}")  # others are not held up
    assert "你好" in welcome["text"]


async def test_an_admin_changes_a_role_and_removes_a_person_who_is_then_a_stranger(bot):
    await bot.enrol(BOB)
    await bot.core.services.records.update_user(BOB, lang="en")
    [changed] = await bot.say(ADMIN, f"/role {ANN} instructor")
    assert changed["text"] == f"user{ANN}（{ANN}）现在是讲师。"
    [told] = bot.api.sent(ANN)[-1:]
    assert "管理员已将你的角色改为讲师" in told["text"]
    [queue] = await bot.say(ANN, "/feedback")
    assert "没有待处理" in queue["text"]

    [me] = await bot.say(ADMIN, f"/remove {ADMIN}")
    assert "不能更改自己" in me["text"]
    [nobody] = await bot.say(ADMIN, "/remove 123")
    assert "没有这个用户" in nobody["text"]
    [denied] = await bot.say(ANN, f"/remove {BOB}")
    assert "管理员" in denied["text"]

    await bot.say(BOB, QUESTION)
    [confirm] = await bot.say(ADMIN, f"/remove {BOB}")
    assert button_data(confirm) == [f"urm:{BOB}", "urmno:"]
    await bot.press(ADMIN, confirm, "urmno:")
    assert await bot.core.services.records.user(BOB) is not None
    [confirm] = await bot.say(ADMIN, f"/remove {BOB}")
    await bot.press(ADMIN, confirm, f"urm:{BOB}")
    assert "已移除" in bot.api.messages[(ADMIN, confirm["message_id"])]["text"]
    assert bot.api.sent(BOB)[-1]["text"].startswith("An admin removed you")
    assert await bot.core.services.records.user(BOB) is None
    assert (
        await bot.core.services.records.count_questions(BOB, datetime.now(UTC) - timedelta(1)) == 0
    )
    [stranger] = await bot.say(BOB, QUESTION)
    assert "invite link" in stranger["text"] or "邀请" in stranger["text"]


async def test_forget_me_keeps_only_the_reworded_canonical_question_and_privacy_says_so(bot):
    await bot.enrol(INSTRUCTOR, "instructor")
    [privacy] = await bot.say(ANN, "/privacy")
    said = ("问过的问题", "评价", "测验作答", "掌握程度", "讲师能在待改进列表", "管理员能看到")
    for kept in said:
        assert kept in privacy["text"], kept
    asked = "我是王芳，明天苏州的天气怎么样？"
    await bot.say(ANN, asked)
    [item] = await bot.say(INSTRUCTOR, "/feedback")
    [prompt] = await bot.press(INSTRUCTOR, item, button_data(item)[0])
    assert "问：" in prompt["text"]
    await bot.say(INSTRUCTOR, "问：苏州明天的天气怎么样？\n请查看天气预报，课程资料不涉及天气。")
    [before] = await bot.core.services.records.canonicals()
    assert (before.question, before.answer) == (asked, "请查看天气预报，课程资料不涉及天气。")

    [confirm] = await bot.say(ANN, "/forget_me")
    await bot.press(ANN, confirm, "forget:yes")
    [after] = await bot.core.services.records.canonicals()
    assert (after.question, after.source_question_id) == ("苏州明天的天气怎么样？", None)
    await bot.enrol(BOB)
    [served] = await bot.say(BOB, "苏州明天的天气怎么样？")  # still served, by its new words
    assert "请查看天气预报" in served["plain_text"]


def _media(api: BotApiStandin, user_id: int, kind: str, caption: str | None = None) -> None:
    """A photo, sticker, voice or video message (the stand-in feeds only text and files)."""
    file = {"file_id": f"AgAC-{kind}", "file_unique_id": f"u-{kind}"}
    payloads = {
        "photo": [{**file, "width": 90, "height": 90}],
        "sticker": {
            **file, "type": "regular", "width": 512, "height": 512,
            "is_animated": False, "is_video": False,
        },
        "voice": {**file, "duration": 3},
        "video": {**file, "width": 640, "height": 360, "duration": 5},
    }  # fmt: skip
    user = api._known_user(user_id)
    message = api._incoming_message(user, api._remember_chat(user, None, "private"))
    message[kind] = payloads[kind]
    if caption is not None:
        message["caption"] = caption
    api._queue({"message": message})


async def test_a_bare_slash_and_media_get_a_short_answer_and_a_caption_is_a_question(bot):
    for text in ("/", "/@stdtutor_test_bot", "/ "):
        [help_] = await bot.say(ANN, text)
        assert "/lang" in help_["text"], text
    for kind in ("sticker", "voice", "video", "photo"):
        before = len(bot.api.sent(ANN))
        _media(bot.api, ANN, kind)
        await until(lambda before=before: len(bot.api.sent(ANN)) > before)
        await bot.api.wait_idle(quiet=0.4)
        [line] = bot.api.sent(ANN)[before:]
        assert line["text"] == "我只能读文字问题，请把问题打字发给我。", kind
    before = len(bot.api.sent(ANN))
    _media(bot.api, ANN, "photo", caption=QUESTION)
    await until(lambda: len(bot.api.sent(ANN)) > before)
    await bot.api.wait_idle(quiet=0.4)
    [answer] = bot.api.sent(ANN)[before:]
    assert "研究型" in answer["plain_text"]
    assert not [c for c in bot.api.calls if c.method == "sendMessage" and "出错" in str(c.params)]


# start-up failures of `stdtutor run`, as a subprocess


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _run(tmp_path: Path, embedding_cache: Path, name: str, **env: str) -> tuple[int, str]:
    environ = {k: v for k, v in os.environ.items() if k not in _DROPPED and "OPENAI" not in k}
    environ.update(
        STDTUTOR_HOME=str(tmp_path / name), EMBEDDING_CACHE=str(embedding_cache),
        PTB_TIMEDELTA="true", **env,
    )  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        *COMMAND, "run", cwd=tmp_path, env=environ,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 300)
    return process.returncode, (out + err).decode()


async def test_run_fails_with_one_clear_line_on_a_bad_token_telegram_down_or_bad_database(
    tmp_path: Path, embedding_cache: Path
):
    wrong = "424242:AAE-a-wrong-token-never-shown"
    async with BotApiStandin(token=TOKEN) as api:
        base = api.base_url.removesuffix("/bot")
        results = await asyncio.gather(
            _run(tmp_path, embedding_cache, "token", TELEGRAM_BOT_TOKEN=wrong,
                 TELEGRAM_API_BASE_URL=base),
            _run(tmp_path, embedding_cache, "down", TELEGRAM_BOT_TOKEN=TOKEN,
                 TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{_closed_port()}"),
            _run(tmp_path, embedding_cache, "db", TELEGRAM_BOT_TOKEN=TOKEN,
                 TELEGRAM_API_BASE_URL=base,
                 DATABASE_URL=f"postgresql://tutor:pa55word@127.0.0.1:{_closed_port()}/x"),
        )  # fmt: skip
    expected = (
        "rejected the bot token",
        "cannot reach Telegram",
        "cannot open the learner records",
    )
    for (code, log), reason in zip(results, expected, strict=True):
        assert code == 1, log
        assert "Traceback" not in log, log
        lines = [line for line in log.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: ") and reason in lines[0], log
        for secret in (wrong, wrong.split(":")[1], TOKEN, TOKEN.split(":")[1], "pa55word"):
            assert secret not in log, log
