"""Instructors' canonical answers, served ahead of retrieval for a question and its paraphrases.

A paraphrase must be very close in meaning (cosine of the bundled query embeddings) and share
most of its terms: "ISO标准制定有几个阶段？" must not match "IEC标准制定有几个阶段？" (0.94),
while "ISO 标准的制定分为哪几个阶段" does (0.99). Thresholds measured on such pairs.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

import numpy as np

from knowledge.answering.embeddings import Embedder
from knowledge.answering.text import terms
from knowledge.records import Canonical

MIN_COSINE = 0.975
MIN_SHARED_TERMS = 0.5  # Jaccard overlap of the two questions' terms


class CanonicalIndex:
    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self._items: list[tuple[Canonical, np.ndarray, frozenset[str]]] = []
        self._lock = threading.Lock()

    def load(self, canonicals: Iterable[Canonical]) -> None:
        items = [self._entry(c) for c in canonicals]
        with self._lock:
            self._items = items

    def add(self, canonical: Canonical) -> None:
        entry = self._entry(canonical)
        with self._lock:
            self._items = [*self._items, entry]

    def match(self, question: str) -> Canonical | None:
        """The newest canonical answer whose question this one paraphrases, if any."""
        items = self._items
        if not items:
            return None
        vector = self.embedder.embed_query(question)
        asked = frozenset(terms(question))
        best: tuple[float, Canonical] | None = None
        for canonical, other, other_terms in items:
            cosine = float(np.dot(vector, other))
            shared = len(asked & other_terms) / max(1, len(asked | other_terms))
            if cosine >= MIN_COSINE and shared >= MIN_SHARED_TERMS:
                if best is None or cosine >= best[0]:
                    best = (cosine, canonical)
        return best[1] if best else None

    def _entry(self, canonical: Canonical) -> tuple[Canonical, np.ndarray, frozenset[str]]:
        vector = self.embedder.embed_query(canonical.question)
        return canonical, vector, frozenset(terms(canonical.question))
