"""Markdown, reStructuredText and plain-text loader: headings become the heading path.

The lines of one paragraph are joined into one line (hard-wrapped source is common), while
list items, table rows, field lists and code keep their own lines.
"""

from __future__ import annotations

import re
from pathlib import Path

from . import markup
from .base import LoadedDocument, Outline
from .text import CJK_TEXT, Paragraph, decode_text, display_width, squash

_ATX = re.compile(r" {0,3}(#{1,6})(?:\s+(.*?))?(?:\s+#+)?\s*$")
_SETEXT = re.compile(r" {0,3}(=+|-+)\s*$")
_ADORNMENT = re.compile(r"([!-/:-@\[-`{-~])\1+\s*$")  # an RST title underline or transition
_FENCE = re.compile(r"\s*(```|~~~)")
_QUOTE = re.compile(r"^\s*(?:>\s?)+")  # blockquote markers
_LIST_ITEM = re.compile(r"\s*(?:[-*+•]|\d+[.)]|[A-Za-z][.)]|\(\w{1,3}\)|#\.)\s+")
# A line that starts a line of its own: list item, table row, "Field: value"
_HARD = re.compile(r"\s*(?:[-*+•]\s|\d+[.)]\s|\||:?[A-Z][\w-]*:\s)")
_TITLE_FIELD = re.compile(r":?Title:\s+(\S.*)")  # PEP-style header: "Title: ..."
_REF_DEF = re.compile(r" {0,3}\[(?!\^)([^\]]+)\]:\s*\S")
_TABLE_RULE = re.compile(r"\s*\|?(?:\s*:?-+:?\s*\|)+\s*(?::?-+:?\s*)?$")  # |---|:--:|
_FRONT_MATTER = {"---": ("---", "..."), "+++": ("+++",)}

# Plain text: which line breaks are wraps. A line starts a line of its own after a short
# line (under _SHORT of the file's wrap width) or a line too long to be a wrapped one.
_TEXT_HARD = re.compile(
    r"\s*(?:[-*+•]\s|\d+(?:\.\d+)*[.)、]\s|\d+(?:\.\d+)+\s|\(\w{1,3}\)|[（(][一二三四五六七八九十百]+[）)]"
    r"|[一二三四五六七八九十百]+、|第[一二三四五六七八九十百千零〇\d]+[条章节编款项]|\||#)"
)
_SENTENCE_END = re.compile(r"[.!?:;。！？：；][\"'”’」』)）\]]*$")
_SHORT = 0.7
_MAX_WRAP = 120  # display columns; longer lines are paragraphs of their own, not wraps
_MIN_WRAP = 40

# reStructuredText block markup.
_EXPLICIT = re.compile(r"(\s*)\.\.(?:\s+(.*))?$")  # ".. something" starts markup or a comment
_DIRECTIVE = re.compile(r"([\w:+-]+)::(?:\s+(.*))?$")
_SUBSTITUTION_DEF = re.compile(r"\|([^|]+)\|\s+([\w:-]+)::\s*(.*)$")
_TARGET = re.compile(r"(?:_[^:]*:|__(?:\s|:|$))")
_FOOTNOTE = re.compile(r"\[([^\]]+)\]\s*(.*)$")
_OPTION = re.compile(r"\s*:[\w .-]+:(?:\s.*)?$")
_RST_FIELD = re.compile(r"(\s*):([^:`\s][^:`]*?):(?:\s+(.*))?$")
_SIMPLE_TABLE = re.compile(r"\s*=+(?:\s+=+)+\s*$")
_RST_TABLE_RULE = re.compile(r"\s*(?:\+(?:[-=]+\+)+|[=-]+(?:\s+[=-]+)+)\s*$")
# Directives whose content is not text for a reader, and those whose content is code.
_SKIP_DIRECTIVES = frozenset(
    {
        "toctree",
        "image",
        "include",
        "literalinclude",
        "raw",
        "contents",
        "sectnum",
        "meta",
        "index",
        "highlight",
        "default-role",
        "role",
        "title",
        "autosummary",
        "automodule",
        "autoclass",
        "autofunction",
        "graphviz",
        "math",
        "only",
        "ifconfig",
        "tabularcolumns",
        "currentmodule",
        "module",
        "target-notes",
        "footer",
        "header",
    }
)
_CODE_DIRECTIVES = frozenset({"code", "code-block", "sourcecode", "parsed-literal", "doctest"})
# Directives whose argument is text (".. note:: Keep it short."), not a path or a language.
_TEXT_ARGUMENTS = frozenset(
    "note tip hint important warning caution attention danger error seealso todo admonition"
    " topic sidebar rubric centered deprecated versionadded versionchanged".split()
)


