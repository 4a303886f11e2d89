"""HTML loader: h1-h6 build the heading path; scripts, styles and navigation are dropped.

Pages are parsed as browsers parse them (html5lib), so a page that leaves out optional tags
such as </head> and <body> still has a body. Tables of contents, the dfn panels and the
index and reference lists that Bikeshed puts at the end of a specification are dropped.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from bs4 import BeautifulSoup
from bs4.dammit import EncodingDetector
from bs4.element import NavigableString, PreformattedString, Tag

from .base import LoadedDocument, Outline
from .text import decode_text, squash

# Generated lists that answer no question: tables of contents, indexes, references.
_DROP_IDS = frozenset(
    {
        "toc",
        "index",
        "index-defined-here",
        "index-defined-elsewhere",
        "references",
        "normative",
        "informative",
        "issues-index",
        "idl-index",
        "property-index",
    }
)
_DROP_CLASSES = frozenset({"toc", "dfn-panel", "self-link"})
_LISTS = frozenset({"ul", "ol", "dl"})  # a list of class "index" is an index of terms
_DROP_FILLS = frozenset(
    {"table-of-contents", "index", "references", "issues-index", "idl-index", "property-index"}
)
_ANCHOR_MARKS = " §¶"  # self-link symbols some generators put beside a heading
# Declared charsets as browsers read them: GB2312 pages hold GBK (or wider), Latin-1 is cp1252.
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "iso8859-1": "cp1252", "ascii": "cp1252"}

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
    soup = BeautifulSoup(_decode(path), "html5lib")
    walker = _Walker()
    walker.walk(soup)
    walker.end_paragraph()
    title = squash(soup.title.get_text()) if soup.title else ""
    return walker.outline.finish(title or walker.outline.first_h1)


def _decode(path: Path) -> str:
    """The page's text: in its declared charset, else UTF-8 or GB18030 (html5lib would guess
    windows-1252 for a page that declares nothing)."""
    data = path.read_bytes()
    declared = EncodingDetector.find_declared_encoding(data, is_html=True)
    if declared:
        try:
            name = codecs.lookup(declared).name
            name = _SUPERSETS.get(name, name)
            return data.decode(name, errors="replace")
        except LookupError:
            pass  # an unknown charset name: detect it as if none were declared
    return decode_text(data, path)


class _Walker:
    """One pass over the tree: blocks become paragraphs, list items and table rows lines."""

    def __init__(self) -> None:
        self.outline = Outline()
        self._lines: list[str] = []
        self._words: list[str] = []
        self._skip_below: int | None = None  # inside a dropped section headed at this level
        self._numbers: list[int] = [0]  # the last item number of each open <ol>

    def walk(self, node: Tag) -> None:
        """Visit the children of `node` in document order."""
        for child in node.children:
            self._visit(child)

    def _visit(self, child: object) -> None:
        if isinstance(child, NavigableString):
            # comments, doctypes and CDATA are PreformattedStrings
            if self._skip_below is None and not isinstance(child, PreformattedString):
                self._words.append(child)
        elif not isinstance(child, Tag) or _dropped(child):
            return
        elif level := _HEADINGS.get(child.name):
            self.end_paragraph()
            if self._skip_below is not None and level <= self._skip_below:
                self._skip_below = None
            if child.get("id") in _DROP_IDS:
                self._skip_below = level  # an index heading: skip until the next section
            elif self._skip_below is None:
                self.outline.heading(level, _heading_text(child))
        elif self._skip_below is not None:
            self.walk(child)  # only looking for the heading that ends the skip
        elif child.name == "pre":  # keep the line breaks of preformatted text
            self.end_paragraph()
            self.outline.paragraph(_text(child, squashed=False))
        elif child.name == "tr":
            self._end_line()
            cells = child.find_all(("td", "th"), recursive=False)
            self._words.append(" | ".join(_text(cell) for cell in cells))
            self._end_line()
        elif child.name in _LINES or child.name in _BLOCKS:
            end = self._end_line if child.name in _LINES else self.end_paragraph
            end()
            if child.name == "ol":  # items keep the numbers a reader sees ("option 2")
                start = child.get("start")
                first = int(start) if isinstance(start, str) and start.strip().isdigit() else 1
                self._numbers.append(first - 1)
            elif child.name == "li" and child.parent is not None and child.parent.name == "ol":
                self._numbers[-1] += 1
                self._words.append(f"{self._numbers[-1]}. ")
            self.walk(child)
            if child.name == "ol":
                self._numbers.pop()
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


def _dropped(tag: Tag) -> bool:
    """Scripts, navigation, tables of contents, indexes, dfn panels and self-links."""
    if tag.name in _DROP or tag.get("data-fill-with") in _DROP_FILLS:
        return True
    ident = tag.get("id")
    if ident == "toc" or (tag.name == "section" and ident in _DROP_IDS):
        return True  # (a heading with such an id starts a skip instead; see _Walker)
    classes = tag.get("class") or ()
    if tag.name in _LISTS and "index" in classes:
        return True
    return any(name in _DROP_CLASSES for name in classes)


def _text(tag: Tag, squashed: bool = True) -> str:
    """The text of `tag` without the parts a reader would not see as text."""
    parts: list[str] = []

    def collect(node: Tag) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                if not isinstance(child, PreformattedString):
                    parts.append(child)
            elif isinstance(child, Tag) and not _dropped(child):
                block = child.name in _LINES or child.name in _BLOCKS
                if block:  # <br>, <p> in a cell: words on both sides stay apart
                    parts.append("\n")
                collect(child)
                if block:
                    parts.append("\n")

    collect(tag)
    text = "".join(parts)
    return squash(text) if squashed else text


def _heading_text(tag: Tag) -> str:
    """A heading as a reader sees it: "4.1. Title", without a self-link's § or ¶."""
    return _text(tag).strip(_ANCHOR_MARKS)
