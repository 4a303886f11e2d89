"""Changing the library as every channel does: one change at a time (the ingest lock), in a
worker thread, recording who made it. Loading a file passes its progress on; removing and
restoring return what they did. The bundled course pack's documents change for admins only."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol

from ingest.pipeline import FileResult, Ingestor, Loader
from knowledge.answering.models import DocumentInfo
from knowledge.records import User


class Library(Protocol):
    """What changing the library takes: the ingestor, and the lock that keeps it one at a time."""

    ingestor: Ingestor
    ingest_lock: asyncio.Lock


def loader_of(user: User) -> Loader:
    """A person as the loader a document records (admins may change the course pack's)."""
    return Loader(user.id, user.name, admin=user.role == "admin")


async def ingesting(
    library: Library, path: Path, name: str, loader: Loader, replace: bool
) -> AsyncIterator[tuple[int, int] | FileResult]:
    """Ingest one file as every channel does: one at a time (the ingest lock), in a worker
    thread, passing (passages done, total) on as they come, then the FileResult; the
    document records `loader` as who loaded it. Without `replace`, a file whose name is
    loaded with other content is a "conflict", for the channel to ask about."""
    async with library.ingest_lock:
        async for item in _ingest(library.ingestor, path, name, loader, replace):
            yield item


async def _ingest(
    ingestor: Ingestor, path: Path, name: str, loader: Loader, replace: bool
) -> AsyncIterator[tuple[int, int] | FileResult]:
    loop = asyncio.get_running_loop()
    updates: asyncio.Queue[tuple[int, int]] = asyncio.Queue()

    def progress(done: int, total: int) -> None:
        loop.call_soon_threadsafe(updates.put_nowait, (done, total))

    work = asyncio.ensure_future(
        asyncio.to_thread(ingestor.ingest_file, path, name, False, progress, loader, replace)
    )
    while not work.done():
        waiter = asyncio.ensure_future(updates.get())
        await asyncio.wait({work, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if waiter.done():
            yield waiter.result()
        else:
            waiter.cancel()
    result = work.result()
    if result.status in ("added", "replaced"):
        await asyncio.to_thread(ingestor.on_change)
    yield result


async def remove_document(library: Library, doc_id: str, loader: Loader) -> DocumentInfo | None:
    """Retire a document (None if it is already gone), one change at a time, off the loop;
    PackDocument when `loader` may not remove it."""
    ingestor = library.ingestor
    async with library.ingest_lock:
        if await asyncio.to_thread(ingestor.store.document, doc_id) is None:
            return None
        return await asyncio.to_thread(ingestor.remove, doc_id, loader)


async def restore_document(
    library: Library, doc: str, loader: Loader
) -> tuple[DocumentInfo, DocumentInfo | None]:
    """Bring back the version the last replace of `doc` superseded (or the removed document),
    one change at a time, off the loop; NoPreviousVersion or PackDocument when it cannot."""
    async with library.ingest_lock:
        return await asyncio.to_thread(library.ingestor.restore, doc, loader)
