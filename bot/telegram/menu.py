"""The command menu, in English (the default) and Chinese (for users with a Chinese Telegram)."""

from __future__ import annotations

import logging

from telegram import BotCommand
from telegram.error import TelegramError

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


async def set_menus(bot) -> None:
    try:
        await bot.set_my_commands([BotCommand(c, en) for c, _, en in COMMANDS])
        await bot.set_my_commands([BotCommand(c, zh) for c, zh, _ in COMMANDS], language_code="zh")
    except TelegramError:
        log.warning("could not set the command menu", exc_info=True)
