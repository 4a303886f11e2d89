"""Files are read in a child process with a memory limit and a time limit.

Whatever a file does to its parser (a zip member that inflates past its declared size, a
pathological PDF or XML), only the child runs out of memory or time: the bot goes on, and the
instructor gets one line saying the file asks too much. Children are forked from a small
server process that has the loaders imported (multiprocessing's forkserver), so starting one
costs milliseconds, not an interpreter start — provided the child is not also told to import
the parent's `__main__` (the CLI, a benchmark), which multiprocessing does by default and
which cost about two seconds a file.
"""

from __future__ import annotations

import logging
import multiprocessing
import resource
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from ingest.loaders import LoadedDocument, load
from knowledge.errors import CorruptFile, MaterialError, TooDemanding

MB = 1024 * 1024
_context = multiprocessing.get_context("forkserver")
# The server (started when the first file is read) has every parser imported, so no child
# imports pypdf or python-docx again.
_context.set_forkserver_preload(
    [
        "ingest.loaders",
        *(f"ingest.loaders.{m}" for m in ("docx", "html", "markdown", "pdf", "pptx")),
    ]
)


@dataclass(frozen=True)
class Limits:
    memory_mb: int = 1024  # address space of the reading process
    seconds: float = 120.0


def read(path: Path, limits: Limits) -> LoadedDocument:
    """`load(path)`, in a child process held to `limits`."""
    receive, send = _context.Pipe(duplex=False)
    child = _context.Process(target=_read, args=(send, str(path), limits.memory_mb), daemon=True)
    with _main_unnamed():
        child.start()
    send.close()
    try:
        if not receive.poll(limits.seconds):
            raise TooDemanding(path, f"more than {limits.seconds:g} s")
        try:
            kind, value = receive.recv()
        except EOFError:  # the child died without a word
            child.join()
            if child.exitcode is not None and child.exitcode < 0:  # killed: by its memory
                raise TooDemanding(path, f"more than {limits.memory_mb} MB") from None
            raise MaterialError(path, "the reading process failed") from None
    finally:
        receive.close()
        if child.is_alive():
            child.kill()
        child.join()
    if kind == "error":
        raise value
    assert isinstance(value, LoadedDocument)
    return value


_starting = threading.Lock()


@contextmanager
def _main_unnamed() -> Iterator[None]:
    """While a child starts, the parent's `__main__` shows no module name or file, so the
    child does not import it again: `_read` lives in this module, and needs nothing there."""
    main = vars(sys.modules["__main__"]) if "__main__" in sys.modules else {}
    with _starting:
        saved: dict[str, object] = {n: main[n] for n in ("__spec__", "__file__") if n in main}
        main.pop("__file__", None)
        main["__spec__"] = None  # multiprocessing reads it, so it must be there
        try:
            yield
        finally:
            main.pop("__spec__")
            main.update(saved)


def _read(send: Connection, path: str, memory_mb: int) -> None:
    # Parsers' own complaints ("EOF marker not found") stay in the child: what went wrong
    # reaches the person as one line, through the parent.
    logging.disable(logging.CRITICAL)
    limit = memory_mb * MB
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        result: tuple[str, object] = ("ok", load(Path(path)))
    except MemoryError:
        result = ("error", TooDemanding(path, f"more than {memory_mb} MB"))
    except MaterialError as error:
        result = ("error", error)
    except Exception as error:  # noqa: BLE001 - told to the parent as a damaged file
        result = ("error", CorruptFile(path, type(error).__name__))
    try:
        send.send(result)
    except MemoryError:  # the document read, but is too big to hand over
        send.send(("error", TooDemanding(path, f"more than {memory_mb} MB")))
    finally:
        send.close()
