"""Inline clean-up for Markdown and reStructuredText: keep the words, drop the markup."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

Rule = tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]

_ANY_MARKUP = re.compile(r"[\[*_`<:{&\\|]")  # every rule below needs one of these characters
_ADMONITIONS = r"(?:note|tip|hint|important|warning|caution|attention|danger|seealso)::"
SHORTCUT_LINK = re.compile(r"\[([^\]\[]+)\](?![(\[:])")

# Span bodies exclude their own delimiters, so a failed match gives up at the next delimiter
# instead of rescanning the rest of the paragraph: that keeps the clean-up linear.
_EMPHASIS: list[Rule] = [
    (re.compile(r"(?<![\w`])(\*\*|__)(?=\S)((?:(?!\1).)+?)(?<=\S)\1(?![\w`])"), r"\2"),
    (re.compile(r"(?<![\w*`])([*_])(?=[^\s*_])((?:(?!\1).)+?)(?<=[^\s*_])\1(?![\w*`])"), r"\2"),
]
# Bikeshed's shorthands, as specification sources write them:
# [=term=], [=for/term|shown text=], [$algorithm$], [^element^], {{IDL/member}}, [[REF]].
BIKESHED: list[Rule] = [
    (
        re.compile(r"\[([=$^:])(?:[^\[\]|=$^:]*/)?([^\[\]|/]+?)(?:\|([^\[\]]+?))?\1\]"),
        lambda m: m[3] or m[2],
    ),
    (re.compile(r"\{\{(?:[^{}|]*/)?([^{}|/]+)(?:\|([^{}]+))?\}\}"), lambda m: m[2] or m[1]),
    (
        re.compile(r"\[\[!?([^\[\]]+)\]\]"),
        lambda m: m[1][1:].replace("-", " ") if m[1][0] == "#" else f"[{m[1]}]",
    ),
]
# Inline HTML that Markdown allows; only known tag names, so `Vec<T>` survives.
_INLINE_TAGS = (
    "a|abbr|b|bdi|bdo|big|cite|code|data|del|dfn|em|font|i|img|ins|kbd|label|mark|q|s|samp"
    "|small|span|strike|strong|sub|sup|time|tt|u|var|wbr"
)
_BLOCK_TAGS = (
    "address|article|aside|blockquote|caption|center|dd|details|div|dl|dt|figcaption|figure"
    "|footer|h[1-6]|header|hr|li|main|nav|ol|p|picture|pre|section|source|summary|table"
    "|tbody|td|tfoot|th|thead|tr|ul"
)
_ATTRIBUTES = r"""(?:[^<>"']|"[^"<>]*"|'[^'<>]*')*"""
_ENTITY = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# A backslash-escaped mark ("\\*") is text: hide it from the rules, show it at the end.
_HIDDEN = 0xF0000  # a private-use plane no real text uses
_HIDE_ESCAPED: Rule = (re.compile(r"\\([!-/:-@\[-`{-~])"), lambda m: chr(_HIDDEN + ord(m[1])))
_UNHIDE: Rule = (re.compile("[\U000f0000-\U000f007f]"), lambda m: chr(ord(m[0]) - _HIDDEN))
LEFTOVERS: list[Rule] = [
    (re.compile(r"`+"), ""),  # an unpaired backtick is a typo in the source
    (re.compile(r"\*\*+"), ""),  # so is an unpaired ** (a single * may be a footnote mark)
]
MARKDOWN: list[Rule] = [
    _HIDE_ESCAPED,
    *BIKESHED,
    # [text](url "title"), ![alt](src); the url may hold one level of parentheses
    (
        re.compile(
            r"!?\[([^\[\]]*)\]\((?:[^()\s]|\([^()\s]*\))*"
            r"""(?:\s+(?:"[^"\n]*"|'[^'\n]*'|\([^()\n]*\)))?\s*\)"""
        ),
        r"\1",
    ),
    (re.compile(r"!?\[([^\[\]]*)\]\(<[^<>\n]*>\)"), r"\1"),  # [text](<url with spaces>)
    (re.compile(r"\[([^\[\]]+)\]\[[^\[\]]*\]"), r"\1"),  # [text][label]
    (re.compile(r"<((?:https?|mailto):[^>\s]+)>"), r"\1"),  # <https://...>
    (re.compile(r"^\[\^[^\]\s]+\]:\s*", re.M), ""),  # a footnote's text stays, its label goes
    (re.compile(r"\[\^[^\]\s]+\]"), ""),  # footnote references
    (re.compile(rf"<br\s*/?>|</?(?:{_BLOCK_TAGS})\b{_ATTRIBUTES}/?>", re.I), "\n"),
    (re.compile(rf"</?(?:{_INLINE_TAGS})\b{_ATTRIBUTES}/?>", re.I), ""),
    *_EMPHASIS,
    (re.compile(r"`+([^`]+?)`+"), r"\1"),
    (_ENTITY, lambda m: html.unescape(m[0])),
    *LEFTOVERS,
    _UNHIDE,
]
RST: list[Rule] = [
    _HIDE_ESCAPED,
    (re.compile(r"``([^`]+)``"), r"\1"),
    (re.compile(r":(rfc|pep):`(\d+)[^`]*`", re.I), lambda m: f"{m[1].upper()} {m[2]}"),
    # :role:`text <target>`, `text <url>`_, `name`_, `text`:role: -> the text (or the target)
    (
        re.compile(r"(?::[\w:+.-]+:)?`([^`<]*)(?:<([^>`]*)>)?`(?::[\w:+.-]+:)?_{0,2}"),
        lambda m: m[1].strip() or m[2] or "",
    ),
    (re.compile(r"\s?\[[#*\w-]*\]_(?!\w)"), ""),  # footnote references like [#tiobe]_
    (re.compile(rf"^\.\.\s+(?:\[[^\]]*\]|{_ADMONITIONS})\s*", re.M), ""),  # keep just the body
    (re.compile(r"(?<![\w/])([A-Za-z][\w-]*[A-Za-z0-9])__?(?=[\s.,;:!?)]|$)"), r"\1"),  # name_
    *_EMPHASIS[:1],
    (_EMPHASIS[1][0], lambda m: m[0] if m[1] == "_" else m[2]),  # RST has no _emphasis_
    (re.compile(r"(?<=\S)::(?=\s|$)", re.M), ":"),  # "as follows::" introduces a literal block
    *LEFTOVERS,
    _UNHIDE,
]
# Directive and comment lines carry no text; admonitions and footnote bodies do.
RST_SKIP = re.compile(rf"\.\.\s+(?!\[|{_ADMONITIONS})")
_SUBSTITUTION = re.compile(r"\|([^|\s](?:[^|]*[^|\s])?)\|(?:__?)?")


def substitutions(values: dict[str, str]) -> Rule:
    """`|name|` -> the text defined for it (`.. |name| replace:: text`), else the name."""
    return (_SUBSTITUTION, lambda m: values.get(m[1], m[1]))


def clean(rules: list[Rule], text: str) -> str:
    """Apply clean-up rules in order."""
    if not _ANY_MARKUP.search(text):  # most paragraphs, and nearly all Chinese ones, have none
        return text
    for pattern, replacement in rules:
        text = pattern.sub(replacement, text)
    return text


def strip_comments(text: str) -> str:
    """Remove <!-- HTML comments --> in one linear scan; an unclosed comment is left alone."""
    parts, pos = [], 0
    while (start := text.find("<!--", pos)) != -1 and (end := text.find("-->", start + 4)) != -1:
        parts.append(text[pos:start])
        pos = end + 3
    parts.append(text[pos:])
    return "".join(parts)
