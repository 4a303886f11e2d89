"""Replies as Telegram HTML: LLM Markdown converted, sources listed, long messages split."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence
from html import unescape

from knowledge.answering.models import Citation
from knowledge.vocabulary import has_cjk

_LABELS = {"en": ("Sources", "See also", "No sources."), "zh": ("出处", "另见", "没有出处。")}

_INLINE = re.compile(
    r"(?P<esc>\\[\\`*_~\[\]()#>|!.+-])"
    r"|(?P<tick>`+)(?P<code>.+?)(?P=tick)"
    r"|\[(?P<label>[^\[\]\n]+)\]\((?P<href>[A-Za-z][\w+.-]*:[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)\)"
    r"|(?P<url>https?://[^\s<>()\[\]`*~]+)"
    r"|\*\*(?=\S)(?P<b>.+?)(?<=\S)\*\*(?!\*)"
    r"|(?<![A-Za-z0-9_])__(?=\S)(?P<b2>.+?)(?<=\S)__(?![A-Za-z0-9_])"
    r"|~~(?=\S)(?P<s>.+?)(?<=\S)~~"
    r"|(?<![A-Za-z0-9*])\*(?=[^\s*])(?P<i>[^*]+?)(?<=[^\s*])\*(?![A-Za-z0-9*])"
    r"|(?<![A-Za-z0-9_])_(?=[^\s_])(?P<i2>[^_]+?)(?<=[^\s_])_(?![A-Za-z0-9_])"
)
_SAFE_URL = re.compile(r"(?:https?|tg)://", re.IGNORECASE)
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})\s*([\w+#.-]*)[^`]*$")
_TABLE_RULE = re.compile(r"^(?=.*\|)\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$")
_QUOTE = re.compile(r"^ {0,3}> ?(.*)$")
_HEADING = re.compile(r"^ {0,3}#{1,6}\s+(.+?)(?:\s+#+)?\s*$")
_RULE = re.compile(r"^ {0,3}([-*_])(?: *\1){2,} *$")
_BULLET = re.compile(r"^(\s*)[-*+]\s+(.*)$")
_NUMBERED = re.compile(r"^(\s*)(\d{1,9})[.)]\s+(.*)$")

_TOKEN = re.compile(r"<[^>]*>|&#?\w+;|.", re.DOTALL)  # a tag, an entity, or one character
_TAG = re.compile(r"<[^>]*>")
_EMPTY_ELEMENT = re.compile(r"<([\w-]+)[^>]*></\1>")


def escape(text: str) -> str:
    """Make text safe as Telegram HTML content (not for attribute values)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain_text(html: str) -> str:
    """The visible text of Telegram HTML: tags dropped, entities decoded."""
    return unescape(_TAG.sub("", html))


def markdown_to_html(md: str) -> str:
    """Convert the Markdown an LLM writes into Telegram HTML; anything else is escaped."""
    lines = md.replace("\r\n", "\n").split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        if fence := _FENCE.match(lines[i]):
            closing = re.compile(rf"\s*{fence[1]}{fence[1][0]}*\s*")
            ends = (k for k in range(i + 1, len(lines)) if closing.fullmatch(lines[k]))
            end = next(ends, len(lines))  # an unclosed fence runs to the end
            out.append(_pre(textwrap.dedent("\n".join(lines[i + 1 : end])), fence[2]))
            i = end + 1
        elif "|" in lines[i] and i + 1 < len(lines) and _TABLE_RULE.match(lines[i + 1]):
            rows = (k for k in range(i + 2, len(lines)) if "|" not in lines[k])
            end = next(rows, len(lines))
            out.append(_pre("\n".join(row.rstrip() for row in lines[i:end])))
            i = end
        elif _QUOTE.match(lines[i]):
            end = next((k for k in range(i, len(lines)) if not _QUOTE.match(lines[k])), len(lines))
            quoted = "\n".join(_line(_QUOTE.sub(r"\1", line)) for line in lines[i:end]).strip("\n")
            out.append(f"<blockquote>{quoted}</blockquote>" if quoted.strip() else "")
            i = end
        else:
            out.append(_line(lines[i]))
            i += 1
    return "\n".join(out)


