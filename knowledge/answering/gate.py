"""Stage 4, gate: answer or refuse, decided from the evidence before any writer runs.

A small logistic model over retrieval signals that work across languages (a Chinese question
over an English passage shares no words with it, so the encoders' similarities count too).
`python -m bench.calibrate` refits it on two dev sets, reports it on the third, and prints the
weights to paste here; BENCHMARKS.md records the figures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from knowledge.answering.query import Query
from knowledge.answering.retrieval import Retrieved, Vectors
from knowledge.answering.text import terms, word_set
from knowledge.answering.write.extractive import SENTENCE_WEIGHTS, best_sentences

# feature order: see Evidence.features
WEIGHTS = (
    -2.407,
    0.312,
    1.322,
    1.217,
    -0.313,
    -0.468,
    1.08,
    1.494,
    0.205,
    0.042,
    0.673,
    1.05,
)
THRESHOLD = 0.40
CLOSE_WORD = 0.6  # cosine of two words that mean about the same (USE, across languages)


@dataclass(frozen=True)
class Evidence:
    dense: float  # best e5 cosine similarity among the top passages
    lexical: float  # best share of the question found in one passage
    union: float  # share of the question found across the top passages together
    unknown: float  # share of the question the materials never mention
    shape: float  # +1 a likeliest sentence has the asked shape, -1 none has, 0 nothing asked
    cross: float  # 1 when the best passage is in the other language
    second: float  # best cosine similarity under the cross-language encoder
    sentence: float  # the sentence scorer's best likelihood: is one sentence an answer?
    soft: float = 0.0  # the question's concepts' closest words in the passages (see soft)
    soft_found: float = 0.0  # share of its concepts with a close word there

    NAMES = (
        "bias", "dense", "lexical", "union", "unknown", "shape", "cross", "second", "sentence",
        "cross*second", "soft", "soft_found",
    )  # fmt: skip

    def features(self) -> tuple[float, ...]:
        # Cosine similarities sit in narrow bands: centre and scale them so their weight is
        # on the same footing as the shares.
        dense = (self.dense - 0.88) * 20
        second = (self.second - 0.45) * 5
        return (
            1.0, dense, self.lexical, self.union, self.unknown, self.shape, self.cross, second,
            self.sentence, self.cross * second,  # across languages the encoder is the witness
            self.soft, self.soft_found,
        )  # fmt: skip

    def probability(self, weights: tuple[float, ...] = WEIGHTS) -> float:
        z = sum(w * x for w, x in zip(weights, self.features(), strict=True))
        return 1 / (1 + math.exp(-z))


def gather(
    retrieved: Retrieved, top: int = 3, sentence_weights: tuple[float, ...] = SENTENCE_WEIGHTS
) -> Evidence:
    query, lang, passages = retrieved.query, retrieved.question.lang, retrieved.passages
    best = passages[:top]
    if not best:
        return Evidence(
            0.0, 0.0, 0.0, query.unknown, -1.0 if query.shapes else 0.0, 0.0, 0.0, 0.0
        )  # fmt: skip
    joined = "\n".join(p.chunk.text for p in best)
    likeliest = best_sentences(retrieved, weights=sentence_weights)
    shape = 0.0  # is a sentence of the asked shape among the likeliest? (near misses: no)
    if query.shapes:
        shape = 1.0 if any(query.shape_match(s.text) for _, s in likeliest) else -1.0
    soft_mean, soft_found = soft(query, joined, retrieved.words)
    return Evidence(
        dense=max(p.dense for p in best),
        lexical=max(p.lexical for p in best),
        union=query.coverage(joined, frozenset(terms(joined))),
        unknown=query.unknown,
        shape=shape,
        cross=1.0 if best[0].chunk.lang != lang else 0.0,
        second=max(p.second for p in best),
        sentence=likeliest[0][0] if likeliest else 0.0,
        soft=soft_mean,
        soft_found=soft_found,
    )


def soft(query: Query, text: str, vectors: Vectors | None) -> tuple[float, float]:
    """How much of the question the passages say in words of either language: each of the
    question's concepts against its closest word of `text` under the cross-language encoder
    (a Chinese question over an English clause shares no words with it, but 处罚 sits near
    "penalty"). The weighted mean of those cosines, and the share of concepts with one of at
    least CLOSE_WORD."""
    concepts = [c for c in query.concepts if c.label]
    found = sorted(word_set(text))
    if vectors is None or not concepts or not found:
        return 0.0, 0.0
    asked = vectors([c.label for c in concepts], True)
    closest = (asked @ vectors(found, False).T).max(axis=1)
    weight = np.array([c.weight for c in concepts])
    return float(closest @ weight / weight.sum()), float(np.mean(closest >= CLOSE_WORD))


@dataclass(frozen=True)
class Decision:
    answer: bool
    probability: float
    evidence: Evidence | None = None


class Gate(Protocol):
    def decide(self, retrieved: Retrieved) -> Decision: ...


class EvidenceGate:
    def __init__(
        self,
        weights: tuple[float, ...] = WEIGHTS,
        threshold: float = THRESHOLD,
        sentence_weights: tuple[float, ...] = SENTENCE_WEIGHTS,
    ):
        self.weights, self.threshold, self.sentence_weights = weights, threshold, sentence_weights

    def decide(self, retrieved: Retrieved) -> Decision:
        if not retrieved.passages:
            return Decision(False, 0.0)
        evidence = gather(retrieved, sentence_weights=self.sentence_weights)
        p = evidence.probability(self.weights)
        return Decision(p >= self.threshold, p, evidence)


class AlwaysAnswer:
    """The trivial gate: answer whenever anything was retrieved."""

    def decide(self, retrieved: Retrieved) -> Decision:
        return Decision(bool(retrieved.passages), 1.0 if retrieved.passages else 0.0)
