"""Is there enough evidence to answer? A small logistic model over retrieval signals.

The weights were fitted on both dev sets together (our course pack, `evals/devset.jsonl`, and
the real-document corpus in `shared/devcorpus`), out-of-scope and in-scope questions weighted
equally; `python -m bench.calibrate` refits them and prints each set's refusal rates for a
range of thresholds. The threshold trades refusing out-of-scope questions against refusing
answerable ones; BENCHMARKS.md records the figures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from knowledge.models import Lang, Passage
from knowledge.query import Query
from knowledge.text import terms

# feature order: bias, dense, lexical, union, unknown, shape, cross_language
WEIGHTS = (-1.186, 0.020, 1.414, 1.781, -1.007, 0.085, 0.264)
THRESHOLD = 0.40


@dataclass(frozen=True)
class Evidence:
    dense: float  # best cosine similarity among the top passages
    lexical: float  # best share of the question found in one passage
    union: float  # share of the question found across the top passages together
    unknown: float  # share of the question the materials never mention
    shape: float  # +1 an answer-shaped sentence is there, -1 expected but absent, 0 n/a
    cross: float  # 1 when the best passage is in the other language

    def features(self) -> tuple[float, ...]:
        # Cosine similarities of this model sit in a narrow band (0.8-0.95): centre and
        # scale them so their weight is on the same footing as the shares.
        dense = (self.dense - 0.88) * 20
        return (1.0, dense, self.lexical, self.union, self.unknown, self.shape, self.cross)

    def probability(self, weights: tuple[float, ...] = WEIGHTS) -> float:
        z = sum(w * x for w, x in zip(weights, self.features(), strict=True))
        return 1 / (1 + math.exp(-z))


def gather(query: Query, lang: Lang, passages: list[Passage], top: int = 3) -> Evidence:
    best = passages[:top]
    if not best:
        return Evidence(0.0, 0.0, 0.0, query.unknown, -1.0 if query.shapes else 0.0, 0.0)
    joined = "\n".join(p.chunk.text for p in best)
    shape = 0.0
    if query.shapes:
        shape = 1.0 if query.shape_match(joined) else -1.0
    return Evidence(
        dense=max(p.dense for p in best),
        lexical=max(p.lexical for p in best),
        union=query.coverage(joined, frozenset(terms(joined))),
        unknown=query.unknown,
        shape=shape,
        cross=1.0 if best[0].chunk.lang != lang else 0.0,
    )


def should_abstain(query: Query, lang: Lang, passages: list[Passage]) -> bool:
    """True when the retrieved passages are not good enough evidence for an answer."""
    return not passages or gather(query, lang, passages).probability() < THRESHOLD
