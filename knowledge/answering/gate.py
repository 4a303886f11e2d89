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

from knowledge.answering.retrieval import Retrieved
from knowledge.answering.text import terms
from knowledge.answering.write.extractive import SENTENCE_WEIGHTS, best_sentences

# feature order: see Evidence.features
WEIGHTS = (-1.173, 0.572, 1.288, 1.262, -0.399, -0.36, 0.98, 1.285, 0.189, 0.294)
THRESHOLD = 0.40


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

    NAMES = (
        "bias", "dense", "lexical", "union", "unknown", "shape", "cross", "second", "sentence",
        "cross*second",
    )  # fmt: skip

    def features(self) -> tuple[float, ...]:
        # Cosine similarities sit in narrow bands: centre and scale them so their weight is
        # on the same footing as the shares.
        dense = (self.dense - 0.88) * 20
        second = (self.second - 0.45) * 5
        return (
            1.0, dense, self.lexical, self.union, self.unknown, self.shape, self.cross, second,
            self.sentence, self.cross * second,  # across languages the encoder is the witness
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
    return Evidence(
        dense=max(p.dense for p in best),
        lexical=max(p.lexical for p in best),
        union=query.coverage(joined, frozenset(terms(joined))),
        unknown=query.unknown,
        shape=shape,
        cross=1.0 if best[0].chunk.lang != lang else 0.0,
        second=max(p.second for p in best),
        sentence=likeliest[0][0] if likeliest else 0.0,
    )


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
