"""A quiz question as the bank holds it, whatever format it was written in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from knowledge.vocabulary import LANGS, LEVELS  # noqa: F401 (re-exported)

Kind = Literal["single", "multiple", "truefalse", "short", "numerical", "matching"]
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
    # numerical: ranges ("5", "5:0.5", "1..3"); matching: the items to match (see typed_answers)
    explanation: str  # at most EXPLANATION_CHARS: shown with the result
    feedback: str  # longer feedback, sent as a follow-up message
    source_doc: str  # the course-pack file the question comes from, e.g. "drafting_rules.md"
    clause: str  # the section (heading) of that file
    competencies: tuple[str, ...]  # competency ids of the model
    level: int  # proficiency level 1-5 the question checks
    bloom: str  # one of BLOOM
    status: Status = "published"

    @property
    def typed(self) -> bool:
        """Answered by typing (short, numerical, matching), not by picking an option."""
        return self.kind in TYPED

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
        if self.kind in ("numerical", "matching"):
            from knowledge.learning import typed_answers as typed_kinds

            grade = typed_kinds.numerical_correct if self.kind == "numerical" else None
            return (grade or typed_kinds.matching_correct)(self, str(response))
        if self.kind == "short":
            typed = " ".join(str(response).split()).casefold()
            return any(typed == " ".join(a.split()).casefold() for a in self.accepted)
        chosen = tuple(sorted(set(response))) if not isinstance(response, str) else ()
        return chosen == tuple(sorted(self.answer))


@dataclass(frozen=True)
class Problem:
    """Why a question (or a question file) can't go into the bank: `code` names the reason for
    the text tables, which render it with `values` (numbers, field names, the bad value cut
    short) in the instructor's language; `text` is the English line of the CLI and the logs."""

    code: str
    text: str
    values: Mapping[str, str | int] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.text


def problem(code: str, text: str, **values: str | int) -> Problem:
    return Problem(code, text, values)


KINDS = ("single", "multiple", "truefalse", "short", "numerical", "matching")
TYPED = ("short", "numerical", "matching")  # the kinds answered by typing
STATUSES = ("draft", "published", "retired")
TRUE_FALSE = {"zh": ("对", "错"), "en": ("True", "False")}  # the options of a truefalse question


def problems(
    q: Question, competencies: set[str] | None = None, pack_docs: set[str] | None = None
) -> list[Problem]:
    """Why a question can't go into the bank; empty when it is fine.

    `competencies` (the model's ids) and `pack_docs` (course-pack file names) are checked only
    when given. Long stems and options are no problem: `fits_poll` decides poll or buttons.
    A draft may be untagged: no competencies, level 0, no bloom or source_doc yet (it is
    tagged before it is published; only published questions are asked).
    """
    return [
        *_identity_problems(q),
        *_shape_problems(q),
        *_teaching_problems(q, competencies, pack_docs),
    ]


def publish_problems(q: Question, competencies: set[str] | None = None) -> list[Problem]:
    """Why `q` can't be published as it stands (a draft imported untagged: no competencies,
    level or bloom yet); empty when it can."""
    return problems(replace(q, status="published"), competencies)


SHOWN_CHARS = 80  # a bad value is named, cut short: it may be anything, of any size


