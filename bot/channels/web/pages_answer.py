"""Try an answer: ask as a trainee would and see the answer, the passages retrieved and the
gate's decision with its signals. It runs the production stages (`trace`) and the tutor's own
gate; nothing is logged."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace

from aiohttp import web

from bot.channels.web.auth import guard
from bot.channels.web.base import console, render
from bot.flows.canonicals import keep_current
from knowledge.answering.gate import Decision, Evidence
from knowledge.answering.models import Citation
from knowledge.answering.tutor import Trace, trace
from knowledge.errors import BadQuestion
from knowledge.records import Canonical


@dataclass(frozen=True)
class Signal:
    name: str
    value: float
    weight: float | None


@dataclass(frozen=True)
class Tried:
    trace: Trace
    decision: Decision
    signals: list[Signal]
    cited: list[Citation]
    further: list[Citation]
    given: frozenset[str]  # ids of the passages the writer was given
    canonical: Canonical | None


@guard("instructor")
async def try_answer(request: web.Request) -> web.StreamResponse:
    """GET /try?q=…: no side effects, so a plain GET (the page can be bookmarked)."""
    question = request.query.get("q", "").strip()
    tried, error = None, ""
    if question:
        try:
            tried = await _try(request, question)
        except BadQuestion as bad:
            error = str(bad)
    return render(request, "try.html", q=question, tried=tried, error=error)


async def _try(request: web.Request, question: str) -> Tried:
    services = console(request).core.services
    tutor = services.tutor
    traced = await trace(tutor, question)
    k = tutor.retriever.settings.passages
    top = replace(traced.retrieved, passages=traced.retrieved.passages[:k])
    decision = await asyncio.to_thread(tutor.gate.decide, top)  # what the tutor's gate saw
    await keep_current(services)  # what the bot would serve, if it changed elsewhere
    canonical = await asyncio.to_thread(services.canonical.match, question)
    answer = traced.answer
    cited = [c for c in answer.citations if f"[{c.n}]" in answer.answer]
    further = [c for c in answer.citations if c not in cited]
    given = frozenset(p.chunk.id for p in answer.passages)
    signals = _signals(decision.evidence, getattr(tutor.gate, "weights", None))
    return Tried(traced, decision, signals, cited, further, given, canonical)


def _signals(evidence: Evidence | None, weights: tuple[float, ...] | None) -> list[Signal]:
    """Each feature the gate weighs (as it weighs it), with its weight when the gate has one."""
    if evidence is None:
        return []
    features = evidence.features()
    if weights is None or len(weights) != len(features):
        return [Signal(n, v, None) for n, v in zip(Evidence.NAMES, features, strict=False)]
    return [Signal(n, v, w) for n, v, w in zip(Evidence.NAMES, features, weights, strict=True)]


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/try", try_answer)