def load_markdown(path: Path) -> LoadedDocument:
    """Load a Markdown file."""
    return _parse(markup.strip_comments(_read(path)).splitlines(), "md")


def load_rst(path: Path) -> LoadedDocument:
    """Load a reStructuredText file."""
    return _parse(_read(path).splitlines(), "rst")


def load_text(path: Path) -> LoadedDocument:
    """Load plain text: no headings; wrapped lines are joined, short lines end a line."""
    return _parse(_read(path).splitlines(), "txt")


def _read(path: Path) -> str:
    """The file's text, in whichever supported encoding it uses."""
    return decode_text(path.read_bytes(), path)


def _parse(lines: list[str], kind: str) -> LoadedDocument:
    """Split marked-up lines into heading blocks of cleaned paragraphs."""
    literal: set[int] = set()
    values: dict[str, str] = {}
    if kind == "rst":
        lines, literal = _rst_blocks(lines, values)
    rules = _rules(lines, kind, values)
    outline, para = Outline(), Paragraph()
    levels: dict[str, int] = {}  # RST heading levels follow the order adornments first appear
    title, i = _front_matter(lines) if kind == "md" else ("", 0)
    width = _wrap_width(lines) if kind == "txt" else 0
    fenced = code = False  # in a fenced block; in a literal (indented or directive) block
    prev = ""  # the previous line of the current paragraph, as written
    listed = False  # the last paragraph was a list (its indented lines are not code)

    def flush() -> None:
        text = para.pop()
        if not (fenced or code):
            lines_ = (squash(ln) for ln in markup.clean(rules, text).split("\n"))
            text = "\n".join(ln for ln in lines_ if ln)  # inline HTML may leave empty lines
        outline.paragraph(text)

    while i < len(lines):
        line = _QUOTE.sub("", lines[i]) if kind == "md" and not fenced else lines[i]
        i += 1
        is_code = (i - 1) in literal or (
            kind == "md" and not fenced and _indented_code(line, prev, code, listed)
        )
        if is_code != code:
            flush()
            code = is_code
        if kind == "md" and _FENCE.match(line):
            flush()  # a code block is a paragraph of its own
            fenced, prev = not fenced, ""
        elif not line.strip():
            if not code:
                flush()
                prev = ""
            else:
                para.add("", hard=True)
        elif fenced or code:
            para.add(line[4:].rstrip() if kind == "md" and code else line.rstrip(), hard=True)
        elif kind == "txt":
            para.add(line.strip(), hard=_text_hard(prev, line, width))
            prev = line
        elif heading := _heading(lines, i - 1, kind, levels):
            flush()
            level, text, used = heading
            outline.heading(level, squash(markup.clean(rules, text)))
            i += used - 1
            prev = ""
        elif not _is_decoration(line, kind):
            if kind == "rst" and not outline.first_heading and (m := _TITLE_FIELD.match(line)):
                title = title or m[1].strip()
            if not prev:
                listed = bool(_LIST_ITEM.match(line))
            hard = _md_hard(prev, line) if kind == "md" else _rst_hard(prev, line)
            prev, row = line, _is_row(line, kind)
            if kind == "rst" and (field := _RST_FIELD.match(line)):
                line = f"{field[2]}: {field[3] or ''}"  # ":Author: Ann" -> "Author: Ann"
            para.add(_table_row(line) if row else line.strip(), hard=hard)
    flush()
    return outline.finish(title or outline.first_h1)


