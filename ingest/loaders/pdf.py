"""PDF loader (pypdf): one Section per page, wrapped lines re-joined into paragraphs."""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError

from knowledge.errors import EncryptedFile

from .base import LoadedDocument, Section
from .text import Paragraph, squash

_SHORT_LINE = 0.7  # a line under 70% of the page's longest line ends its paragraph


def load(path: Path) -> LoadedDocument:
    """Load a PDF; pages without a text layer (scans) contribute nothing."""
    reader = PdfReader(path)
    if reader.is_encrypted:
        _unlock(reader, path)
    sections = []
    try:
        for number, page in enumerate(reader.pages, start=1):
            text = page_text(page.extract_text() or "")
            if text:
                sections.append(Section(text, (), page=number))
    except FileNotDecryptedError as error:
        raise EncryptedFile(path) from error
    return LoadedDocument("", sections)


def _unlock(reader: PdfReader, path: Path) -> None:
    """Open a PDF that is encrypted with an empty user password, or raise EncryptedFile."""
    try:
        unlocked = reader.decrypt("")
    except DependencyError as error:  # AES needs the optional `cryptography` package
        raise EncryptedFile(path, "AES encryption needs the 'cryptography' package") from error
    if not unlocked:
        raise EncryptedFile(path)


def page_text(raw: str) -> str:
    """Normalise whitespace and re-join a page's wrapped lines into paragraphs."""
    lines = [squash(line) for line in raw.splitlines()]
    longest = max(map(len, lines), default=0)
    para, paragraphs = Paragraph(), []
    for line in lines:
        if line:
            para.add(line)
        # PDFs have no paragraph marks: a blank or clearly short line is a paragraph's last
        if not line or len(line) < _SHORT_LINE * longest:
            paragraphs.append(para.pop())
    paragraphs.append(para.pop())
    return "\n\n".join(p for p in paragraphs if p)
