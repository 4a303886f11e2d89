"""The materials index: chunks and their vectors in Chroma, plus a catalog of loaded documents.

Replacing a document is atomic for readers: the new version's chunks are added first, then the
catalog entry (one record) is switched to the new version, then the old chunks are deleted.
Searches only ever see chunks of the version the catalog names.

The version a replace supersedes is kept aside first (one per document: its chunks with their
vectors, and its catalog entry, in collections of their own that searches never read), so it
can be restored.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np
from chromadb.api import ClientAPI

from knowledge.answering.models import Chunk, DocumentInfo
from knowledge.vocabulary import Lang

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

import chromadb  # noqa: E402  (telemetry must be off before the import)
from chromadb.config import Settings  # noqa: E402

_CHUNKS = "stdtutor_chunks"
_CATALOG = "stdtutor_documents"
_PREVIOUS_CHUNKS = "stdtutor_previous_chunks"  # the superseded version of each document
_PREVIOUS = "stdtutor_previous_documents"  # its catalog entry, by doc_id
_NO_VECTOR = np.zeros((1, 1), dtype=np.float32)  # catalog records carry no meaning in vector space


def open_client(path: Path | None = None, url: str | None = None) -> ClientAPI:
    """An embedded Chroma under `path`, or a Chroma server at `url`; never with telemetry."""
    settings = Settings(anonymized_telemetry=False)
    if url:
        parsed = urlparse(url)
        return chromadb.HttpClient(
            host=parsed.hostname or "127.0.0.1",
            port=parsed.port or (443 if parsed.scheme == "https" else 8000),
            ssl=parsed.scheme == "https",
            settings=settings,
        )
    assert path is not None, "either a path or a url"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=settings)


class ChunkStore:
    def __init__(self, client: ClientAPI) -> None:
        self.client = client
        # embedding_function=None: vectors always come from our own embedder, so Chroma never
        # reaches for its default model (which would download).
        self._chunks = client.get_or_create_collection(
            _CHUNKS, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
        )
        self._catalog = client.get_or_create_collection(_CATALOG, embedding_function=None)
        self._previous_chunks = client.get_or_create_collection(
            _PREVIOUS_CHUNKS, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
        )
        self._previous = client.get_or_create_collection(_PREVIOUS, embedding_function=None)

    # -- catalog --------------------------------------------------------------------------
    def documents(self) -> list[DocumentInfo]:
        got = self._catalog.get(include=["metadatas"])
        docs = [_info(m) for m in got["metadatas"] or []]
        return sorted(docs, key=lambda d: d.doc.lower())

    def document(self, doc_id: str) -> DocumentInfo | None:
        got = self._catalog.get(ids=[doc_id], include=["metadatas"])
        metas = got["metadatas"] or []
        return _info(metas[0]) if metas else None

    def activate(self, info: DocumentInfo) -> None:
        """Make `info.version` the version searches see (a single-record upsert)."""
        self._catalog.upsert(ids=[info.doc_id], embeddings=_NO_VECTOR, metadatas=[asdict(info)])

    def deactivate(self, doc_id: str) -> None:
        self._catalog.delete(ids=[doc_id])

    # -- the version a replace superseded ---------------------------------------------------
    def previous(self, doc_id: str) -> DocumentInfo | None:
        """The version of `doc_id` that the last replace superseded, if it is kept."""
        got = self._previous.get(ids=[doc_id], include=["metadatas"])
        metas = got["metadatas"] or []
        return _info(metas[0]) if metas else None

    def previous_documents(self) -> list[DocumentInfo]:
        got = self._previous.get(include=["metadatas"])
        return sorted((_info(m) for m in got["metadatas"] or []), key=lambda d: d.doc.lower())

    def keep_previous(self, info: DocumentInfo) -> None:
        """Set the active version `info` aside as its document's previous version (its chunks
        copied with their vectors), in place of any kept before."""
        _copy(self._chunks, self._previous_chunks, info.version)
        others: dict[str, Any] = {
            "$and": [{"doc_id": info.doc_id}, {"version": {"$ne": info.version}}]
        }
        self._previous_chunks.delete(where=others)
        self._previous.upsert(ids=[info.doc_id], embeddings=_NO_VECTOR, metadatas=[asdict(info)])

    def bring_back(self, info: DocumentInfo) -> None:
        """Copy the kept version `info`'s chunks back among those searches read (still to be
        activated: `activate` makes it the version searches see)."""
        _copy(self._previous_chunks, self._chunks, info.version)

    def drop_previous(self, doc_id: str) -> None:
        self._previous.delete(ids=[doc_id])
        self._previous_chunks.delete(where={"doc_id": doc_id})

    # -- chunks ---------------------------------------------------------------------------
    def add_chunks(self, chunks: Sequence[Chunk], vectors: np.ndarray, version: str) -> None:
        for start in range(0, len(chunks), 256):
            part = chunks[start : start + 256]
            self._chunks.upsert(
                ids=[c.id for c in part],
                embeddings=vectors[start : start + 256],
                documents=[c.text for c in part],
                metadatas=[_chunk_meta(c, version) for c in part],
            )

    def drop_other_versions(self, doc_id: str, keep: str | None) -> None:
        """Delete a document's chunks of every version but `keep` (None: all of them)."""
        where: dict[str, Any] = {"doc_id": doc_id}
        if keep is not None:
            where = {"$and": [{"doc_id": doc_id}, {"version": {"$ne": keep}}]}
        self._chunks.delete(where=where)

    def chunks_of(self, version: str) -> list[Chunk]:
        """The chunks of one document version, in order (one version at a time: a filter over
        every version, or a get of every chunk, outgrows SQLite's variable limit)."""
        got = self._chunks.get(where={"version": version}, include=["documents", "metadatas"])
        chunks = [
            _chunk(i, t, dict(m))
            for i, t, m in zip(
                got["ids"], got["documents"] or [], got["metadatas"] or [], strict=False
            )
        ]
        return sorted(chunks, key=lambda c: c.ordinal)

    def count_chunks(self) -> int:
        return int(self._chunks.count())

    def nearest(
        self, vector: np.ndarray, k: int, lang: Lang | None = None
    ) -> list[tuple[str, float]]:
        """Ids and cosine similarities of the k nearest chunks (optionally of one language),
        of any version: the caller keeps those of active versions."""
        got = self._chunks.query(
            query_embeddings=[vector],
            n_results=k,
            where={"lang": lang} if lang else None,
            include=["distances"],
        )
        distances = (got["distances"] or [[]])[0]
        return [(i, 1.0 - d) for i, d in zip(got["ids"][0], distances, strict=True)]


