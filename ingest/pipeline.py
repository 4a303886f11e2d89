"""The idempotent ingest pipeline: unchanged files are skipped, changed ones replaced atomically
(keeping the version replaced, which `restore` brings back), or, when the caller asks first,
reported as a conflict with the document of that name. A removed document is kept the same way,
so `restore` brings it back too. The bundled course pack's documents are replaced, removed or
restored by admins (and the command line) only."""

from __future__ import annotations

import errno
import hashlib
import logging
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from chromadb.errors import ChromaError
from tqdm import tqdm

from ingest.chunking import chunk_document, doc_id_for, document_lang
from ingest.loaders import SUFFIXES
from ingest.sandbox import Limits, read
from knowledge.answering.ask import visible
from knowledge.answering.embeddings import CachedEmbedder, Encoders
from knowledge.answering.glossary import pack_files
from knowledge.answering.models import CLI_LOADER, DocumentInfo
from knowledge.answering.store import ChunkStore
from knowledge.answering.text import word_set
from knowledge.answering.write.extractive import sentence_texts
from knowledge.errors import (
    EmptyDocument,
    IndexFull,
    IndexReadOnly,
    MaterialError,
    NoPreviousVersion,
    PackDocument,
    TooLarge,
    UnknownDocument,
)

log = logging.getLogger(__name__)

# Bump when loading or chunking changes, so unchanged files are processed again once.
PIPELINE_VERSION = "3"  # 2: html5lib, markup clean-up, sentence-aligned chunks; 3: sentence vectors

# "conflict": not loaded, because a document of that name with other content is (its entry
# is the result's `doc`) and the caller asked not to replace without asking first.
Status = Literal["added", "replaced", "unchanged", "conflict", "failed", "skipped"]


@dataclass(frozen=True)
class Loader:
    """Who is loading (or removing) documents: a person, by user id and name, or the server's
    command line. `admin`: may replace or remove the bundled course pack's documents."""

    id: int = 0
    name: str = CLI_LOADER
    admin: bool = True


CLI = Loader()  # `stdtutor ingest`, the first run's pack: the installation's owner


@dataclass(frozen=True)
class FileResult:
    path: Path
    status: Status
    doc: DocumentInfo | None = None
    error: str | None = None  # the English line (CLI, logs)
    reason: str | None = None  # why it failed, as a code the text tables render

    def line(self) -> str:
        if self.error:
            return f"{self.status}: {self.error}"
        assert self.doc is not None
        d = self.doc
        if self.status == "conflict":
            return f"conflict: {d.doc} is already loaded with other content; not replaced"
        return f"{self.status}: {d.doc} — {d.title} ({d.lang}, {d.chunks} chunks)"


_FULL = ("disk is full", "no space left")
_READ_ONLY = ("readonly", "read-only", "unable to open database file")


def unwritable(path: Path, error: Exception) -> MaterialError | None:
    """A failure to write the library (the index, the embedding cache) as the reason people
    are shown, or None when `error` is something else (an upload that cannot be read)."""
    code, text = getattr(error, "errno", None), str(error).lower()
    if code in (errno.ENOSPC, errno.EDQUOT) or any(s in text for s in _FULL):
        return IndexFull(path)
    if code == errno.EROFS or any(s in text for s in _READ_ONLY):
        return IndexReadOnly(path)
    return None


@dataclass
class IngestReport:
    results: list[FileResult]

    @property
    def failed(self) -> list[FileResult]:
        return [r for r in self.results if r.status == "failed"]

    def count(self, status: Status) -> int:
        return sum(r.status == status for r in self.results)


