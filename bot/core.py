"""The chat core: turns neutral events into neutral replies; every channel shares it."""

from __future__ import annotations

import logging
from collections import defaultdict, deque
from collections.abc import AsyncIterator

from bot.events import Incoming, Partial, Reply
from knowledge.errors import BadQuestion
from knowledge.models import Answer, Lang
from knowledge.text import detect_lang
from knowledge.tutor import Delta, Tutor

log = logging.getLogger(__name__)

HELP = {
    "zh": "你好！我是标准化学习助手。直接输入问题（中文或英文），我会从课程资料中找答案并注明出处。"
    "资料里没有的内容，我会如实告诉你。",
    "en": "Hi! I'm Standards Tutor. Ask a question in Chinese or English and I'll answer from "
    "the course materials, with sources. If the materials don't say, I'll tell you so.",
}
FAILED = {
    "zh": "抱歉，这次没能回答，请稍后再试。",
    "en": "Sorry, something went wrong while answering. Please try again in a moment.",
}


class ChatCore:
    def __init__(self, tutor: Tutor, history_size: int = 3) -> None:
        self.tutor = tutor
        self._history: dict[str, deque[str]] = defaultdict(lambda: deque(maxlen=history_size))

    async def respond(self, event: Incoming) -> AsyncIterator[Partial | Reply]:
        """Partials while an answer is being written, then the final reply (always last)."""
        lang: Lang = event.lang or (detect_lang(event.text) if event.text.strip() else "zh")
        if event.command in ("start", "help"):
            yield Reply(HELP[lang], lang=lang, kind="info")
            return
        if event.command:
            yield Reply(_unknown_command(event.command, lang), lang=lang, kind="error")
            return
        try:
            async for item in self._answer(event):
                yield item
        except BadQuestion as error:
            yield Reply(str(error), lang=lang, kind="error")
        except Exception:
            log.exception("answering failed for user %s", event.user_id)
            yield Reply(FAILED[lang], lang=lang, kind="error")

    async def _answer(self, event: Incoming) -> AsyncIterator[Partial | Reply]:
        history = self._history[event.user_id]
        written = ""
        async for item in self.tutor.stream(event.text, tuple(history)):
            if isinstance(item, Delta):
                written += item.text
                yield Partial(written)
            elif isinstance(item, Answer):
                history.append(item.question)
                yield Reply(item.answer, item.citations, item.abstained, item.lang)


def _unknown_command(command: str, lang: Lang) -> str:
    if lang == "zh":
        return f"不认识的命令 /{command}。输入 /help 查看用法。"
    return f"Unknown command /{command}. Type /help to see what I can do."
