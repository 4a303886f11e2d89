"""A quiz question as the bank holds it, whatever format it was written in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["single", "multiple", "truefalse", "short"]
Status = Literal["draft", "published", "retired"]
BLOOM = ("remember", "understand", "apply", "analyze", "evaluate", "create")

POLL_QUESTION_CHARS = 300  # Telegram quiz polls: question 1-300 characters,
POLL_OPTION_CHARS = 100  # 2-10 options of 1-100 characters,
POLL_OPTIONS = (2, 10)
EXPLANATION_CHARS = 200  # and an explanation of at most 200 characters


@dataclass(frozen=True)
class Question:
    id: str  # stable across imports: a re-import with the same id replaces the question
    lang: Literal["zh", "en"]
    kind: Kind
    stem: str
    options: tuple[str, ...]  # empty for "short"; ("对", "错") / ("True", "False") for truefalse
    answer: tuple[int, ...]  # indexes of the correct options (one for single and truefalse)
    accepted: tuple[str, ...]  # accepted answers for "short" (compared case-insensitively)
    explanation: str  # at most EXPLANATION_CHARS: shown with the result
    feedback: str  # longer feedback, sent as a follow-up message
    source_doc: str  # the course-pack file the question comes from, e.g. "drafting_rules.md"
    clause: str  # the section (heading) of that file
    competencies: tuple[str, ...]  # competency ids of the model
    level: int  # proficiency level 1-5 the question checks
    bloom: str  # one of BLOOM
    status: Status = "published"

    @property
    def fits_poll(self) -> bool:
        """Single choice within Telegram's quiz-poll limits; other questions use buttons."""
        lo, hi = POLL_OPTIONS
        return (
            self.kind in ("single", "truefalse")
            and 1 <= len(self.stem) <= POLL_QUESTION_CHARS
            and lo <= len(self.options) <= hi
            and all(1 <= len(o) <= POLL_OPTION_CHARS for o in self.options)
        )

    def is_correct(self, response: tuple[int, ...] | str) -> bool:
        """Whether a response (chosen option indexes, or typed text) is right."""
        if self.kind == "short":
            typed = " ".join(str(response).split()).casefold()
            return any(typed == " ".join(a.split()).casefold() for a in self.accepted)
        chosen = tuple(sorted(set(response))) if not isinstance(response, str) else ()
        return chosen == tuple(sorted(self.answer))
