"""The in-memory side of the library: BM25 postings and second-encoder vectors, per document.

Each active document version is one immutable `Segment` (its chunks, their term postings as
numpy arrays, their vectors). A `Library` is an immutable snapshot of segments: adding or
removing a document makes a new snapshot that shares every other segment, so an upload costs
time in proportion to that document, not to the library, and readers see the old snapshot or
the new one, never a mix. Term statistics (df, average length) are summed over segments.
"""

from __future__ import annotations

import bisect
import math
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from knowledge.answering.models import Chunk
from knowledge.answering.text import terms

K1, B = 1.2, 0.75
Key = tuple[str, str]  # (doc_id, version)


class Vocabulary:
    """Term ids shared by all segments (it only grows: ids stay valid in old snapshots)."""

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}
        self._lock = threading.Lock()

    def get(self, term: str) -> int | None:
        return self._ids.get(term)

    def ids(self, words: Sequence[str]) -> list[int]:
        with self._lock:
            return [self._ids.setdefault(w, len(self._ids)) for w in words]


@dataclass(frozen=True, eq=False)
class Segment:
    """One document version's chunks, their postings (CSR by term id) and vectors."""

    key: Key
    chunks: tuple[Chunk, ...]
    by_id: dict[str, int]
    term_ids: np.ndarray  # sorted distinct term ids
    starts: np.ndarray  # postings of term_ids[j] are rows[starts[j]:starts[j + 1]]
    rows: np.ndarray  # chunk positions in this segment
    tfs: np.ndarray  # the term's count in that chunk
    lengths: np.ndarray  # terms per chunk
    vectors: np.ndarray | None  # second encoder's, row i for chunks[i]

    @classmethod
    def build(
        cls, key: Key, chunks: Sequence[Chunk], vocab: Vocabulary, vectors: np.ndarray | None
    ) -> Segment:
        entries: list[tuple[int, int, int]] = []  # (term id, row, tf)
        lengths = np.zeros(len(chunks), dtype=np.float32)
        for row, chunk in enumerate(chunks):
            counts = Counter(terms(chunk.embedding_text()))
            lengths[row] = sum(counts.values())
            ids = vocab.ids(list(counts))
            entries += [(t, row, tf) for t, tf in zip(ids, counts.values(), strict=True)]
        table = np.array(entries, dtype=np.int64).reshape(-1, 3)
        table = table[np.lexsort((table[:, 1], table[:, 0]))]
        term_ids, starts = np.unique(table[:, 0], return_index=True)
        return cls(
            key,
            tuple(chunks),
            {c.id: i for i, c in enumerate(chunks)},
            term_ids.astype(np.int64),
            np.append(starts, len(table)).astype(np.int64),
            table[:, 1].astype(np.int32),
            table[:, 2].astype(np.float32),
            lengths,
            vectors,
        )

    def postings(self, term_id: int) -> tuple[np.ndarray, np.ndarray] | None:
        j = int(np.searchsorted(self.term_ids, term_id))
        if j == len(self.term_ids) or self.term_ids[j] != term_id:
            return None
        return self.rows[self.starts[j] : self.starts[j + 1]], self.tfs[
            self.starts[j] : self.starts[j + 1]
        ]


class Library:
    """An immutable snapshot of the active segments, searched as one index."""

    def __init__(
        self,
        key: tuple[Key, ...] = (),
        segments: Sequence[Segment] = (),
        vocab: Vocabulary | None = None,
    ) -> None:
        self.key, self.segments = key, tuple(segments)
        self.vocab = vocab or Vocabulary()
        sizes = [len(s.chunks) for s in self.segments]
        self.offsets = [0, *np.cumsum(sizes).tolist()]
        self.size = sum(sizes)
        total = sum(float(s.lengths.sum()) for s in self.segments)
        self.avg_length = total / self.size if self.size else 1.0
        self._by_key = {s.key: s for s in self.segments}
        self._found: dict[str, list[Any]] = {}  # postings of recently asked terms, this snapshot

    def changed(self, key: tuple[Key, ...], added: Sequence[Segment]) -> Library:
        """A snapshot with the segments `key` names: those kept from this one, plus `added`."""
        segments = {**self._by_key, **{s.key: s for s in added}}
        return Library(key, [segments[k] for k in key], self.vocab)

    def missing(self, key: tuple[Key, ...]) -> list[Key]:
        """The document versions `key` names that this snapshot lacks."""
        return [k for k in key if k not in self._by_key]

    # -- chunks ---------------------------------------------------------------------------
    def chunks(self) -> Iterator[Chunk]:
        for segment in self.segments:
            yield from segment.chunks

    def segment(self, key: Key) -> Segment | None:
        return self._by_key.get(key)

    def chunk(self, chunk_id: str) -> Chunk | None:
        """The active chunk of this id (ids are `doc_id:version:ordinal`), or None."""
        doc_id, _, rest = chunk_id.partition(":")
        segment = self._by_key.get((doc_id, rest.partition(":")[0]))
        if segment is None or chunk_id not in segment.by_id:
            return None
        return segment.chunks[segment.by_id[chunk_id]]

    def at(self, position: int) -> Chunk:
        i = bisect.bisect_right(self.offsets, position) - 1
        chunk: Chunk = self.segments[i].chunks[position - self.offsets[i]]
        return chunk

    # -- BM25 -----------------------------------------------------------------------------
    def _postings(self, term: str) -> list[tuple[np.ndarray, np.ndarray, int, Segment]]:
        if term in self._found:
            return self._found[term]
        term_id = self.vocab.get(term)
        out = []
        for segment, offset in zip(self.segments, self.offsets, strict=False):
            found = segment.postings(term_id) if term_id is not None else None
            if found is not None:
                out.append((found[0], found[1], offset, segment))
        if len(self._found) > 20_000:
            self._found.clear()
        self._found[term] = out
        return out

    def df(self, term: str) -> int:
        """How many passages contain the term."""
        return sum(len(rows) for rows, _, _, _ in self._postings(term))

    def idf(self, term: str) -> float:
        return self._idf(self.df(term))

    def _idf(self, df: int) -> float:
        return bm25_idf(self.size, df)

    def bm25(self, query_terms: Sequence[str], k: int) -> list[tuple[int, float]]:
        """(position, score) of the best k passages for these terms."""
        if not self.size:
            return []
        scores = np.zeros(self.size, dtype=np.float32)
        for term in set(query_terms):
            found = self._postings(term)
            idf = self._idf(sum(len(rows) for rows, _, _, _ in found))
            for rows, tfs, offset, segment in found:
                norm = K1 * (1 - B + B * segment.lengths[rows] / self.avg_length)
                scores[offset + rows] += idf * tfs * (K1 + 1) / (tfs + norm)
        hits = np.flatnonzero(scores)
        if len(hits) > k:
            hits = hits[np.argpartition(-scores[hits], k)[:k]]
        best = hits[np.lexsort((hits, -scores[hits]))]  # ties: the earlier passage first
        return [(int(i), float(scores[i])) for i in best]

    # -- second encoder -------------------------------------------------------------------
    def similarities(self, vector: np.ndarray) -> np.ndarray | None:
        """Cosine under the second encoder of every passage, by position (None: no vectors)."""
        vectors = [s.vectors for s in self.segments]
        if not vectors or any(v is None for v in vectors):
            return None
        return np.concatenate([v @ vector for v in vectors if v is not None])


def bm25_idf(size: int, df: int) -> float:
    """BM25's weight of a term found in `df` of `size` passages."""
    return math.log(1 + (size - df + 0.5) / (df + 0.5))
