"""BM25 over CJK-aware terms, rebuilt in memory from the stored chunks."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence

from knowledge.answering.text import terms


class BM25:
    def __init__(self, documents: Sequence[str], k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.size = len(documents)
        self._postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self._lengths: list[int] = []
        for index, text in enumerate(documents):
            counts = Counter(terms(text))
            self._lengths.append(sum(counts.values()))
            for term, tf in counts.items():
                self._postings[term].append((index, tf))
        self._avg = (sum(self._lengths) / self.size) if self.size else 1.0

    def idf(self, term: str) -> float:
        df = len(self._postings.get(term, ()))
        return math.log(1 + (self.size - df + 0.5) / (df + 0.5))

    def search(self, query_terms: Sequence[str], k: int) -> list[tuple[int, float]]:
        """(document index, score) of the best k documents for these terms."""
        scores: dict[int, float] = defaultdict(float)
        for term in set(query_terms):
            idf = self.idf(term)
            for index, tf in self._postings.get(term, ()):
                norm = self.k1 * (1 - self.b + self.b * self._lengths[index] / self._avg)
                scores[index] += idf * tf * (self.k1 + 1) / (tf + norm)
        return sorted(scores.items(), key=lambda item: -item[1])[:k]

    def df(self, term: str) -> int:
        """How many passages contain the term."""
        return len(self._postings.get(term, ()))
