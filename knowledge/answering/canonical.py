"""Instructors' canonical answers, served ahead of retrieval for a question and its paraphrases.

A paraphrase must be very close in meaning (cosine of the bundled query embeddings) and share
most of its terms: "ISO标准制定有几个阶段？" must not match "IEC标准制定有几个阶段？" (0.94),
while "ISO 标准的制定分为哪几个阶段" does (0.99). Thresholds measured on such pairs. Numbers
must be the same: "ISO 9001 证书有效期多久？" is not "ISO 14001 证书有效期多久？", however close.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from knowledge.answering.embeddings import Embedder
from knowledge.answering.text import terms
from knowledge.records import Canonical

MIN_COSINE = 0.975
MIN_SHARED_TERMS = 0.5  # Jaccard overlap of the two questions' terms
_NUMBER = re.compile(r"\d+(?:[.:-]\d+)*")


@dataclass(frozen=True)
class Wording:
    """A question as the paraphrase rule compares it: its query embedding and its terms."""

    vector: np.ndarray
    terms: frozenset[str]
    numbers: frozenset[str] = frozenset()  # a standard's number, a year, a clause


def wording(embedder: Embedder, question: str) -> Wording:
    numbers = frozenset(_NUMBER.findall(question))
    return Wording(embedder.embed_query(question), frozenset(terms(question)), numbers)


def paraphrase(a: Wording, b: Wording) -> float | None:
    """The cosine of two questions when one paraphrases the other (the rule canonical answers
    are matched by, in one place); None when they ask different things."""
    if a.numbers != b.numbers:
        return None
    cosine = float(np.dot(a.vector, b.vector))
    shared = len(a.terms & b.terms) / max(1, len(a.terms | b.terms))
    return cosine if cosine >= MIN_COSINE and shared >= MIN_SHARED_TERMS else None


def group_paraphrases(embedder: Embedder, questions: Sequence[str]) -> list[list[int]]:
    """The questions' indices grouped by what they ask, in order: each question joins the
    first group whose first question it paraphrases, or starts a group of its own."""
    heads: list[Wording] = []
    groups: list[list[int]] = []
    for i, question in enumerate(questions):
        this = wording(embedder, question)
        for head, group in zip(heads, groups, strict=True):
            if paraphrase(this, head) is not None:
                group.append(i)
                break
        else:
            heads.append(this)
            groups.append([i])
    return groups


class CanonicalIndex:
    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self._items: list[tuple[Canonical, Wording]] = []
        self._lock = threading.Lock()

    def load(self, canonicals: Iterable[Canonical]) -> None:
        items = [self._entry(c) for c in canonicals]
        with self._lock:
            self._items = items

    def add(self, canonical: Canonical) -> None:
        entry = self._entry(canonical)
        with self._lock:
            self._items = [*self._items, entry]

    def replace(self, canonical: Canonical) -> None:
        """Serve a reworded canonical answer in place of the one of its id (or after the
        others, if it wasn't served)."""
        entry = self._entry(canonical)
        with self._lock:
            ids = [item[0].id for item in self._items]
            if canonical.id in ids:
                at = ids.index(canonical.id)
                self._items = [*self._items[:at], entry, *self._items[at + 1 :]]
            else:
                self._items = [*self._items, entry]

    def remove(self, canonical_id: int) -> None:
        """Stop serving a canonical answer."""
        with self._lock:
            self._items = [item for item in self._items if item[0].id != canonical_id]

    def match(self, question: str) -> Canonical | None:
        """The newest canonical answer whose question this one paraphrases, if any."""
        items = self._items
        if not items:
            return None
        asked = wording(self.embedder, question)
        best: tuple[float, Canonical] | None = None
        for canonical, other in items:
            cosine = paraphrase(asked, other)
            if cosine is not None and (best is None or cosine >= best[0]):
                best = (cosine, canonical)
        return best[1] if best else None

    def _entry(self, canonical: Canonical) -> tuple[Canonical, Wording]:
        return canonical, wording(self.embedder, canonical.question)
