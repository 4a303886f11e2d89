"""Ask the materials: retrieval, then an LLM answer (if configured) or an extractive one."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from knowledge.answers import REFUSAL, ExtractiveWriter
from knowledge.errors import BadQuestion
from knowledge.llm import LLMWriter, finish
from knowledge.models import Answer, Lang
from knowledge.retrieval import Retriever
from knowledge.text import detect_lang, terms

log = logging.getLogger(__name__)

_FOLLOW_UP = re.compile(
    r"^\s*(and\b|what about|how about|also\b|then\b|same for|那|那么|还有|另外|而|至于|对于)"
    r"|呢[？?]?\s*$",
    re.I,
)


@dataclass(frozen=True)
class Delta:
    """A piece of an answer that is still being written."""

    text: str


class Tutor:
    def __init__(
        self,
        retriever: Retriever,
        writer: ExtractiveWriter,
        llm: LLMWriter | None = None,
        llm_timeout: float = 20.0,
        max_question_chars: int = 1000,
        passages: int = 5,
    ) -> None:
        self.retriever, self.writer, self.llm = retriever, writer, llm
        self.llm_timeout = llm_timeout
        self.max_question_chars = max_question_chars
        self.passages = passages

    async def answer(self, question: str, history: Sequence[str] = ()) -> Answer:
        """The whole answer at once."""
        final: Answer | None = None
        async for event in self.stream(question, history):
            if isinstance(event, Answer):
                final = event
        assert final is not None
        return final

    async def stream(
        self, question: str, history: Sequence[str] = ()
    ) -> AsyncIterator[Delta | Answer]:
        """Deltas while an LLM writes, then the final, checked Answer (always last)."""
        started = time.perf_counter()
        question = self._check(question)
        lang = detect_lang(question)
        query = await self._standalone(question, history)
        analysed = self.retriever.analyse(query)
        passages = await asyncio.to_thread(
            self.retriever.search, query, lang, self.passages, analysed
        )
        extractive = self.writer.write(question, lang, passages, analysed)
        final = extractive
        if self.llm is not None and not extractive.abstained:  # same evidence, decided once
            written: list[str] = []
            try:
                async with asyncio.timeout(self.llm_timeout):
                    async for delta in self.llm.stream(question, lang, passages):
                        written.append(delta)
                        yield Delta(delta)
                checked = finish(question, lang, passages, "".join(written))
                if checked is not None and checked.abstained:
                    checked.answer = REFUSAL[lang]
                final = checked or extractive
            except Exception as error:  # noqa: BLE001 - any model failure falls back
                log.warning("LLM answer failed (%s); using the extractive answer", _describe(error))
        final.ms = (time.perf_counter() - started) * 1000
        yield final

    def _check(self, question: str) -> str:
        question = " ".join(question.split())
        lang: Lang = detect_lang(question) if question else "zh"
        if not question:
            raise BadQuestion({"zh": "请先输入一个问题。", "en": "Please type a question."}[lang])
        if len(question) > self.max_question_chars:
            limit = self.max_question_chars
            raise BadQuestion(
                {
                    "zh": f"问题太长了（{len(question)} 字）。请把问题缩短到 {limit} 字以内。",
                    "en": f"That question is too long ({len(question)} characters); "
                    f"please keep it under {limit}.",
                }[lang]
            )
        return question

    async def _standalone(self, question: str, history: Sequence[str]) -> str:
        """A follow-up ("and for IEC?") read in the light of the previous question."""
        if not history or not is_follow_up(question):
            return question
        previous = history[-1]
        if self.llm is not None:
            try:
                async with asyncio.timeout(self.llm_timeout):
                    return await self.llm.condense(previous, question)
            except Exception as error:  # noqa: BLE001
                log.warning("LLM condense failed (%s); combining questions", _describe(error))
        return f"{previous} {question}"


def is_follow_up(question: str) -> bool:
    return bool(_FOLLOW_UP.search(question)) or len(set(terms(question))) <= 2


def _describe(error: BaseException) -> str:
    """The error's kind only: messages from HTTP clients can carry URLs and headers."""
    return type(error).__name__
