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
from typing import Protocol

import numpy as np

from knowledge.answering.ask import Question
from knowledge.answering.embeddings import CachedEmbedder, Embedder
from knowledge.answering.glossary import Glossary
from knowledge.answering.lexical import Library, Segment, bm25_idf
from knowledge.answering.models import Chunk, DocumentInfo, Passage
from knowledge.answering.query import Query, analyse
from knowledge.answering.store import ChunkStore
from knowledge.answering.text import terms
from knowledge.vocabulary import Lang, detect_lang

Similarity = Callable[[Sequence[str]], np.ndarray]
Vectors = Callable[[Sequence[str], bool], np.ndarray]  # (texts, asked) -> their vectors
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
    other_language: int = 8  # extra dense candidates from the other language ...
    dense_depth: int = 200  # ... found among this many nearest
    refresh_seconds: float = 2.0  # how often the catalog is read: other processes may change it


class Catalog(Protocol):
    """The loaded documents, as a library lists them (the Chroma store is one)."""

    def documents(self) -> list[DocumentInfo]: ...


class RetrieverPort(Protocol):
    """What the tutor and the flows use of a retriever: `Retriever` (Chroma, the encoders,
    BM25) in production, `TermRetriever` (passages in memory) in tests of flows."""

    @property
    def settings(self) -> RetrievalSettings: ...

    @property
    def store(self) -> Catalog: ...

    def retrieve(self, question: Question, k: int | None = None) -> Retrieved: ...

    def section(self, doc: str, heading: str, limit: int = 600) -> tuple[str, str] | None: ...


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
        self._index = Library()

    def refresh(self, force: bool = False) -> None:
        """Bring the in-memory index up to the catalog (another process may have changed it):
        only documents added or replaced since the last look are read."""
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
            index = self._index
            for _ in range(20):
                added = [self._segment(k) for k in index.missing(key)]
                index = index.changed(key, [s for s in added if s is not None])
                again = self._catalog_key()
                if again == key:
                    break
                key = again
            self._index = index  # readers see the old snapshot or the new one

    def _segment(self, key: tuple[str, str]) -> Segment | None:
        chunks = self.store.chunks_of(key[1])
        if not chunks:
            return None
        vectors = None
        if self.second is not None:
            vectors = self.second.embed_passages([c.embedding_text() for c in chunks])
        return Segment.build(key, chunks, self._index.vocab, vectors)

    def _catalog_key(self) -> tuple[tuple[str, str], ...]:
        return tuple(sorted((d.doc_id, d.version) for d in self.store.documents()))

    @property
    def chunk_count(self) -> int:
        self.refresh()
        return self._index.size

    def section(self, doc: str, heading: str, limit: int = 600) -> tuple[str, str] | None:
        """(document title, text) of the section of `doc` whose heading path ends in
        `heading`, cut to `limit` characters; None when no loaded document has it."""
        self.refresh()
        parts = [
            c
            for segment in self._index.segments
            if segment.chunks[0].doc == doc
            for c in segment.chunks
            if c.role == "text" and c.section.split(" > ")[-1] == heading
        ]
        if not parts:
            return None
        text = "\n".join(c.text for c in parts)
        return parts[0].title, text if len(text) <= limit else text[:limit] + "…"

    def retrieve(self, question: Question, k: int | None = None) -> Retrieved:
        """The best passages for a question, analysed against the index they come from."""
        self.refresh()
        index = self._index  # one snapshot for the analysis and the search
        query = analyse(question.query, self.glossary, index.idf, index.df)
        expanded = self.glossary.expand(question.query)  # what the dense and BM25 lists see
        passages = self._search(
            index, question.query, expanded, question.lang, k or self.settings.passages, query
        )
        similar, words = self._similarities(self.second, question.query)
        dense, _ = self._similarities(self.embedder, expanded)
        return Retrieved(question, query, passages, similar, dense, words)

    @staticmethod
    def _similarities(
        encoder: Embedder | None, text: str
    ) -> tuple[Similarity | None, Vectors | None]:
        """Under `encoder`, for one question: the cosine between the question and any texts
        (its passages' sentences, whose vectors ingest cached beside the passages'), and the
        vectors of single words (the passages' from the cache, where the pack's ship; the
        question's own as queries are, kept in memory, not on disk). Each text is looked up
        once per question, whichever of the two asks for it first: the gate and the writer
        weigh the same sentences."""
        if encoder is None:
            return None, None
        question = encoder.embed_query(text)
        known: dict[str, np.ndarray] = {}

        def vectors(texts: Sequence[str], asked: bool = False) -> np.ndarray:
            if asked:
                return encoder.embed_queries(texts)
            missing = [t for t in dict.fromkeys(texts) if t not in known]
            if missing:
                known.update(zip(missing, encoder.embed_passages(missing), strict=True))
            return np.array([known[t] for t in texts], dtype=np.float32).reshape(len(texts), -1)

        def similar(texts: Sequence[str]) -> np.ndarray:
            if not texts:
                return np.array([], dtype=np.float32)
            return np.asarray(vectors(texts) @ question, dtype=np.float32)

        return similar, vectors

    def search(self, text: str, lang: Lang, k: int = 5) -> list[Passage]:
        """The passages alone, for callers that have no Question at hand."""
        return self.retrieve(Question(text, lang), k).passages

    def _search(
        self, index: Library, text: str, expanded: str, lang: Lang, k: int, query: Query
    ) -> list[Passage]:
        if not index.size:
            return []
        s = self.settings
        vector = self.embedder.embed_query(expanded)
        other: Lang = "en" if lang == "zh" else "zh"

        # Chroma is asked without a version filter (a filter over every active version costs
        # more than the search); chunks of no active version are dropped here instead.
        # One unfiltered search, deep enough to hold the other language's nearest too (a
        # filter by language or version costs Chroma more than the search), keeping chunks of
        # active versions only.
        found = [
            (chunk, v)
            for i, v in self.store.nearest(vector, s.dense_depth)
            if (chunk := index.chunk(i)) is not None
        ]
        nearest = found[: s.candidates]
        nearest += [(c, v) for c, v in found[s.candidates :] if c.lang == other][: s.other_language]
        allowed = {"text", "glossary"} if _TERMINOLOGY.search(text) else {"text"}
        similarity = {c.id: v for c, v in nearest}
        chunks: dict[str, Chunk] = {c.id: c for c, _ in nearest if c.role in allowed}
        dense_rank = sorted(chunks, key=similarity.__getitem__, reverse=True)
        lexical_rank: list[str] = []
        for position, _ in index.bm25(terms(expanded), s.candidates * 2):
            chunk = index.at(position)
            if chunk.role in allowed and len(lexical_rank) < s.candidates:
                chunks[chunk.id] = chunk
                lexical_rank.append(chunk.id)
        rankings = [dense_rank, lexical_rank]
        second: dict[str, float] = {}
        if self.second is not None:
            scores = index.similarities(self.second.embed_query(text))
            if scores is not None:
                order = np.argsort(-scores)[: s.candidates * 2]
                ranked = [index.at(int(i)) for i in order]
                second = {c.id: float(scores[i]) for c, i in zip(ranked, order, strict=True)}
                chunks.update((c.id, c) for c in ranked)
                rankings.append([c.id for c in ranked if c.role in allowed][: s.candidates])
        fused: dict[str, float] = {}
        for ranking in rankings:
            for rank, chunk_id in enumerate(ranking):
                fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (_RRF_K + rank)
        best = sorted(fused, key=fused.__getitem__, reverse=True)[:k]
        return [
            Passage(
                chunk=chunks[i],
                score=fused[i],
                dense=similarity.get(i, 0.0),
                lexical=query.coverage(
                    chunks[i].embedding_text(), frozenset(terms(chunks[i].embedding_text()))
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
    # vectors of single words under the cross-language encoder (the gate's soft coverage)
    words: Vectors | None = field(default=None, compare=False, repr=False)


class TermRetriever:
    """The fake beside the retriever port: the passages it is given, held in memory and ranked
    by how many of the question's retrieval terms each shares; no Chroma, no model, no
    similarities (`Retrieved.similar` and `.dense` are None). For tests of flows, not of
    answer quality."""

    def __init__(
        self,
        passages: Sequence[Chunk | str],
        glossary: Glossary | None = None,
        settings: RetrievalSettings | None = None,
    ) -> None:
        self.chunks = [
            p if isinstance(p, Chunk) else _note(i, p) for i, p in enumerate(passages, start=1)
        ]
        self.glossary = glossary or Glossary([])
        self.settings = settings or RetrievalSettings()
        self.store = _Shelf(self.chunks)
        self._terms = [frozenset(terms(c.embedding_text())) for c in self.chunks]

    def df(self, term: str) -> int:
        return sum(term in found for found in self._terms)

    def idf(self, term: str) -> float:  # BM25's, as the real index weighs terms
        return bm25_idf(len(self.chunks), self.df(term))

    def retrieve(self, question: Question, k: int | None = None) -> Retrieved:
        query = analyse(question.query, self.glossary, self.idf, self.df)
        asked = frozenset(terms(self.glossary.expand(question.query)))
        shared = {i: len(asked & found) for i, found in enumerate(self._terms)}
        best = sorted((i for i, n in shared.items() if n), key=lambda i: -shared[i])
        passages = [
            Passage(
                chunk=self.chunks[i],
                score=shared[i] / len(asked),
                dense=0.0,
                lexical=query.coverage(self.chunks[i].embedding_text(), self._terms[i]),
            )
            for i in best[: k or self.settings.passages]
        ]
        return Retrieved(question, query, passages)

    def section(self, doc: str, heading: str, limit: int = 600) -> tuple[str, str] | None:
        parts = [
            c
            for c in self.chunks
            if c.doc == doc and c.role == "text" and c.section.split(" > ")[-1] == heading
        ]
        if not parts:
            return None
        text = "\n".join(c.text for c in parts)
        return parts[0].title, text if len(text) <= limit else text[:limit] + "…"


def _note(n: int, text: str) -> Chunk:
    """A bare text given to `TermRetriever`, as one passage of a document "notes.md"."""
    return Chunk(f"notes-{n}", "notes", "notes.md", "Notes", "", None, detect_lang(text), text, n)


@dataclass(frozen=True)
class _Shelf:
    """`TermRetriever`'s catalog: one document per `doc_id` among its passages."""

    chunks: list[Chunk]

    def documents(self) -> list[DocumentInfo]:
        docs: dict[str, list[Chunk]] = {}
        for chunk in self.chunks:
            docs.setdefault(chunk.doc_id, []).append(chunk)
        return [
            DocumentInfo(d, c[0].doc, c[0].title, c[0].lang, len(c), "", "", d)
            for d, c in docs.items()
        ]
