"""The documents every loader returns, and the outline builder most of them share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Section:
    text: str  # plain text; paragraphs separated by "\n\n"
    heading_path: tuple[str, ...]  # headings above this text, outermost first
    page: int | None = None  # 1-based PDF page or PPTX slide number


@dataclass(frozen=True)
class LoadedDocument:
    title: str
    sections: list[Section]


Loader = Callable[[Path], LoadedDocument]


class Outline:
    """Collects paragraphs into one Section per heading block, tracking the heading path."""

    def __init__(self) -> None:
        self.sections: list[Section] = []
        self.first_heading = ""
        self.first_h1 = ""
        self._stack: list[tuple[int, str]] = []
        self._paragraphs: list[str] = []

    def heading(self, level: int, text: str) -> None:
        """Start a new block under `text`; it replaces any heading at the same or a deeper level."""
        if not text:
            return
        self._flush()
        while self._stack and self._stack[-1][0] >= level:
            self._stack.pop()
        self._stack.append((level, text))
        self.first_heading = self.first_heading or text
        if level == 1 and not self.first_h1:
            self.first_h1 = text

    def paragraph(self, text: str) -> None:
        """Add a paragraph to the current block; blank ones are ignored."""
        text = text.strip("\n").rstrip()  # keep a code line's leading indentation
        if text.strip():
            self._paragraphs.append(text)

    def finish(self, title: str = "") -> LoadedDocument:
        """Close the last block and return the document."""
        self._flush()
        return LoadedDocument(title, self.sections)

    def _flush(self) -> None:
        """Turn the paragraphs collected so far into a Section (none if there are none)."""
        if self._paragraphs:
            path = tuple(text for _, text in self._stack)
            self.sections.append(Section("\n\n".join(self._paragraphs), path))
            self._paragraphs = []