def _copy(source: Any, target: Any, version: str) -> None:
    """Every chunk of `version` (text, vector, metadata) from one collection into another."""
    got = source.get(where={"version": version}, include=["documents", "metadatas", "embeddings"])
    ids, texts, metas = got["ids"], got["documents"] or [], got["metadatas"] or []
    vectors = np.asarray(got["embeddings"], dtype=np.float32)
    for start in range(0, len(ids), 256):
        end = start + 256
        target.upsert(
            ids=ids[start:end],
            embeddings=vectors[start:end],
            documents=texts[start:end],
            metadatas=metas[start:end],
        )


def _info(meta: Mapping[str, Any]) -> DocumentInfo:
    """A catalog entry's metadata (written from a DocumentInfo by `activate`) read back (an
    entry written before provenance was recorded has no loader: the defaults say so)."""
    known = {f.name for f in fields(DocumentInfo)}
    return DocumentInfo(**{k: v for k, v in meta.items() if k in known})


def _chunk_meta(chunk: Chunk, version: str) -> dict[str, Any]:
    meta = {k: v for k, v in asdict(chunk).items() if k not in ("id", "text") and v is not None}
    return {**meta, "version": version}


def _chunk(id_: str, text: str | None, meta: Mapping[str, Any]) -> Chunk:
    return Chunk(
        id=id_,
        doc_id=str(meta["doc_id"]),
        doc=str(meta["doc"]),
        title=str(meta["title"]),
        section=str(meta.get("section", "")),
        page=int(meta["page"]) if meta.get("page") is not None else None,
        lang="zh" if meta.get("lang") == "zh" else "en",
        text=text or "",
        ordinal=int(meta["ordinal"]),
        role=str(meta.get("role", "text")),
    )
