"""Sentence splitting for Chinese and English text, in one linear pass (stdlib only).

A sentence ends at a line break, after 。！？； (with any closing quotes and brackets that
follow), and after . ! ? when a space and a sentence start follow. It does not end after
common abbreviations (e.g., etc., No., Art.), initials, list markers such as "1." or "(6)",
inside numbers (5.1, 4.1.2) or inside a quotation.
"""

from __future__ import annotations

import re

from knowledge.vocabulary import CJK

_CLOSERS = "”’\"'」』）)\\]】》〉〕"
_QUOTE_CLOSERS = frozenset("”’\"'」』")
# Chinese stops end a sentence wherever they are; Latin ones only before a sentence start.
_STOP = re.compile(
    rf"[。！？；]+[{_CLOSERS}]*"
    rf"|[.!?]+[{_CLOSERS}]*(?=\s+[\"'“‘「『(\[（A-Z0-9\u3400-\u9fff]|\s*$)"
)
# The word before a period that is an abbreviation, not a sentence end (compared lower-case).
ABBREVIATIONS = frozenset(
    """e.g i.e etc art arts no nos sec secs mr mrs ms dr prof vs cf fig figs vol vols pp p
    para paras ch chap approx al st jr sr ed eds ca""".split()
)
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)$")
# A line or item that is only a marker so far: "1.", "4.1.", "(6)", "a)", "（一）", "一、".
_MARKER_ONLY = re.compile(
    r"\s*(?:[-*+•]\s*)?(?:\d+(?:\.\d+)*[.)]?|[(（]\s*[0-9A-Za-z一二三四五六七八九十百]{1,4}\s*[)）]"
    r"|[A-Za-z][.)]|[一二三四五六七八九十百]+[、.])\s*"
)
_QUOTE_PAIRS = {"“": "”", "「": "」", "『": "』"}
_QUOTES = re.compile('[“”「」『』"]')
_MAX_QUOTE = 300  # a longer "quotation" is more likely an unbalanced mark than a quote
_LINE = re.compile(r"[^\n]+")


def split(text: str) -> list[str]:
    """The sentences of `text`, stripped, in order; empty pieces are dropped."""
    return [text[start:end] for start, end in spans(text)]


def spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of each sentence in `text`, without surrounding whitespace."""
    out: list[tuple[int, int]] = []
    for line in _LINE.finditer(text):
        start = line.start()
        for end in _ends(text, line.start(), line.end()):
            _add(out, text, start, end)
            start = end
        _add(out, text, start, line.end())
    return out


def _add(out: list[tuple[int, int]], text: str, start: int, end: int) -> None:
    """Append text[start:end] trimmed of whitespace, unless nothing is left."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        out.append((start, end))


def _ends(text: str, begin: int, stop: int) -> list[int]:
    """Offsets inside one line where a sentence ends."""
    quoted = _quoted(text, begin, stop)
    ends: list[int] = []
    last, q = begin, 0  # start of the current sentence; next quotation to compare with
    for match in _STOP.finditer(text, begin, stop):
        end = match.end()
        while q < len(quoted) and quoted[q][1] < end:
            q += 1
        if q < len(quoted) and quoted[q][0] < end <= quoted[q][1]:
            continue  # inside a quotation: 他说：“好。你来。”
        if end >= stop:
            break  # the line ends here anyway
        if text[match.start()] in ".!?" and not _latin_end(text, last, match.start()):
            continue
        if match.group()[-1] in _QUOTE_CLOSERS and CJK.match(text[end]):
            continue  # “好。”他说。 goes on after the quotation
        if _MARKER_ONLY.fullmatch(text, last, match.start() + 1):
            continue  # "1. The rule": the marker starts the item, it is no sentence
        ends.append(end)
        last = end
    return ends


def _latin_end(text: str, start: int, dot: int) -> bool:
    """Whether the . ! ? at `dot` ends a sentence: not after an abbreviation or an initial."""
    if text[dot] != ".":
        return True
    word = _WORD_BEFORE.search(text, max(start, dot - 12), dot)
    if word is None:
        return True
    token = word.group(1)
    if word.start() > start and text[word.start() - 1] in "-_/@":
        return True  # the end of a name like "sig-abc." is no abbreviation
    return not (len(token) == 1 or "." in token or token.lower() in ABBREVIATIONS)


def _quoted(text: str, begin: int, stop: int) -> list[tuple[int, int]]:
    """Non-overlapping (open, close) offsets of the quotations in one line, in order."""
    pairs: list[tuple[int, int]] = []
    opened: list[tuple[str, int]] = []
    straight = -1  # offset of an open " (straight quotes pair up in order)
    for match in _QUOTES.finditer(text, begin, stop):
        mark, pos = match.group(), match.start()
        if mark == '"':
            if straight < 0:
                straight = pos
            else:
                pairs.append((straight, pos))
                straight = -1
        elif mark in _QUOTE_PAIRS:
            opened.append((_QUOTE_PAIRS[mark], pos))
        else:
            for i in range(len(opened) - 1, max(len(opened) - 4, 0) - 1, -1):  # bounded: linear
                if opened[i][0] == mark:
                    pairs.append((opened[i][1], pos))
                    del opened[i:]
                    break
    merged: list[tuple[int, int]] = []
    for start, end in sorted(p for p in pairs if p[1] - p[0] <= _MAX_QUOTE):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