def _md_hard(prev: str, line: str) -> bool:
    """Whether a Markdown line starts a line of its own rather than continuing `prev`."""
    if not prev:
        return True
    if prev.endswith(("  ", "\\")):  # a Markdown hard line break
        return True
    return " | " in line or line.lstrip().startswith("|") or bool(_HARD.match(line))


def _rst_hard(prev: str, line: str) -> bool:
    """Whether an RST line starts a line of its own rather than continuing `prev`."""
    if not prev or _is_row(line, "rst") or " | " in line:
        return True
    if (_HARD.match(line) and not line.lstrip().startswith("|")) or _RST_FIELD.match(line):
        return True
    # Within one paragraph a change of indentation is structure: a definition under its
    # term, the next term after a definition. Only a list item's or a field's body may be
    # indented deeper than its first line.
    indent, before = _indent(line), _indent(prev)
    structured = _LIST_ITEM.match(prev) or _RST_FIELD.match(prev) or _HARD.match(prev)
    return indent < before or (indent > before and not structured)


def _text_hard(prev: str, line: str, width: int) -> bool:
    """Whether a plain-text line starts a line of its own rather than continuing `prev`."""
    if not prev or _TEXT_HARD.match(line):
        return True
    last, first = prev.rstrip()[-1], line.lstrip()[0]
    if first.islower() and not _SENTENCE_END.search(prev):
        return False  # "... are\nkept for three years": nothing else reads like that
    if CJK_TEXT.match(last) and CJK_TEXT.match(first) and not _SENTENCE_END.search(prev):
        columns = display_width(prev.strip())
        return columns > _MAX_WRAP or columns < _SHORT * width  # a CJK wrap ends mid-phrase
    columns = display_width(prev.strip())
    if columns > _MAX_WRAP or columns < max(_SHORT * width, _MIN_WRAP):
        return True
    return prev.rstrip().endswith((":", "："))


def _wrap_width(lines: list[str]) -> int:
    """The width a hard-wrapped text file is wrapped at: its long lines' usual length."""
    widths = sorted(w for w in (display_width(ln.strip()) for ln in lines) if 0 < w <= _MAX_WRAP)
    return widths[int(len(widths) * 0.9)] if widths else _MAX_WRAP


def _is_row(line: str, kind: str) -> bool:
    """A table row ("| a | b |") or, in RST, a line block ("| line"), not "|name| text"."""
    text = line.strip()
    if kind != "rst":
        return text.startswith("|")
    return text.startswith("| ") or (text.startswith("|") and text.endswith("|") and " | " in text)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _indented_code(line: str, prev: str, code: bool, listed: bool) -> bool:
    """A Markdown line of an indented code block (four spaces, after a blank line)."""
    if not line.strip():
        return code  # blank lines inside a code block belong to it
    indented = line.startswith(("    ", "\t"))
    return indented and (code or (not prev and not listed))


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
    """A line without text: a rule, a table border, a link definition or a directive."""
    if kind == "rst":
        # an adornment here is a transition: title underlines were consumed with their titles
        return line.strip() == "::" or bool(
            markup.RST_SKIP.match(line) or _ADORNMENT.match(line) or _RST_TABLE_RULE.match(line)
        )
    compact = "".join(line.split())
    if len(compact) >= 3 and compact[0] in "-*_" and compact == compact[0] * len(compact):
        return True
    return bool(_REF_DEF.match(line) or _TABLE_RULE.match(line))


def _front_matter(lines: list[str]) -> tuple[str, int]:
    """The title in YAML (---) or TOML (+++) front matter and the lines it takes."""
    ends = _FRONT_MATTER.get(lines[0].strip()) if lines else None
    if not ends:
        return "", 0
    for end in range(1, len(lines)):
        if lines[end].strip() in ends:
            fields = (re.match(r"title\s*[:=]\s*(.*)", ln) for ln in lines[1:end])
            titles = [m[1].strip(" \"'") for m in fields if m]
            return (titles[0] if titles else ""), end + 1
    return "", 0


def _rules(lines: list[str], kind: str, values: dict[str, str]) -> list[markup.Rule]:
    """The inline clean-up rules for this kind of file."""
    if kind == "rst":
        return [markup.substitutions(values), *markup.RST]
    if kind != "md":
        return []
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


