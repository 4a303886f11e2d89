"""HTML loader: h1-h6 build the heading path; scripts, styles and navigation are dropped."""

from __future__ import annotations

from pathlib import Path

from bs4 import BeautifulSoup
from bs4.element import NavigableString, PreformattedString, Tag

from .base import LoadedDocument, Outline
from .text import squash

_DROP = frozenset(
    {"script", "style", "nav", "noscript", "template", "head", "title", "svg", "iframe"}
)
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
# Elements whose content starts a new line; lists stay one paragraph with one line per item.
_LINES = frozenset({"li", "dt", "dd", "br", "ul", "ol", "dl", "caption"})
_BLOCKS = frozenset(
    {
        "p",
        "div",
        "section",
        "article",
        "main",
        "header",
        "footer",
        "aside",
        "blockquote",
        "table",
        "figure",
        "figcaption",
        "address",
        "hr",
        "form",
        "fieldset",
        "details",
        "summary",
    }
)


def load(path: Path) -> LoadedDocument:
    """Load an HTML file; the <title> or else the first <h1> is the title."""
    soup = BeautifulSoup(path.read_bytes(), "html.parser")  # bytes: bs4 honours <meta charset>
    walker = _Walker()
    walker.walk(soup)
    walker.end_paragraph()
    title = squash(soup.title.get_text()) if soup.title else ""
    return walker.outline.finish(title or walker.outline.first_h1)


class _Walker:
    """One pass over the tree: blocks become paragraphs, list items and table rows lines."""

    def __init__(self) -> None:
        self.outline = Outline()
        self._lines: list[str] = []
        self._words: list[str] = []

    def walk(self, node: Tag) -> None:
        """Visit the children of `node` in document order."""
        for child in node.children:
            if isinstance(child, NavigableString):
                if not isinstance(child, PreformattedString):  # comments, doctypes, CDATA
                    self._words.append(child)
            elif not isinstance(child, Tag) or child.name in _DROP:
                continue
            elif level := _HEADINGS.get(child.name):
                self.end_paragraph()
                self.outline.heading(level, squash(child.get_text()))
            elif child.name == "pre":  # keep the line breaks of preformatted text
                self.end_paragraph()
                self.outline.paragraph(child.get_text())
            elif child.name == "tr":
                self._end_line()
                cells = child.find_all(("td", "th"), recursive=False)
                self._words.append(" | ".join(squash(cell.get_text(" ")) for cell in cells))
                self._end_line()
            elif child.name in _LINES or child.name in _BLOCKS:
                end = self._end_line if child.name in _LINES else self.end_paragraph
                end()
                self.walk(child)
                end()
            else:
                self.walk(child)

    def end_paragraph(self) -> None:
        """Hand the lines collected so far to the outline as one paragraph."""
        self._end_line()
        if self._lines:
            self.outline.paragraph("\n".join(self._lines))
            self._lines = []

    def _end_line(self) -> None:
        """Close the current line, collapsing the whitespace HTML does not render."""
        line = squash("".join(self._words))
        self._words = []
        if line:
            self._lines.append(line)
