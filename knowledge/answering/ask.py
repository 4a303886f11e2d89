"""Stage 1, ask: the question normalised once and its language decided once.

Every later stage, the flows and the channels read `Question.lang`; nothing re-detects it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from knowledge.errors import BadQuestion
from knowledge.vocabulary import Lang, detect_lang

# Zero-width and direction marks, BOM, and C0/C1 controls: invisible, so never meaning.
_INVISIBLE = re.compile(
    r"[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\x00-\x1f\x7f-\x9f]"
)


@dataclass(frozen=True)
class Question:
    text: str  # as the person asked it, normalised
    lang: Lang
    standalone: str = ""  # the text retrieval searches for (a follow-up read with its context)
    follow_up: bool = False

    @property
    def query(self) -> str:
        return self.standalone or self.text


def visible(text: str) -> str:
    """The text without its invisible characters (direction overrides, zero-width, controls)."""
    return _INVISIBLE.sub("", unicodedata.normalize("NFC", text))


def normalise(text: str) -> str:
    """NFC, invisible characters out, whitespace collapsed."""
    text = _INVISIBLE.sub(" ", unicodedata.normalize("NFC", text))
    return " ".join(text.split())


def ask(text: str, max_chars: int = 1000, lang: Lang | None = None) -> Question:
    """A Question, or BadQuestion (empty or too long) in the asker's language."""
    clean = normalise(text)
    lang = lang or (detect_lang(clean) if clean else "zh")
    if not clean or not any(ch.isalnum() for ch in clean):
        raise BadQuestion("empty_question", lang)
    if len(clean) > max_chars:
        raise BadQuestion("question_too_long", lang, length=len(clean), limit=max_chars)
    return Question(clean, lang)