def _rst_blocks(lines: list[str], values: dict[str, str]) -> tuple[list[str], set[int]]:
    """Resolve RST explicit markup: keep the text of admonitions, footnotes and code.

    Comments, hyperlink targets (`.. _label:`), substitution definitions and directives
    such as toctree or image go; a directive's option lines (`:alt: ...`) go with it.
    Returns the lines left and the indexes of those that are code (literal blocks).
    """
    out: list[str] = []
    literal: set[int] = set()
    i = 0
    while i < len(lines):
        line = lines[i]
        m = _EXPLICIT.match(line)
        if _SIMPLE_TABLE.match(line):
            i = _simple_table(lines, i, out)
            continue
        if m is None:
            out.append(line)
            i += 1
            if line.rstrip().endswith("::") and not _ADORNMENT.match(line):
                item = _LIST_ITEM.match(line)
                base = item.end() - 1 if item else _indent(line)
                i = _literal_block(lines, i, base, out, literal)
            continue
        base, rest = len(m[1]), (m[2] or "").strip()
        end = i + 1
        while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) > base):
            end += 1
        body = _dedent(lines[i + 1 : end])
        i = end
        out.append("")
        if _TARGET.match(rest) or not rest:
            pass  # a hyperlink target or an empty comment
        elif sub := _SUBSTITUTION_DEF.match(rest):
            name, directive, text = sub[1], sub[2].lower(), sub[3]
            if directive == "replace":
                values[name] = squash(" ".join([text, *body]))
            else:  # an image or a character: there is no text to show
                values[name] = ""
        elif note := _FOOTNOTE.match(rest):
            out.extend([note[2], *body])
        elif directive := _DIRECTIVE.match(rest):
            name = directive[1].lower()
            options = 0
            while options < len(body) and _OPTION.match(body[options]):
                options += 1
            body = body[options:]
            if name in _CODE_DIRECTIVES:
                start = len(out)
                out.extend(body)
                literal.update(range(start, len(out)))
            elif name not in _SKIP_DIRECTIVES:
                if directive[2] and name in _TEXT_ARGUMENTS:
                    out.append(directive[2])
                nested, inner = _rst_blocks(body, values)
                start = len(out)
                out.extend(nested)
                literal.update(start + n for n in inner)
        # anything else after ".." is a comment
        out.append("")
    return out, literal


def _simple_table(lines: list[str], i: int, out: list[str]) -> int:
    """Rewrite an RST simple table (columns under "=====  =====") as "| a | b |" rows."""
    columns = [m.start() for m in re.finditer(r"=+", lines[i])]
    borders, j = 0, i
    while j < len(lines) and lines[j].strip():
        if _SIMPLE_TABLE.match(lines[j]) or _RST_TABLE_RULE.match(lines[j]):
            borders += 1
        else:
            row = lines[j]
            ends = [*columns[1:], len(row)]
            cells = [row[a:b].strip() for a, b in zip(columns, ends, strict=True)]
            out.append("| " + " | ".join(cells) + " |")
        j += 1
        if borders == 3:
            break
    return j


def _literal_block(lines: list[str], i: int, base: int, out: list[str], literal: set[int]) -> int:
    """Copy the indented block after a "::" paragraph as code; return the next line index."""
    end = i
    while end < len(lines) and not lines[end].strip():
        end += 1
    if end == len(lines) or _indent(lines[end]) <= base:
        return i  # no literal block follows after all
    stop = end
    while stop < len(lines) and (not lines[stop].strip() or _indent(lines[stop]) > base):
        stop += 1
    out.append("")
    start = len(out)
    out.extend(_dedent(lines[end:stop]))
    while out and not out[-1].strip():
        out.pop()
    literal.update(range(start, len(out)))
    out.append("")
    return stop


def _dedent(block: list[str]) -> list[str]:
    """Remove the indentation the block's lines share."""
    depth = min((_indent(ln) for ln in block if ln.strip()), default=0)
    return [ln[depth:] for ln in block]