def _pre(body: str, lang: str = "") -> str:
    if not body.strip():
        return ""
    if lang:
        return f'<pre><code class="language-{escape(lang)}">{escape(body)}</code></pre>'
    return f"<pre>{escape(body)}</pre>"


def _line(line: str) -> str:
    """One line outside code blocks and tables."""
    if heading := _HEADING.match(line):
        return "<b>" + re.sub(r"</?b>", "", _inline(heading[1])) + "</b>"
    if _RULE.match(line):
        return "──────"
    if item := _BULLET.match(line):
        return f"{item[1]}• {_inline(item[2])}"
    if item := _NUMBERED.match(line):
        return f"{item[1]}{item[2]}. {_inline(item[3])}"
    return _inline(line)


def _inline(text: str, code: bool = True) -> str:
    """Inline Markdown; each match is rendered on its own, so the output is always balanced."""
    out, pos = [], 0
    for m in _INLINE.finditer(text):
        out += [escape(text[pos : m.start()]), _render(m, code)]
        pos = m.end()
    out.append(escape(text[pos:]))
    return "".join(out)


def _render(m: re.Match[str], code: bool) -> str:
    if m["esc"]:
        return escape(m["esc"][1])
    if m["tick"]:
        body = escape(m["code"].strip() or m["code"])
        return f"<code>{body}</code>" if code else body
    if m["label"]:
        label = _inline(m["label"], code=False)  # a link may not contain code
        if not _SAFE_URL.match(m["href"]):
            return label
        href = escape(m["href"]).replace('"', "&quot;")
        return f'<a href="{href}">{label}</a>'
    if m["url"]:
        return escape(m["url"])
    for group, tag in (("b", "b"), ("b2", "b"), ("s", "s"), ("i", "i"), ("i2", "i")):
        if m[group]:
            return f"<{tag}>{_inline(m[group], code)}</{tag}>"
    return escape(m[0])


def answer_html(
    text: str, citations: Sequence[Citation], lang: str, *, markdown: bool = False
) -> str:
    """The answer, then a compact list of the sources it cites and the other sources found."""
    body = markdown_to_html(text) if markdown else escape(text)
    labels = _LABELS["en" if lang == "en" else "zh"]
    cited = [c for c in citations if f"[{c.n}]" in text]
    further = [c for c in citations if c not in cited]
    lines: list[str] = []
    for heading, group in ((labels[0], cited), (labels[1], further)):
        if group:
            lines.append(f"<b>{heading}</b>")
            lines.extend(_source_line(c, lang) for c in group)
    return body + "\n\n" + "\n".join(lines) if lines else body


def _source_line(c: Citation, lang: str) -> str:
    """A short human title ("《标准化法》· 五类标准"), never the file name."""
    section = c.section.split(" > ")[-1]  # the full heading path is in the Sources view
    parts = (_clip(human_title(c, lang), 60), _clip(section, 40), _page(c))
    return f"[{c.n}] " + escape(" · ".join(p for p in parts if p))


def human_title(c: Citation, lang: str) -> str:
    """A bilingual title ("中文 / English") in the reader's language; the file name only when
    a document has no title at all."""
    parts = [p.strip() for p in c.title.split(" / ") if p.strip()]
    if len(parts) == 2:
        zh_first = has_cjk(parts[0]) and not has_cjk(parts[1])
        mine = parts[0] if (lang == "zh") == zh_first else parts[1]
        return mine
    return c.title or c.doc


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _page(c: Citation) -> str:
    return f"p. {c.page}" if c.page is not None else ""


