"""The answering pipeline, its stages in the order they run:

1. ask        normalise the question, decide its language once     (ask.py)
2. condense   read a follow-up with the previous question          (condense.py)
3. retrieve   refresh, analyse and search in one call              (retrieval.py)
4. gate       answer or refuse, from the evidence                  (gate.py)
5. write      extractive sentences, or an LLM's checked text       (write/)

Greetings and thanks stop after stage 2 with a friendly line. `stdtutor eval` and
`bench/calibrate.py` run exactly these stages.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from knowledge.answering.ask import ask
from knowledge.answering.condense import (
    CombineCondenser,
    Condenser,
    LLMCondenser,
    is_small_talk,
)
from knowledge.answering.gate import EvidenceGate, Gate
from knowledge.answering.models import Answer
from knowledge.answering.retrieval import Retrieved, RetrieverPort
from knowledge.answering.write import Writer
from knowledge.answering.write.extractive import refusal
from knowledge.vocabulary import Lang

if TYPE_CHECKING:  # LangChain is imported only when an LLM writes (extractive mode starts faster)
    from knowledge.answering.write.llm import LLMWriter

log = logging.getLogger(__name__)

SMALL_TALK = {
    "zh": "你好！我是标准化学习助手，可以回答课程资料里的问题，"
    "例如“ISO国际标准的制定分哪几个阶段？”或“强制性国家标准由谁批准发布？”，"
    "也可以用 /quiz 做个小测验。",
    "en": 'Hello! I answer questions from the course materials, for example "What are the stages '
    'of ISO standard development?" or "Who approves mandatory national standards?", and '
    "/quiz gives you a short quiz.",
}


@dataclass(frozen=True)
class Delta:
    """A piece of an answer that is still being written."""

    text: str


class Tutor:
    def __init__(
        self,
        retriever: RetrieverPort,  # `Retriever`, or the in-memory `TermRetriever` in tests
        writer: Writer,  # `ExtractiveWriter`, or the fake `QuoteWriter` in tests
        llm: LLMWriter | None = None,
        llm_timeout: float = 20.0,
        max_question_chars: int = 1000,
        condenser: Condenser | None = None,
        gate: Gate | None = None,
    ) -> None:
        self.retriever, self.writer, self.llm = retriever, writer, llm
        self.llm_timeout = llm_timeout
        self.max_question_chars = max_question_chars
        if condenser is None:
            condenser = LLMCondenser(llm, llm_timeout) if llm else CombineCondenser()
        self.condenser = condenser
        self.gate = gate or EvidenceGate()

    async def answer(
        self, question: str, history: Sequence[str] = (), lang: Lang | None = None
    ) -> Answer:
        """The whole answer at once."""
        final: Answer | None = None
        async for event in self.stream(question, history, lang):
            if isinstance(event, Answer):
                final = event
        assert final is not None
        return final

    async def stream(
        self, question: str, history: Sequence[str] = (), lang: Lang | None = None
    ) -> AsyncIterator[Delta | Answer]:
        """Deltas while an LLM writes, then the final, checked Answer (always last)."""
        started = time.perf_counter()
        asked = ask(question, self.max_question_chars, lang)
        final: Answer | None = None
        if is_small_talk(asked.text):
            final = Answer(
                asked.text, SMALL_TALK[asked.lang], False, asked.lang, written_by="small_talk"
            )
        else:
            condensed = await self.condenser.condense(asked, history)
            retrieved = await asyncio.to_thread(self.retriever.retrieve, condensed)
            async for event in self._write(retrieved):
                if isinstance(event, Answer):
                    final = event
                else:
                    yield event
        assert final is not None
        yield replace(final, ms=(time.perf_counter() - started) * 1000)

    async def _write(self, retrieved: Retrieved) -> AsyncIterator[Delta | Answer]:
        q = retrieved.question
        decision = self.gate.decide(retrieved)
        if not decision.answer:
            yield replace(
                refusal(q.text, q.lang, retrieved.passages), probability=decision.probability
            )
            return
        extractive = replace(self.writer.write(retrieved), probability=decision.probability)
        if self.llm is None:
            yield extractive
            return
        from knowledge.answering.write.llm import context, finish

        passages = context(retrieved)
        written: list[str] = []
        try:
            async with asyncio.timeout(self.llm_timeout):
                async for delta in self.llm.stream(q.text, q.lang, passages):
                    written.append(delta)
                    yield Delta(delta)
            checked = finish(q.text, q.lang, passages, "".join(written))
            yield replace(checked, probability=decision.probability) if checked else extractive
        except Exception as error:  # noqa: BLE001 - any model failure falls back
            log.warning("LLM answer failed (%s); using the extractive answer", type(error).__name__)
            yield extractive


@dataclass(frozen=True)
class Trace:
    """One question through every stage, for `stdtutor eval`: what retrieval found (top 20),
    what the writer was given, and the answer."""

    answer: Answer
    retrieved: Retrieved

    def to_json(self) -> dict[str, Any]:
        return {
            **self.answer.to_json(),
            "retrieved": [p.chunk.text for p in self.retrieved.passages],
            "context": [p.chunk.text for p in self.answer.passages],
        }


async def trace(tutor: Tutor, question: str, history: Sequence[str] = (), depth: int = 20) -> Trace:
    """The production stages, with retrieval's list kept deeper for measuring."""
    started = time.perf_counter()
    asked = ask(question, tutor.max_question_chars)
    condensed = await tutor.condenser.condense(asked, history)
    deep = await asyncio.to_thread(tutor.retriever.retrieve, condensed, depth)
    k = tutor.retriever.settings.passages
    final: Answer | None = None
    async for event in tutor._write(replace(deep, passages=deep.passages[:k])):
        if isinstance(event, Answer):
            final = event
    assert final is not None
    return Trace(replace(final, ms=(time.perf_counter() - started) * 1000), deep)
