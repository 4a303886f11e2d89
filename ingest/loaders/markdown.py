"""Markdown, reStructuredText and plain-text loader: headings become the heading path."""

from __future__ import annotations

import re
from pathlib import Path

from . import markup
from .base import LoadedDocument, Outline
from .text import Paragraph, decode_text, squash

_ATX = re.compile(r" {0,3}(#{1,6})(?:\s+(.*?))?(?:\s+#+)?\s*$")
_SETEXT = re.compile(r" {0,3}(=+|-+)\s*$")
_ADORNMENT = re.compile(r"([!-/:-@\[-`{-~])\1+\s*$")  # an RST title underline or transition
_FENCE = re.compile(r"\s*(```|~~~)")
_QUOTE = re.compile(r"^\s*(?:>\s?)+")  # blockquote markers
_HARD = re.compile(r"\s*(?:[-*+•]\s|\d+[.)]\s|\||:?[A-Z][\w-]*:\s)")  # list item, table row, field
_TITLE_FIELD = re.compile(r":?Title:\s+(\S.*)")  # PEP-style header: "Title: ..."
_REF_DEF = re.compile(r" {0,3}\[([^\]]+)\]:\s*\S")


def load_markdown(path: Path) -> LoadedDocument:
    """Load a Markdown file."""
    return _parse(markup.strip_comments(_read(path)).splitlines(), "md")


def load_rst(path: Path) -> LoadedDocument:
    """Load a reStructuredText file."""
    return _parse(_read(path).splitlines(), "rst")


def load_text(path: Path) -> LoadedDocument:
    """Load plain text: no headings, and every line break is kept."""
    return _parse(_read(path).splitlines(), "txt")


def _read(path: Path) -> str:
    """The file's text, in whichever supported encoding it uses."""
    return decode_text(path.read_bytes(), path)


def _parse(lines: list[str], kind: str) -> LoadedDocument:
    """Split marked-up lines into heading blocks of cleaned paragraphs."""
    rules = _rules(lines, kind)
    outline, para = Outline(), Paragraph()
    levels: dict[str, int] = {}  # RST heading levels follow the order adornments first appear
    title, i = _front_matter(lines) if kind == "md" else ("", 0)
    fenced = False

    def flush() -> None:
        text = para.pop()
        outline.paragraph(text if fenced else markup.clean(rules, text))

    while i < len(lines):
        line = _QUOTE.sub("", lines[i]) if kind == "md" and not fenced else lines[i]
        i += 1
        if kind == "md" and _FENCE.match(line):
            flush()  # a code block is a paragraph of its own
            fenced = not fenced
        elif not line.strip():
            flush()
        elif fenced or kind == "txt":
            para.add(line.rstrip(), hard=True)
        elif heading := _heading(lines, i - 1, kind, levels):
            flush()
            level, text, used = heading
            outline.heading(level, squash(markup.clean(rules, text)))
            i += used - 1
        elif not _is_decoration(line, kind):
            if kind == "rst" and not outline.first_heading and (m := _TITLE_FIELD.match(line)):
                title = title or m[1].strip()
            row = line.lstrip().startswith("|")
            hard = row or " | " in line or bool(_HARD.match(line))
            para.add(_table_row(line) if row else line.strip(), hard=hard)
    flush()
    return outline.finish(title or outline.first_h1)


def _heading(
    lines: list[str], i: int, kind: str, levels: dict[str, int]
) -> tuple[int, str, int] | None:
    """The heading starting at line i, as (level, text, lines used), or None."""
    line, below = lines[i], lines[i + 1] if i + 1 < len(lines) else ""
    if kind == "md":
        if m := _ATX.match(line):
            return len(m[1]), m[2] or "", 1
        if (m := _SETEXT.match(below)) and not (_HARD.match(line) or _is_decoration(line, kind)):
            return (1 if m[1][0] == "=" else 2), line.strip(), 2
        return None
    title, underline = line.rstrip(), below.rstrip()
    overlined = i + 2 < len(lines) and lines[i + 2].rstrip() == title and below.strip()
    if _ADORNMENT.match(title) and overlined and not _ADORNMENT.match(underline):
        key, title, used = "over" + title[0], below.strip(), 3
    elif _ADORNMENT.match(title) or line[:1].isspace() or not _ADORNMENT.match(underline):
        return None
    elif len(underline) < len(title):
        return None
    else:
        key, used = underline[0], 2
    return levels.setdefault(key, len(levels) + 1), title, used


def _is_decoration(line: str, kind: str) -> bool:
    """A line without text: a rule, a table alignment row, a link definition or a directive."""
    if kind == "rst":
        # an adornment here is a transition: title underlines were consumed with their titles
        return bool(markup.RST_SKIP.match(line) or _ADORNMENT.match(line))
    compact = "".join(line.split())
    if len(compact) >= 3 and compact[0] in "-*_" and compact == compact[0] * len(compact):
        return True
    return bool(_REF_DEF.match(line)) or ("---" in compact and not compact.strip("|:-"))


def _front_matter(lines: list[str]) -> tuple[str, int]:
    """The title in YAML front matter and the number of lines it takes ("", 0 if none)."""
    if not lines or lines[0].strip() != "---":
        return "", 0
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            titles = [ln[6:].strip(" \"'") for ln in lines[1:end] if ln.startswith("title:")]
            return (titles[0] if titles else ""), end + 1
    return "", 0


def _rules(lines: list[str], kind: str) -> list[markup.Rule]:
    """The inline clean-up rules for this kind of file."""
    if kind != "md":
        return markup.RST if kind == "rst" else []
    labels = {m[1].lower() for m in map(_REF_DEF.match, lines) if m}
    # "[label]" is a link only when a definition for the label exists somewhere in the file
    shortcut: markup.Rule = (
        markup.SHORTCUT_LINK,
        lambda m: m[1] if m[1].lower() in labels else m[0],
    )
    return [*markup.MARKDOWN, shortcut]


def _table_row(line: str) -> str:
    """`| a | b |` -> `a | b`."""
    return " | ".join(cell.strip() for cell in line.strip().strip("|").split("|"))
