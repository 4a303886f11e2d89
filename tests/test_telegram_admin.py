"""What admins and instructors see in Telegram: invites in either language with reasons for
what is wrong, times on the alliance's clock, exports and reports that name what they don't
know, a revoke list that stays, and a command menu per role."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.telegram_harness import ADMIN, ANN, BOB, INSTRUCTOR, button_data, running_bot

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture
async def bot(pack_app, records_url):
    async with running_bot(pack_app, records_url) as harness:
        yield harness


async def test_invites_take_the_category_in_either_language_and_show_local_expiry(bot):
    [zh] = await bot.say(ADMIN, "/invite trainee 2026A 国际型")
    assert zh["text"].startswith("学员 · 2026A · 国际型的邀请链接：")
    expires = datetime.now(UTC) + timedelta(days=14)
    local = expires.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:")
    assert re.search(rf"{local}\d\d（Asia/Shanghai）前有效", zh["text"]), zh["text"]
    await bot.core.services.records.update_user(ADMIN, lang="en")
    [en] = await bot.say(ADMIN, "/invite 学员 2026B International")
    assert en["text"].startswith("Invite for trainee · 2026B · international:")
    assert "(Asia/Shanghai)" in en["text"] and "UTC" not in en["text"]
    assert {i.category for i in await bot.core.services.records.invites()} == {"international"}


async def test_wrong_invite_words_get_a_reason_and_the_valid_words(bot):
    cases = {
        "/invite wizard": "不认识的角色“wizard”。",
        "/invite trainee 2026A 2026B": "“2026B”不是人才类别（班级已是“2026A”）。",
        "/invite trainee 国际 研究型": "只能指定一个人才类别：“研究型”之前已有国际型。",
        "/invite trainee uses=many": "“uses=many”不对：uses 和 days 须为正整数",
    }
    for command, reason in cases.items():
        [reply] = await bot.say(ADMIN, command)
        assert reply["text"].startswith(reason), reply["text"]
        assert "人才类别：研究型 / research、管理型 / management" in reply["text"]
        assert "国际型 / international" in reply["text"]
    await bot.core.services.records.update_user(ADMIN, lang="en")
    [bare] = await bot.say(ADMIN, "/invite")
    assert bare["text"].startswith("Usage: /invite ROLE")
    assert await bot.core.services.records.invites() == []


async def test_export_and_report_say_what_they_do_not_know(bot):
    await bot.enrol(ANN, cohort="2026A")
    await bot.enrol(BOB, cohort="2026B")
    [pdf] = await bot.say(ADMIN, "/export pdf")
    assert pdf["text"].startswith("“pdf”既不是导出格式（csv、xlsx、xapi），也不是已有的班级。")
    assert "已有的班级：2026A、2026B" in pdf["text"]
    [report] = await bot.say(ADMIN, "/report UNKNOWN")
    assert report["text"] == "没有班级“UNKNOWN”。\n已有的班级：2026A、2026B"
    assert not [c for c in bot.api.calls if c.method in ("sendDocument", "sendPhoto")]
    await bot.say(ADMIN, "/export 2026A csv")
    [doc] = [c for c in bot.api.calls if c.method == "sendDocument"]
    assert "2026A的测验数据（csv）" in doc.params["caption"]


async def test_revoke_keeps_its_list_so_several_go_in_a_row(bot):
    codes = []
    for cohort in ("2026A", "2026B", "2026C"):
        [link] = await bot.say(ADMIN, f"/invite trainee {cohort}")
        codes.append(re.search(r"start=([\w-]+)", link["text"]).group(1))
    [listing] = await bot.say(ADMIN, "/revoke")
    assert sorted(button_data(listing)) == sorted(f"rv:{c}" for c in codes)
    await bot.press(ADMIN, listing, f"rv:{codes[0]}")
    shown = bot.api.messages[(ADMIN, listing["message_id"])]
    assert shown["text"] == f"邀请 {codes[0]} 已作废。\n有效的邀请（点按作废）："
    assert sorted(button_data(shown)) == sorted([f"rv:{codes[1]}", f"rv:{codes[2]}"])
    await bot.press(ADMIN, shown, f"rv:{codes[1]}")
    await bot.press(ADMIN, bot.api.messages[(ADMIN, listing["message_id"])], f"rv:{codes[2]}")
    shown = bot.api.messages[(ADMIN, listing["message_id"])]
    assert shown["text"] == f"邀请 {codes[2]} 已作废。\n没有有效的邀请。"
    assert not button_data(shown)
    assert await bot.core.services.records.invites(active_only=True) == []


def _menu(bot, chat: int) -> dict[str, str] | None:
    found = bot.api.commands.get((f"chat:{chat}", ""))
    return None if found is None else {c["command"]: c["description"] for c in found}


async def test_each_role_sees_its_own_command_menu(bot):
    everyone = {c["command"] for c in bot.api.commands[("default", "")]}
    assert "quiz" in everyone and not everyone & {"invite", "feedback", "materials"}
    await bot.api.wait_for("setMyCommands", lambda c: bool(c.params.get("scope")))
    admin = _menu(bot, ADMIN)  # set at start for the admins of ADMIN_IDS
    assert admin is not None and {"invite", "report", "feedback", "quiz"} <= set(admin)

    [link] = await bot.say(ADMIN, "/invite instructor")
    code = re.search(r"start=([\w-]+)", link["text"]).group(1)
    await bot.say(INSTRUCTOR, f"/start {code}")
    menu = _menu(bot, INSTRUCTOR)
    assert menu is not None and {"feedback", "materials", "cancel", "quiz"} <= set(menu)
    assert "invite" not in menu and menu["feedback"] == "待改进的回答与没答上的问题"
    [pick] = await bot.say(INSTRUCTOR, "/lang")
    await bot.press(INSTRUCTOR, pick, "lang:en")
    assert _menu(bot, INSTRUCTOR)["feedback"] == "Answers to fix, questions left unanswered"

    await bot.say(ADMIN, f"/role {INSTRUCTOR} admin")
    assert "invite" in _menu(bot, INSTRUCTOR)
    await bot.say(ADMIN, f"/role {INSTRUCTOR} trainee")
    assert _menu(bot, INSTRUCTOR) is None  # back to everyone's menu

    await bot.enrol(ANN)
    await bot.say(ANN, "/start")
    assert _menu(bot, ANN) is None