def cut(text: str, limit: int = SHOWN_CHARS) -> str:
    """`text` cut to `limit` characters, ending in "…" when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shown(value: object) -> str:
    """A bad value as a problem names it: its repr, cut short."""
    return cut(repr(value))


def _identity_problems(q: Question) -> list[Problem]:
    found = []
    if not q.id.strip():
        found.append(problem("empty_id", "empty id"))
    if q.lang not in LANGS:
        allowed = ", ".join(LANGS)
        text = f"lang {q.lang!r} is not one of {allowed}"
        found.append(problem("bad_lang", text, value=shown(q.lang), allowed=allowed))
    if q.status not in STATUSES:
        allowed = ", ".join(STATUSES)
        text = f"status {q.status!r} is not one of {allowed}"
        found.append(problem("bad_status", text, value=shown(q.status), allowed=allowed))
    if not q.stem.strip():
        found.append(problem("empty_stem", "empty stem"))
    return found


def _shape_problems(q: Question) -> list[Problem]:
    if q.kind not in KINDS:
        allowed = ", ".join(KINDS)
        text = f"kind {q.kind!r} is not one of {allowed}"
        return [problem("bad_kind", text, value=shown(q.kind), allowed=allowed)]
    if q.kind == "short":
        return _short_problems(q)
    if q.kind in ("numerical", "matching"):
        from knowledge.learning import typed_answers as typed_kinds

        check = typed_kinds.numerical_problems if q.kind == "numerical" else None
        return (check or typed_kinds.matching_problems)(q)
    n, found = len(q.options), list[Problem]()
    if any(not o.strip() for o in q.options):
        found.append(problem("empty_option", "empty option"))
    out_of_range = [i for i in q.answer if not 0 <= i < n]
    if out_of_range:
        text = f"answer index {out_of_range} out of range for {n} options"
        indexes = cut(", ".join(map(str, out_of_range)))
        found.append(problem("answer_out_of_range", text, indexes=indexes, n=n))
    if len(set(q.answer)) != len(q.answer):
        found.append(problem("answer_repeated", "an answer index is repeated"))
    right = len(set(q.answer))
    if q.kind == "single":
        lo, hi = POLL_OPTIONS
        if not lo <= n <= hi:
            text = f"single choice needs {lo}-{hi} options, has {n}"
            found.append(problem("single_options", text, lo=lo, hi=hi, n=n))
        if right != 1:
            text = f"single choice needs exactly one answer, has {right}"
            found.append(problem("single_answers", text, n=right))
    elif q.kind == "multiple":
        if n < 3:
            text = f"multiple choice needs at least 3 options, has {n}"
            found.append(problem("multiple_options", text, n=n))
        if right < 2:
            text = f"multiple choice needs at least 2 correct options, has {right}"
            found.append(problem("multiple_answers", text, n=right))
    else:
        if n != 2:
            text = f"true/false needs exactly 2 options, has {n}"
            found.append(problem("truefalse_options", text, n=n))
        if right != 1:
            text = f"true/false needs exactly one answer, has {right}"
            found.append(problem("truefalse_answers", text, n=right))
    return found


def _short_problems(q: Question) -> list[Problem]:
    found = []
    if not any(a.strip() for a in q.accepted):
        text = "short answer needs at least one accepted answer"
        found.append(problem("short_no_accepted", text))
    if q.options:
        found.append(problem("short_options", "short answer takes no options"))
    if q.answer:
        text = "short answer takes no answer indexes (use accepted)"
        found.append(problem("short_answer", text))
    return found


def _teaching_problems(
    q: Question, competencies: set[str] | None, pack_docs: set[str] | None
) -> list[Problem]:
    found = []
    if len(q.explanation) > EXPLANATION_CHARS:
        text = (
            f"explanation has {len(q.explanation)} characters, over {EXPLANATION_CHARS}:"
            " shorten it and put the rest in feedback"
        )
        length, limit = len(q.explanation), EXPLANATION_CHARS
        found.append(problem("explanation_long", text, length=length, limit=limit))
    untagged = q.status == "draft"  # a draft may wait for its competencies, level and bloom
    if q.level not in LEVELS and not (untagged and q.level == 0):
        text = f"level {q.level} is outside 1-5"
        found.append(problem("bad_level", text, value=shown(q.level)))
    if q.bloom not in BLOOM and not (untagged and not q.bloom):
        allowed = ", ".join(BLOOM)
        text = f"bloom {q.bloom!r} is not one of {allowed}"
        found.append(problem("bad_bloom", text, value=shown(q.bloom), allowed=allowed))
    if not q.competencies:
        if not untagged:
            found.append(problem("no_competency", "no competency"))
    elif competencies is not None:
        unknown = [c for c in q.competencies if c not in competencies]
        if unknown:
            text = f"unknown competency {', '.join(unknown)}"
            ids = cut(", ".join(unknown))
            found.append(problem("unknown_competency", text, ids=ids))
    if pack_docs is not None and q.source_doc not in pack_docs:
        if q.source_doc:
            text = f"unknown source_doc {q.source_doc!r}"
            found.append(problem("unknown_source", text, value=shown(q.source_doc)))
        elif not untagged:
            found.append(problem("no_source", "no source_doc"))
    return found
