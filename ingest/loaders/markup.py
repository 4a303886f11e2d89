"""Inline clean-up for Markdown and reStructuredText: keep the words, drop the markup."""

from __future__ import annotations

import re
from collections.abc import Callable

Rule = tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]

_ANY_MARKUP = re.compile(r"[\[*_`<:]")  # every rule below needs one of these characters
_ADMONITIONS = r"(?:note|tip|hint|important|warning|caution|attention|danger|seealso)::"
SHORTCUT_LINK = re.compile(r"\[([^\]\[]+)\](?![(\[:])")

# Span bodies exclude their own delimiters, so a failed match gives up at the next delimiter
# instead of rescanning the rest of the paragraph: that keeps the clean-up linear.
_EMPHASIS: list[Rule] = [
    (re.compile(r"(?<![\w`])(\*\*|__)(?=\S)((?:(?!\1).)+?)(?<=\S)\1(?![\w`])"), r"\2"),
    (re.compile(r"(?<![\w*`])([*_])(?=[^\s*_])((?:(?!\1).)+?)(?<=[^\s*_])\1(?![\w*`])"), r"\2"),
]
MARKDOWN: list[Rule] = [
    (re.compile(r"!?\[([^\[\]]*)\]\([^()]*\)"), r"\1"),  # [text](url), ![alt](src)
    (re.compile(r"\[([^\[\]]+)\]\[[^\[\]]*\]"), r"\1"),  # [text][label]
    (re.compile(r"<((?:https?|mailto):[^>\s]+)>"), r"\1"),  # <https://...>
    # inline HTML that Markdown allows; only known tag names, so `Vec<T>` survives
    (re.compile(r"<br\s*/?>"), "\n"),
    (re.compile(r"</?(?:a|b|i|em|strong|span|sup|sub|kbd|img|details|summary)\b[^<>]*>"), ""),
    *_EMPHASIS,
    (re.compile(r"`+([^`]+?)`+"), r"\1"),
]
RST: list[Rule] = [
    (re.compile(r"``([^`]+)``"), r"\1"),
    # :role:`text <target>`, `text <url>`_, `name`_ -> the text (or the target if there is none)
    (
        re.compile(r"(?::[\w:+-]+:)?`([^`<]*)(?:<([^>`]*)>)?`_{0,2}"),
        lambda m: m[1].strip() or m[2] or "",
    ),
    (re.compile(r"\s?\[[#*\w-]*\]_(?!\w)"), ""),  # footnote references like [#tiobe]_
    (re.compile(rf"^\.\.\s+(?:\[[^\]]*\]|{_ADMONITIONS})\s*", re.M), ""),  # keep just the body
    *_EMPHASIS[:1],
    (_EMPHASIS[1][0], lambda m: m[0] if m[1] == "_" else m[2]),  # RST has no _emphasis_
    (re.compile(r"(?<=\S)::(?=\s|$)", re.M), ":"),  # "as follows::" introduces a literal block
]
# Directive and comment lines carry no text; admonitions and footnote bodies do.
RST_SKIP = re.compile(rf"\.\.\s+(?!\[|{_ADMONITIONS})")


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
