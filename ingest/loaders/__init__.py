"""File loaders: turn one course file into a title and plain-text sections.

`load(path)` picks the loader registered for the file's suffix. Whatever goes wrong with
the input, it raises a `knowledge.errors.MaterialError` naming the file, never a parser's
own exception.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from knowledge.errors import CorruptFile, EmptyDocument, MaterialError, UnsupportedType

from .base import LoadedDocument, Loader, Section

__all__ = ["SUFFIXES", "LoadedDocument", "Loader", "Section", "load", "loader_for"]

# suffix -> (module of this package, its function); a parser (pypdf, python-docx, bs4) is
# imported when a file of its kind is first read, not by every command that lists suffixes
_LOADERS: dict[str, tuple[str, str]] = {
    ".md": ("markdown", "load_markdown"),
    ".markdown": ("markdown", "load_markdown"),
    ".rst": ("markdown", "load_rst"),
    ".txt": ("markdown", "load_text"),
    ".text": ("markdown", "load_text"),
    ".html": ("html", "load"),
    ".htm": ("html", "load"),
    ".pdf": ("pdf", "load"),
    ".docx": ("docx", "load"),
    ".pptx": ("pptx", "load"),
}
SUFFIXES: frozenset[str] = frozenset(_LOADERS)
# Other OSErrors (e.g. zipfile seeking to a bad offset) come from damaged files.
_ACCESS_ERRORS = (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError)


def load(path: Path) -> LoadedDocument:
    """Load one file with the loader for its suffix; titles fall back to the file stem."""
    path = Path(path)
    loader = loader_for(path.suffix)
    if loader is None:
        raise UnsupportedType(path)
    try:
        document = loader(path)
    except (MaterialError, MemoryError):
        raise
    except _ACCESS_ERRORS as error:  # unreadable rather than damaged: say what the system said
        raise MaterialError(path, error.strerror or type(error).__name__) from error
    except Exception as error:  # parsers raise anything on malformed input (KeyError, zlib...)
        raise CorruptFile(path, _short(error)) from error
    if not document.sections:
        raise EmptyDocument(path)
    return LoadedDocument(document.title or path.stem, document.sections)


def loader_for(suffix: str) -> Loader | None:
    """The loader of files with this suffix, or None."""
    where = _LOADERS.get(suffix.lower())
    if where is None:
        return None
    loader: Loader = getattr(importlib.import_module(f"{__name__}.{where[0]}"), where[1])
    return loader


def _short(error: Exception) -> str:
    """A one-line description of a parser's exception, short enough for a user message."""
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 120 else text[:117] + "..."