def sources_html(citations: Sequence[Citation], lang: str) -> str:
    """The full sources view: each citation's title, where it is, and the quoted passage."""
    if not citations:
        return escape(_LABELS["en" if lang == "en" else "zh"][2])
    blocks = []
    for c in citations:
        where = escape(" · ".join(p for p in (c.section, _page(c)) if p))
        quote = escape(c.snippet.strip())
        opening = "<blockquote expandable>" if len(quote) > 300 else "<blockquote>"
        quote = quote and f"{opening}{quote}</blockquote>"
        lines = (f"<b>[{c.n}] {escape(human_title(c, lang))}</b>", where, quote)
        blocks.append("\n".join(line for line in lines if line))
    return "\n\n".join(blocks)


def _units(text: str) -> int:  # Telegram counts UTF-16 code units
    return len(text.encode("utf-16-le")) // 2


def _is_tag(atom: str) -> bool:
    return len(atom) > 1 and atom[0] == "<"


def _apply(stack: list[tuple[str, str]], tag: str) -> None:
    """Track the open elements (opening tag, name) of valid HTML."""
    if tag.startswith("</"):
        del stack[-1:]
    else:
        stack.append((tag, (tag[1:-1].split() or ["?"])[0].lower()))


def split_html(html: str, limit: int = 4096) -> list[str]:
    """Split Telegram HTML into self-contained parts of at most `limit` UTF-16 units."""
    if limit < 16:
        raise ValueError("limit must be at least 16")
    if _units(html) <= limit:
        return [html] if plain_text(html).strip() else []
    atoms = _TOKEN.findall(html)
    parts: list[str] = []
    stack: list[tuple[str, str]] = []
    i = 0
    while i < len(atoms):
        while i < len(atoms) and atoms[i] == "\n":
            i += 1
        if i == len(atoms):
            break
        prefix = "".join(opening for opening, _ in stack)
        j = _best_cut(atoms, i, stack, limit - _units(prefix))
        bare = j == i  # the open tags leave no room for text: this stretch goes out unformatted
        j = _best_cut(atoms, i, [], limit, bare=True) if bare else j
        if j == i:
            raise ValueError(f"cannot fit {atoms[i]!r} into {limit} units")
        body = atoms[i:j]
        for atom in filter(_is_tag, body):
            _apply(stack, atom)
        body = [atom for atom in body if not _is_tag(atom)] if bare else body
        while body and body[-1].isspace():
            body.pop()
        part = "".join(body)
        if not bare:
            part = prefix + part + "".join(f"</{name}>" for _, name in reversed(stack))
        while (emptied := _EMPTY_ELEMENT.sub("", part)) != part:
            part = emptied
        if plain_text(part).strip():
            parts.append(part)
        i = j
    return parts


def _best_cut(
    atoms: list[str], start: int, stack: list[tuple[str, str]], budget: int, bare: bool = False
) -> int:
    """Index just past the best end for a part starting at `start`; `start` if nothing fits.

    Ranks: blank line, line break, sentence end, space, anywhere. The best rank whose last
    fitting cut fills at least half the budget wins; else the last fitting cut.
    """
    stack = list(stack)
    used, last = 0, ("", "")
    best: dict[int, tuple[int, int]] = {}
    for j in range(start, len(atoms)):
        atom = atoms[j]
        used += 0 if bare and _is_tag(atom) else _units(atom)
        if used > budget:
            break
        if _is_tag(atom):
            _apply(stack, atom)
        else:
            last = (last[1], atom)
        fill = used + (0 if bare else sum(len(name) + 3 for _, name in stack))
        if j + 1 == len(atoms):
            if fill <= budget:
                return len(atoms)
            break
        after = atoms[j + 1]
        opening = _is_tag(atom) and not atom.startswith("</")
        if fill > budget or opening or after.startswith("</"):
            continue
        prev2, prev = last
        sentence = prev != "" and (prev in "。！？" or (prev in ".!?" and after.isspace()))
        kinds = (prev == "\n" == prev2, prev == "\n", sentence, prev.isspace(), True)
        best.update((rank, (j + 1, fill)) for rank, ok in enumerate(kinds) if ok)
    for _, (cut, fill) in sorted(best.items()):
        if 2 * fill >= budget:
            return cut
    return best[4][0] if best else start
