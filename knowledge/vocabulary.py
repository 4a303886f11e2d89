"""The words every domain shares, defined once: languages, CJK detection, sizes, truncation."""

from __future__ import annotations

import re
from typing import Literal

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")
MB = 1024 * 1024
# The alliance's six talent categories and the five proficiency levels of its competency model.
CATEGORIES = ("research", "management", "application", "education", "editorial", "international")
LEVELS = (1, 2, 3, 4, 5)  # Aware, Understand, Apply, Proficient, Expert

# Han (with extensions A and the compatibility block): the script written without spaces.
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def as_lang(code: str | None) -> Lang | None:
    """A stored language code as a language; None for none (or one this version doesn't know)."""
    return "zh" if code == "zh" else "en" if code == "en" else None


def has_cjk(text: str) -> bool:
    return bool(CJK.search(text))


def detect_lang(text: str) -> Lang:
    """zh when a meaningful share of the letters are CJK characters."""
    cjk = len(CJK.findall(text))
    latin = sum(len(w) for w in re.findall(r"[A-Za-z]+", text)) / 4  # ~ letters per word
    return "zh" if cjk and cjk >= latin * 0.5 else "en"


def shorten(text: str, limit: int) -> str:
    """Whitespace collapsed; past `limit` characters cut at a word (or CJK character) with "…"."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2 and not has_cjk(cut[space:]):
        cut = cut[:space]
    return cut.rstrip(" ,;:，、") + "…"