class Ingestor:
    def __init__(
        self,
        store: ChunkStore,
        embedder: CachedEmbedder | Encoders,
        max_bytes: int,
        on_change: Callable[[], None] = lambda: None,
        limits: Limits | None = None,
        protected: frozenset[str] | None = None,
        pending: Path | None = None,
    ) -> None:
        from ingest.pending import PendingUploads

        self.store, self.embedder, self.max_bytes = store, embedder, max_bytes
        self.limits = limits or Limits()  # of the child process each file is read in
        self.on_change = on_change  # e.g. the retriever's refresh
        # names only an admin may replace or remove: the bundled course pack's documents
        self.protected = frozenset(pack_files()) if protected is None else protected
        # uploads waiting for their uploader to say whether to replace (under the data dir)
        self.pending = PendingUploads(pending, max_bytes)

    def ingest(
        self, paths: Sequence[Path], show_progress: bool = False, loader: Loader = CLI
    ) -> IngestReport:
        """Load every file under `paths`; one bad file never stops the batch."""
        files = list(expand(paths))
        results: list[FileResult] = []
        seen: dict[str, Path] = {}
        bar = tqdm(files, unit="file", disable=not show_progress or len(files) < 2, leave=False)
        for path, explicit in bar:
            bar.set_description(path.name[:30])
            if not explicit and path.suffix.lower() not in SUFFIXES:
                results.append(FileResult(path, "skipped", error=f"{path.name}: not a material"))
                continue
            if path.name in seen:  # a document is known by its file name: one would overwrite
                error = (
                    f"{path.name}: same file name as {seen[path.name]} in this batch; rename one"
                )
                results.append(FileResult(path, "failed", error=error, reason="same_name"))
                continue
            seen[path.name] = path
            results.append(self.ingest_file(path, show_progress=show_progress, loader=loader))
        if any(r.status in ("added", "replaced") for r in results):
            self.on_change()
        return IngestReport(results)

    def ingest_file(
        self,
        path: Path,
        name: str | None = None,
        show_progress: bool = False,
        progress: Callable[[int, int], None] | None = None,
        loader: Loader = CLI,
        replace: bool = True,
    ) -> FileResult:
        """Add or replace one document; `name` overrides the file name (e.g. an upload).

        `progress(done, total)` is called as passages are embedded (from this thread); the
        document records `loader` as who loaded it, and when. With `replace` false, a file
        whose name is loaded with other content is not loaded: the result is a "conflict".
        """
        name = display_name(name or path.name)
        try:
            size = path.stat().st_size
            if size > self.max_bytes:
                limit = self.max_bytes // (1024 * 1024)
                raise TooLarge(path, f"{size / 1048576:.1f} MB, the limit is {limit} MB")
            raw = path.read_bytes()
            source_hash = hashlib.sha256(PIPELINE_VERSION.encode() + raw).hexdigest()
            doc_id = doc_id_for(name)
            current = self.store.document(doc_id)
            if current and current.source_hash == source_hash:
                return FileResult(path, "unchanged", current)
            if current and not loader.admin and current.doc in self.protected:
                error = PackDocument(current.doc)
                return FileResult(path, "failed", current, error=str(error), reason="pack")
            if current and not replace:
                return FileResult(path, "conflict", current)
            info = self._index(path, name, source_hash, show_progress, progress, loader)
        except MaterialError as error:
            return FileResult(path, "failed", error=str(error), reason=error.code)
        except (OSError, sqlite3.Error, ChromaError) as error:
            refused = unwritable(path, error)
            if refused is not None:
                log.warning("%s not loaded, the library cannot be written: %s", name, error)
                return FileResult(path, "failed", error=str(refused), reason=refused.code)
            if not isinstance(error, OSError):
                raise
            error_line = f"{name}: cannot read ({error.strerror})"
            return FileResult(path, "failed", error=error_line, reason="unreadable")
        return FileResult(path, "replaced" if current else "added", info)

    def _index(
        self,
        path: Path,
        name: str,
        source_hash: str,
        show_progress: bool,
        progress: Callable[[int, int], None] | None,
        loader: Loader,
    ) -> DocumentInfo:
        version = source_hash[:16]
        loaded = read(path, self.limits)
        chunks = chunk_document(loaded, name, version)
        if not chunks:
            raise EmptyDocument(path)
        # The passages' sentences are embedded too (cached by content, like passages), so
        # the writer can weigh each sentence by the encoders at question time.
        texts = [c.embedding_text() for c in chunks]
        texts += sentence_texts(c.text for c in chunks)
        with tqdm(
            total=len(texts),
            unit="text",
            desc=f"embedding {name[:24]}",
            leave=False,
            disable=not show_progress,
        ) as bar:
            done = 0

            def step(n: int) -> None:  # progress is told in passages, as people count them
                nonlocal done
                done += n
                bar.update(n)
                if progress:
                    progress(len(chunks) * done // len(texts), len(chunks))

            vectors = self.embedder.embed_passages(texts, step)[: len(chunks)]
        if isinstance(self.embedder, Encoders):  # the passages' words, so no question waits
            self.embedder.embed_words(sorted(set().union(*(word_set(c.text) for c in chunks))))
        info = DocumentInfo(
            doc_id=chunks[0].doc_id,
            doc=name,
            title=loaded.title,
            lang=document_lang(chunks),
            chunks=len(chunks),
            loaded_at=datetime.now(UTC).isoformat(timespec="seconds"),
            source_hash=source_hash,
            version=version,
            loaded_by_id=loader.id,
            loaded_by=loader.name,
        )
        # New chunks first, the version they supersede set aside, then the one-record switch,
        # then the old chunks go: a reader sees either the old version or the new one, never
        # both or none.
        self.store.add_chunks(chunks, vectors, version)
        current = self.store.document(info.doc_id)
        if current is not None and current.version != version:
            self.store.keep_previous(current)
        self.store.activate(info)
        self.store.drop_other_versions(info.doc_id, keep=version)
        kept = self.store.previous(info.doc_id)
        if kept is not None and kept.version == version:  # removed, then loaded again as it was
            self.store.drop_previous(info.doc_id)
        return info

    def find(self, doc: str) -> DocumentInfo | None:
        """The loaded document of this file name (or id)."""
        return self.store.document(doc_id_for(display_name(doc))) or self.store.document(doc)

    def remove(self, doc: str, loader: Loader = CLI) -> DocumentInfo:
        """Retire a document by file name (or id): it is not retrieved again, but it is kept
        as the document's previous version (in place of the one a replace superseded), so
        `restore` brings it back."""
        match = self.find(doc)
        if match is None:
            raise UnknownDocument(doc)
        if not loader.admin and match.doc in self.protected:
            raise PackDocument(match.doc)
        self.store.keep_previous(match)  # first: a crash after it loses nothing
        self.store.deactivate(match.doc_id)
        self.store.drop_other_versions(match.doc_id, keep=None)
        self.on_change()
        return match

    def restore(self, doc: str, loader: Loader = CLI) -> tuple[DocumentInfo, DocumentInfo | None]:
        """Make the version the last replace of `doc` (file name or id) superseded, or the
        version a removal retired, the active one again; the version it displaces is kept in
        its place, so a restore is undone by another. The (restored, displaced) entries;
        displaced is None when the document had been removed."""
        doc_id = doc if self.store.previous(doc) else doc_id_for(display_name(doc))
        kept = self.store.previous(doc_id)
        if kept is None:
            raise NoPreviousVersion(display_name(doc))
        if not loader.admin and kept.doc in self.protected:
            raise PackDocument(kept.doc)
        current = self.store.document(doc_id)
        self.store.bring_back(kept)
        if current is not None:
            self.store.keep_previous(current)  # in place of `kept`, whose copy is back
        else:
            self.store.drop_previous(doc_id)
        self.store.activate(kept)
        self.store.drop_other_versions(doc_id, keep=kept.version)
        self.on_change()
        return kept, current


def display_name(name: str) -> str:
    """A document's name as people will see it: direction overrides, zero-width and control
    characters out (they could make `/materials` show one name for another)."""
    return visible(name).strip() or "document"


def expand(paths: Iterable[Path]) -> Iterable[tuple[Path, bool]]:
    """Files named directly (explicit) and, recursively, the files inside folders."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                hidden = any(part.startswith(".") for part in child.relative_to(path).parts)
                if child.is_file() and not hidden:
                    yield child, False
        else:
            yield path, True
