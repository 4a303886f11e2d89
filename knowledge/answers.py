"""Grounded extractive answers: the few retrieved paragraphs that answer, each cited.

Without an LLM nothing is written that is not in the materials: the answer is made of
paragraphs (or, when long, sentences) from the retrieved passages, each group followed by its
citation number.
"""

from __future__ import annotations

from dataclasses import dataclass

from knowledge.evidence import should_abstain
from knowledge.models import Answer, Citation, Lang, Passage
from knowledge.query import Concept, Query
from knowledge.text import has_cjk, sentences, terms

REFUSAL = {
    "zh": "课程资料里没有找到这个问题的答案，我不想凭空猜测。需要的话，我可以把问题转给老师。",
    "en": "The course materials don't cover this, and I won't guess. "
    "I can pass your question to an instructor if you like.",
}
FOREIGN_SOURCE = {"zh": "（以下摘自英文资料）", "en": "(Quoted from the Chinese materials) "}


@dataclass(frozen=True)
class AnswerSettings:
    read_passages: int = 3
    # About a phone screen: Chinese packs about twice the meaning per character.
    max_chars_zh: int = 280
    max_chars_en: int = 560
    max_citations: int = 3

    def limit(self, lang: Lang) -> int:
        return self.max_chars_zh if lang == "zh" else self.max_chars_en


def refusal(question: str, lang: Lang, passages: list[Passage] | None = None) -> Answer:
    return Answer(question, REFUSAL[lang], True, lang, [], passages=passages or [])


@dataclass(frozen=True)
class _Candidate:
    """A paragraph of a retrieved passage (a list item, an article of a law, ...)."""

    passage_rank: int
    position: int
    text: str
    terms: frozenset[str]


class ExtractiveWriter:
    def __init__(self, settings: AnswerSettings | None = None) -> None:
        self.settings = settings or AnswerSettings()

    def write(self, question: str, lang: Lang, passages: list[Passage], query: Query) -> Answer:
        """Pick the paragraphs that answer each part of the question, cite them, keep it short."""
        if should_abstain(query, lang, passages):
            return refusal(question, lang, passages)
        candidates = _paragraphs(passages[: self.settings.read_passages])
        # A question in two parts deserves up to half a screen more for its second part.
        budget = int(self.settings.limit(lang) * min(1.5, 1 + 0.5 * (len(query.clauses) - 1)))
        chosen: list[_Candidate] = []
        for i, clause in enumerate(query.clauses):
            best = max(candidates, key=lambda c: _score(c, clause, query), default=None)
            if best is None or best in chosen or (chosen and _score(best, clause, query) < 0.35):
                continue
            later = len(query.clauses) - i - 1  # leave each later part of the question room
            best = _trim(best, clause, query, max(budget - 60 * later, 60))
            chosen.append(best)
            budget -= len(best.text)
        chosen += _following(chosen, candidates, budget)
        return self._compose(question, lang, passages, chosen, self.settings.limit(lang) * 2)

    def _compose(
        self,
        question: str,
        lang: Lang,
        passages: list[Passage],
        chosen: list[_Candidate],
        cap: int,
    ) -> Answer:
        order = sorted(chosen, key=lambda c: (c.passage_rank, c.position))
        numbers: dict[int, int] = {}
        parts: list[str] = []
        for rank in dict.fromkeys(c.passage_rank for c in order):
            numbers[rank] = len(numbers) + 1
            group = [c.text for c in order if c.passage_rank == rank]
            joiner = "" if has_cjk(group[0]) else " "
            text = _shorten(joiner.join(group), cap)
            prefix = FOREIGN_SOURCE[lang] if passages[rank].chunk.lang != lang else ""
            parts.append(f"{prefix}{text} [{numbers[rank]}]")
        # Further retrieved passages from other places are listed as sources too.
        for rank, passage in enumerate(passages):
            if len(numbers) >= self.settings.max_citations:
                break
            if rank not in numbers and passage.chunk.doc_id not in {
                passages[r].chunk.doc_id for r in numbers
            }:
                numbers[rank] = len(numbers) + 1
        citations = [citation(n, passages[rank]) for rank, n in numbers.items()]
        return Answer(question, "\n".join(parts), False, lang, citations, passages=passages)


def _paragraphs(passages: list[Passage]) -> list[_Candidate]:
    return [
        _Candidate(rank, position, text, frozenset(terms(text)))
        for rank, passage in enumerate(passages)
        for position, text in enumerate(p.strip() for p in passage.chunk.text.split("\n"))
        if len(text) >= 6
    ]


def _score(candidate: _Candidate, clause: list[Concept], query: Query) -> float:
    """How well a paragraph or sentence answers one part of the question."""
    lower = candidate.text.lower()
    weight = sum(c.weight for c in clause) or 1.0
    covered = sum(c.weight for c in clause if c.found_in(lower, candidate.terms)) / weight
    shape = 0.3 if query.shape_match(candidate.text) else 0.0
    return covered + shape + 0.15 / (1 + candidate.passage_rank)


def _trim(paragraph: _Candidate, clause: list[Concept], query: Query, limit: int) -> _Candidate:
    """A paragraph over the limit shrinks to its best sentence and what follows it."""
    if len(paragraph.text) <= limit:
        return paragraph
    parts = sentences(paragraph.text)
    scored = [_Candidate(paragraph.passage_rank, 0, t, frozenset(terms(t))) for t in parts]
    start = max(range(len(parts)), key=lambda i: _score(scored[i], clause, query), default=0)
    joiner = "" if has_cjk(paragraph.text) else " "
    text = parts[start] if parts else paragraph.text
    for following in parts[start + 1 :]:
        if len(text) + len(following) > limit:
            break
        text = f"{text}{joiner}{following}"
    return _Candidate(paragraph.passage_rank, paragraph.position, text, frozenset(terms(text)))


def _following(
    chosen: list[_Candidate], candidates: list[_Candidate], budget: int
) -> list[_Candidate]:
    """A lead-in ("The four partners are:") only echoes the question; the answer follows it."""
    if len(chosen) != 1 or budget < 40:
        return []
    lead = chosen[0]
    taken: list[_Candidate] = []
    for candidate in candidates:
        same_passage = candidate.passage_rank == lead.passage_rank
        if not same_passage or candidate.position <= lead.position:
            continue
        if len(candidate.text) > budget or len(taken) == 4:
            break
        taken.append(candidate)
        budget -= len(candidate.text)
        if not lead.text.rstrip().endswith((":", "：")) and len(taken) == 1:
            break  # a plain paragraph gets one more for context, a list gets its items
    return taken


def citation(n: int, passage: Passage) -> Citation:
    chunk = passage.chunk
    return Citation(n, chunk.doc, chunk.title, chunk.section, chunk.page, _shorten(chunk.text, 160))


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
