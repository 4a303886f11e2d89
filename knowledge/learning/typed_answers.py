"""Numerical and matching questions: both are answered by typing, and graded here.

Numerical: `accepted` holds the right answers as ranges, each `5` (exactly), `5:0.5` (5 with a
tolerance of 0.5) or `1..3` (from 1 to 3, inclusive). A typed number is right when it falls in
any of them; a decimal comma ("2,5") and full-width digits are read too.

Matching: `accepted` holds the left-hand items (the prompts), `options` the right-hand ones
(a distractor may be among them), and `answer[i]` the option that goes with prompt i. The
trainee types one letter per prompt, in order ("BCA", "B C A", "1B 2C 3A"); it is right only
when every letter is right: the item counts once, as one answer.
"""

from __future__ import annotations

import random
import re
import string
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from knowledge.learning.questions import Problem, Question

LETTERS = string.ascii_uppercase
MATCHING_OPTIONS = (2, 10)  # right-hand items: one letter each, A-J
_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_SPEC = re.compile(rf"^({_NUMBER})(?::({_NUMBER})|\.\.({_NUMBER}))?$")


def number(text: str) -> float | None:
    """The number typed, or None: full-width digits and a decimal comma are accepted."""
    typed = unicodedata.normalize("NFKC", text).strip().replace(" ", "")
    if re.fullmatch(r"[-+]?\d+,\d+", typed):
        typed = typed.replace(",", ".")
    return float(typed) if re.fullmatch(_NUMBER, typed) else None


def numeric_range(spec: str) -> tuple[float, float] | None:
    """(low, high) of one accepted spec (`5`, `5:0.5`, `1..3`), or None when it isn't one."""
    m = _SPEC.match(spec.replace(" ", ""))
    if not m:
        return None
    value = float(m[1])
    if m[3] is not None:
        return value, float(m[3])
    tolerance = abs(float(m[2])) if m[2] is not None else 0.0
    return value - tolerance, value + tolerance


def shown_range(spec: str) -> str:
    """An accepted spec as a trainee reads it: `5 ± 0.5`, `1–3`, `5`."""
    if ".." in spec:
        return "–".join(p.strip() for p in spec.split("..", 1))
    value, _, tolerance = spec.partition(":")
    return f"{value.strip()} ± {tolerance.strip()}" if tolerance.strip() else value.strip()


def numerical_correct(q: Question, typed: str) -> bool:
    value = number(typed)
    ranges = [r for r in map(numeric_range, q.accepted) if r is not None]
    return value is not None and any(lo - 1e-9 <= value <= hi + 1e-9 for lo, hi in ranges)


def letters_typed(typed: str) -> tuple[int, ...]:
    """The option indexes a typed matching answer names, in order ("1B 2a, 3-C" -> 1, 0, 2)."""
    text = unicodedata.normalize("NFKC", typed).upper()
    return tuple(LETTERS.index(c) for c in re.sub(r"\d+", " ", text) if c in LETTERS)


def matching_correct(q: Question, typed: str) -> bool:
    return letters_typed(typed) == tuple(q.answer)


def matching_key(q: Question) -> str:
    """The right letters, in the prompts' order: what a trainee would have typed."""
    return "".join(LETTERS[i] for i in q.answer if 0 <= i < len(LETTERS))


def matching_fields(pairs: list[tuple[str, str]]) -> dict[str, list[str] | list[int]]:
    """A matching question's `accepted` (the items), `options` (the answers, shuffled the same
    way on every import, never left in the items' order) and `answer`, from (item, answer)
    pairs; a pair with an empty item only adds its answer, as a distractor."""
    options = list(dict.fromkeys(right for _, right in pairs))
    shuffled = options[:]
    random.Random("|".join(options)).shuffle(shuffled)  # seeded: the same on every import
    if shuffled == options and len(options) > 1:
        shuffled = options[1:] + options[:1]
    prompts = [(left, right) for left, right in pairs if left]
    return {
        "accepted": [left for left, _ in prompts],
        "options": shuffled,
        "answer": [shuffled.index(right) for _, right in prompts],
    }


def numerical_problems(q: Question) -> list[Problem]:
    from knowledge.learning.questions import cut, problem

    found = []
    if not q.accepted:
        found.append(problem("numerical_no_answer", "numerical needs at least one answer"))
    bad = [a for a in q.accepted if numeric_range(a) is None]
    if bad:
        text = f"numerical answer {bad[0]!r} is not a number, number:tolerance or low..high"
        found.append(problem("numerical_bad_answer", text, value=cut(bad[0])))
    if q.options or q.answer:
        found.append(problem("numerical_options", "numerical takes no options"))
    return found


def matching_problems(q: Question) -> list[Problem]:
    from knowledge.learning.questions import problem

    found = []
    prompts, n = len(q.accepted), len(q.options)
    lo, hi = MATCHING_OPTIONS
    if prompts < 2 or any(not p.strip() for p in q.accepted):
        text = f"matching needs at least 2 non-empty items to match, has {prompts}"
        found.append(problem("matching_prompts", text, n=prompts))
    if not lo <= n <= hi or any(not o.strip() for o in q.options):
        text = f"matching needs {lo}-{hi} non-empty answers to match with, has {n}"
        found.append(problem("matching_options", text, lo=lo, hi=hi, n=n))
    if len(q.answer) != prompts or any(not 0 <= i < n for i in q.answer):
        text = "matching needs one answer, among its options, for each item"
        found.append(problem("matching_answers", text))
    return found
