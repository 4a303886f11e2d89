"""Stage 3, retrieve: refresh, analyse and search as one call.

Three ranked lists fused by rank (RRF): e5 in Chroma (with extra candidates from the other
language), the multilingual USE encoder in memory (finds the right document across
languages), and BM25 over jieba/stemmed terms (exact terms and numbers).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from knowledge.answering.ask import Question
from knowledge.answering.embeddings import CachedEmbedder, Embedder
from knowledge.answering.glossary import Glossary
from knowledge.answering.lexical import BM25
from knowledge.answering.models import Chunk, Passage
from knowledge.answering.query import Query, analyse
from knowledge.answering.store import ChunkStore
from knowledge.answering.text import terms
from knowledge.vocabulary import Lang

Similarity = Callable[[Sequence[str]], np.ndarray]
_RRF_K = 60
# Questions about terms themselves ("…英文怎么说", "what's the Chinese for …") are the ones a
# glossary answers; for every other question its rows would only crowd out explanations.
_TERMINOLOGY = re.compile(
    r"英文|中文|英语|汉语|怎么说|叫什么|术语|全称|缩写|翻译|english|chinese|\bterm\b|translat|"
    r"abbreviat|stand for|stands for",
    re.I,
)


@dataclass(frozen=True)
class RetrievalSettings:
    candidates: int = 20  # per list
    passages: int = 10  # handed on to the gate and the writer
    other_language: int = 8  # extra dense candidates from the other language
    refresh_seconds: float = 5.0


class Retriever:
    def __init__(
        self,
        store: ChunkStore,
        embedder: Embedder,
        glossary: Glossary,
        settings: RetrievalSettings | None = None,
        second: CachedEmbedder | None = None,
    ) -> None:
        self.store, self.embedder, self.glossary = store, embedder, glossary
        self.second = second  # ranked in memory over the same chunks
        self.settings = settings or RetrievalSettings()
        self._lock = threading.Lock()
        self._checked = 0.0
        self._index = _Index.build((), [])

    def refresh(self, force: bool = False) -> None:
        """Rebuild the in-memory lexical index when the catalog changed (e.g. another process)."""
        now = time.monotonic()
        if not force and now - self._checked < self.settings.refresh_seconds:
            return
        with self._lock:
            self._checked = now
            key = self._catalog_key()
            if key == self._index.key and not force:
                return
            # A replace switches the catalog before it deletes the old chunks, so chunks read
            # between two equal catalog reads belong to exactly the versions the catalog named.
            for _ in range(20):
                chunks = self.store.active_chunks([version for _, version in key])
                again = self._catalog_key()
                if again == key:
                    break
                key = again
            vectors = None
            if self.second is not None and chunks:
                vectors = self.second.embed_passages([c.embedding_text() for c in chunks])
            self._index = _Index.build(key, chunks, vectors)  # readers see old or new

    def _catalog_key(self) -> tuple[tuple[str, str], ...]:
        return tuple(sorted((d.doc_id, d.version) for d in self.store.documents()))

    @property
    def chunk_count(self) -> int:
        self.refresh()
        return len(self._index.chunks)

    def section(self, doc: str, heading: str, limit: int = 600) -> tuple[str, str] | None:
        """(document title, text) of the section of `doc` whose heading path ends in
        `heading`, cut to `limit` characters; None when no loaded document has it."""
        self.refresh()
        parts = [
            c
            for c in self._index.chunks
            if c.doc == doc and c.role == "text" and c.section.split(" > ")[-1] == heading
        ]
        if not parts:
            return None
        text = "\n".join(c.text for c in parts)
        return parts[0].title, text if len(text) <= limit else text[:limit] + "…"

    def retrieve(self, question: Question, k: int | None = None) -> Retrieved:
        """The best passages for a question, analysed against the index they come from."""
        self.refresh()
        index = self._index  # one snapshot for the analysis and the search
        query = analyse(question.query, self.glossary, index.bm25.idf, index.bm25.df)
        passages = self._search(
            index, question.query, question.lang, k or self.settings.passages, query
        )
        expanded = self.glossary.expand(question.query)  # as the dense search embedded it
        return Retrieved(
            question,
            query,
            passages,
            self._similarity(self.second, question.query),
            self._similarity(self.embedder, expanded),
        )

    def _similarity(self, encoder: Embedder | None, text: str) -> Similarity | None:
        """Cosine under `encoder` between the question and any texts (its passages'
        sentences, whose vectors ingest cached beside the passages')."""
        if encoder is None:
            return None
        question = encoder.embed_query(text)

        def similar(texts: Sequence[str]) -> np.ndarray:
            return encoder.embed_passages(list(texts)) @ question

        return similar

    def search(self, text: str, lang: Lang, k: int = 5) -> list[Passage]:
        """The passages alone, for callers that have no Question at hand."""
        return self.retrieve(Question(text, lang), k).passages

    def _search(self, index: _Index, text: str, lang: Lang, k: int, query: Query) -> list[Passage]:
        if not index.chunks:
            return []
        s = self.settings
        expanded = self.glossary.expand(text)
        versions = [version for _, version in index.key]
        vector = self.embedder.embed_query(expanded)
        other: Lang = "en" if lang == "zh" else "zh"
        similarity = dict(self.store.nearest(vector, versions, s.candidates))
        similarity.update(self.store.nearest(vector, versions, s.other_language, lang=other))
        allowed = {"text", "glossary"} if _TERMINOLOGY.search(text) else {"text"}
        similarity = {
            i: v
            for i, v in similarity.items()
            if i in index.by_id and index.chunk(i).role in allowed
        }
        dense_rank = sorted(similarity, key=similarity.__getitem__, reverse=True)
        lexical_rank = [
            index.chunks[i].id
            for i, _ in index.bm25.search(terms(expanded), s.candidates * 2)
            if index.chunks[i].role in allowed
        ][: s.candidates]
        rankings = [dense_rank, lexical_rank]
        second: dict[str, float] = {}
        if self.second is not None and index.vectors is not None:
            scores = index.vectors @ self.second.embed_query(text)
            order = np.argsort(-scores)[: s.candidates * 2]
            second = {index.chunks[i].id: float(scores[i]) for i in order}
            rankings.append([i for i in second if index.chunk(i).role in allowed][: s.candidates])
        fused: dict[str, float] = {}
        for ranking in rankings:
            for rank, chunk_id in enumerate(ranking):
                fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (_RRF_K + rank)
        best = sorted(fused, key=fused.__getitem__, reverse=True)[:k]
        return [
            Passage(
                chunk=index.chunk(i),
                score=fused[i],
                dense=similarity.get(i, 0.0),
                lexical=query.coverage(
                    index.chunk(i).embedding_text(), index.terms[index.by_id[i]]
                ),
                second=second.get(i, 0.0),
            )
            for i in best
        ]


@dataclass(frozen=True)
class Retrieved:
    """What retrieval hands the gate and the writer."""

    question: Question
    query: Query
    passages: list[Passage]
    similar: Similarity | None = field(default=None, compare=False, repr=False)  # second
    dense: Similarity | None = field(default=None, compare=False, repr=False)  # main encoder


@dataclass(frozen=True)
class _Index:
    """An immutable snapshot of the active chunks and their lexical index."""

    key: tuple
    chunks: list[Chunk]
    by_id: dict[str, int]
    terms: list[frozenset[str]]
    bm25: BM25
    vectors: np.ndarray | None  # the second encoder's, row i for chunks[i]

    @classmethod
    def build(cls, key: tuple, chunks: list[Chunk], vectors: np.ndarray | None = None) -> _Index:
        texts = [c.embedding_text() for c in chunks]
        by_id = {c.id: i for i, c in enumerate(chunks)}
        bm25 = BM25(texts)
        return cls(key, chunks, by_id, [frozenset(terms(t)) for t in texts], bm25, vectors)

    def chunk(self, chunk_id: str) -> Chunk:
        return self.chunks[self.by_id[chunk_id]]
