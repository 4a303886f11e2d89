"""A quiz question as the bank holds it, whatever format it was written in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from knowledge.vocabulary import LANGS, LEVELS  # noqa: F401 (re-exported)

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


KINDS = ("single", "multiple", "truefalse", "short")
STATUSES = ("draft", "published", "retired")
TRUE_FALSE = {"zh": ("对", "错"), "en": ("True", "False")}  # the options of a truefalse question


def problems(
    q: Question, competencies: set[str] | None = None, pack_docs: set[str] | None = None
) -> list[str]:
    """Why a question can't go into the bank; empty when it is fine.

    `competencies` (the model's ids) and `pack_docs` (course-pack file names) are checked only
    when given. Long stems and options are no problem: `fits_poll` decides poll or buttons.
    """
    return [
        *_identity_problems(q),
        *_shape_problems(q),
        *_teaching_problems(q, competencies, pack_docs),
    ]


def _identity_problems(q: Question) -> list[str]:
    found = []
    if not q.id.strip():
        found.append("empty id")
    if q.lang not in LANGS:
        found.append(f"lang {q.lang!r} is not one of {', '.join(LANGS)}")
    if q.status not in STATUSES:
        found.append(f"status {q.status!r} is not one of {', '.join(STATUSES)}")
    if not q.stem.strip():
        found.append("empty stem")
    return found


def _shape_problems(q: Question) -> list[str]:
    if q.kind not in KINDS:
        return [f"kind {q.kind!r} is not one of {', '.join(KINDS)}"]
    if q.kind == "short":
        return _short_problems(q)
    n, found = len(q.options), []
    if any(not o.strip() for o in q.options):
        found.append("empty option")
    out_of_range = [i for i in q.answer if not 0 <= i < n]
    if out_of_range:
        found.append(f"answer index {out_of_range} out of range for {n} options")
    if len(set(q.answer)) != len(q.answer):
        found.append("an answer index is repeated")
    right = len(set(q.answer))
    if q.kind == "single":
        lo, hi = POLL_OPTIONS
        if not lo <= n <= hi:
            found.append(f"single choice needs {lo}-{hi} options, has {n}")
        if right != 1:
            found.append(f"single choice needs exactly one answer, has {right}")
    elif q.kind == "multiple":
        if n < 3:
            found.append(f"multiple choice needs at least 3 options, has {n}")
        if right < 2:
            found.append(f"multiple choice needs at least 2 correct options, has {right}")
    else:
        if n != 2:
            found.append(f"true/false needs exactly 2 options, has {n}")
        if right != 1:
            found.append(f"true/false needs exactly one answer, has {right}")
    return found


def _short_problems(q: Question) -> list[str]:
    found = []
    if not any(a.strip() for a in q.accepted):
        found.append("short answer needs at least one accepted answer")
    if q.options:
        found.append("short answer takes no options")
    if q.answer:
        found.append("short answer takes no answer indexes (use accepted)")
    return found


def _teaching_problems(
    q: Question, competencies: set[str] | None, pack_docs: set[str] | None
) -> list[str]:
    found = []
    if len(q.explanation) > EXPLANATION_CHARS:
        found.append(
            f"explanation has {len(q.explanation)} characters, over {EXPLANATION_CHARS}:"
            " shorten it and put the rest in feedback"
        )
    if q.level not in LEVELS:
        found.append(f"level {q.level} is outside 1-5")
    if q.bloom not in BLOOM:
        found.append(f"bloom {q.bloom!r} is not one of {', '.join(BLOOM)}")
    if not q.competencies:
        found.append("no competency")
    elif competencies is not None:
        unknown = [c for c in q.competencies if c not in competencies]
        if unknown:
            found.append(f"unknown competency {', '.join(unknown)}")
    if pack_docs is not None and q.source_doc not in pack_docs:
        found.append(f"unknown source_doc {q.source_doc!r}" if q.source_doc else "no source_doc")
    return found
