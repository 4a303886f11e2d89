"""Stage 2, condense: a follow-up ("IEC呢？", "and for IEC?") read with the previous question.

A follow-up is recognised by its cues, never by its length: "Who is Taylor Swift?" after an
ISO question is a new question. Greetings and thanks are small talk, not questions at all.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol

from knowledge.answering.ask import Question

log = logging.getLogger(__name__)

_FOLLOW_UP = re.compile(
    r"^\s*(and\b|and (for|in|what|how)|what about|how about|also\b|same for|那\s*|那么|还有|另外|"
    r"至于|而\s*\S{1,12}[呢？?]|换成|如果是)"
    r"|^\s*\S{1,24}?(呢|呢？|呢\?)\s*$",  # a bare "IEC呢？"
    re.I,
)
_SMALL_TALK = re.compile(
    r"^\s*(hi|hello|hey|good (morning|afternoon|evening)|thanks?( you)?|thank you( very much)?|"
    r"thx|ok(ay)?|bye|goodbye|你好|您好|嗨|哈喽|早上好|下午好|晚上好|谢谢|多谢|谢了|感谢|好的|"
    r"再见|拜拜|辛苦了)\s*(!|！|。|\.|~|啊|呀|老师)*\s*$",
    re.I,
)


def is_follow_up(text: str) -> bool:
    return bool(_FOLLOW_UP.search(text))


def is_small_talk(text: str) -> bool:
    return bool(_SMALL_TALK.match(text))


class Condenser(Protocol):
    async def condense(self, question: Question, history: Sequence[str]) -> Question: ...


class CombineCondenser:
    """Without a model: the follow-up searched together with the question it follows."""

    async def condense(self, question: Question, history: Sequence[str]) -> Question:
        if not history or not is_follow_up(question.text):
            return question
        return replace(question, standalone=f"{history[-1]} {question.text}", follow_up=True)


class Rewriter(Protocol):
    async def condense(self, previous: str, question: str) -> str: ...


class LLMCondenser:
    """The model rewrites a follow-up as a standalone question; on failure, combine."""

    def __init__(self, llm: Rewriter, timeout: float) -> None:
        self.llm, self.timeout = llm, timeout
        self._fallback = CombineCondenser()

    async def condense(self, question: Question, history: Sequence[str]) -> Question:
        if not history or not is_follow_up(question.text):
            return question
        try:
            async with asyncio.timeout(self.timeout):
                text = await self.llm.condense(history[-1], question.text)
            return replace(question, standalone=text, follow_up=True)
        except Exception as error:  # noqa: BLE001 - any model failure falls back
            log.warning("LLM condense failed (%s); combining questions", type(error).__name__)
            return await self._fallback.condense(question, history)
