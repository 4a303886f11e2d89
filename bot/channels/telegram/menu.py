"""Command menus: everyone's (English by default, Chinese for a Chinese Telegram), and, per
chat (`BotCommandScopeChat`), the longer menu of each instructor and admin in their language."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import BotCommand, BotCommandScopeChat
from telegram.error import TelegramError

from knowledge.vocabulary import Lang

log = logging.getLogger(__name__)

COMMANDS = (
    ("start", "开始，介绍我能做什么", "Start: what I can do"),
    ("quiz", "按我的人才类别出题测验", "A quiz aimed at what I still lack"),
    ("review", "复习到期的题目", "Review questions that are due"),
    ("progress", "我的掌握程度与目标", "My mastery against my target"),
    ("help", "用法", "How to use me"),
    ("lang", "切换语言（中文 / English）", "Switch language (中文 / English)"),
    ("privacy", "我保存了哪些信息", "What I keep about you"),
    ("forget_me", "删除我的全部记录", "Delete all my records"),
)
INSTRUCTOR = (
    ("feedback", "待改进的回答与没答上的问题", "Answers to fix, questions left unanswered"),
    ("materials", "课程资料：查看与移除", "Course materials: list and remove"),
    ("restore", "恢复被替换资料的上一版", "Bring back a replaced document's last version"),
    ("cancel", "取消正在写的答案", "Stop writing an answer"),
)
ADMIN = (
    ("invite", "生成邀请链接", "Make an invite link"),
    ("revoke", "作废邀请", "Revoke an invite"),
    ("users", "用户列表", "List people"),
    ("role", "更改角色", "Change someone's role"),
    ("remove", "移除用户", "Remove someone"),
    ("report", "班级测验报告", "Quiz report of a cohort"),
    ("export", "导出测验数据", "Export quiz data"),
)
ROLE_COMMANDS = {
    "trainee": COMMANDS,
    "instructor": COMMANDS + INSTRUCTOR,
    "admin": COMMANDS + INSTRUCTOR + ADMIN,
}


def commands(role: str, lang: Lang) -> list[BotCommand]:
    return [BotCommand(c, zh if lang == "zh" else en) for c, zh, en in ROLE_COMMANDS[role]]


async def staff(core) -> list[tuple[int, str, Lang]]:
    """(chat, role, language) of every instructor and admin, for their menus at start-up: the
    private chat of their Telegram identity, and of each ADMIN_IDS admin not enrolled yet."""
    records = core.services.records
    people = [u for role in ("instructor", "admin") for u in await records.users(role=role)]
    found = []
    for u in people:
        telegram = await records.external_id(u.id, "telegram")
        if telegram is not None and telegram.isdecimal():
            found.append((int(telegram), u.role, "en" if u.lang == "en" else "zh"))
    known = {chat for chat, _, _ in found}
    return found + [
        (a, "admin", "zh") for a in sorted(core.services.policy.admin_ids) if a not in known
    ]


async def set_menus(bot, people: Sequence[tuple[int, str, Lang]] = ()) -> None:
    try:
        await bot.set_my_commands(commands("trainee", "en"))
        await bot.set_my_commands(commands("trainee", "zh"), language_code="zh")
    except TelegramError:
        log.warning("could not set the command menu", exc_info=True)
    for chat, role, lang in people:
        await set_role_menu(bot, chat, role, lang)


async def set_role_menu(bot, chat_id: int, role: str | None, lang: Lang) -> None:
    """A staff member's menu in their chat; a trainee's (or a removed person's) chat falls back
    to everyone's menu."""
    scope = BotCommandScopeChat(chat_id)
    try:
        if role in ("instructor", "admin"):
            await bot.set_my_commands(commands(role, lang), scope=scope)
        else:
            await bot.delete_my_commands(scope=scope)
    except TelegramError as error:  # e.g. an admin listed in ADMIN_IDS who never wrote
        log.info("no command menu for chat %s: %s", chat_id, error.message)
