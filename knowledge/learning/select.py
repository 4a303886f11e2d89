"""Which question to ask next: due reviews first, then the widest gap to a target level.

A question asked in the trainee's previous session is not asked again in the next one unless
it is due for review: consecutive sessions practise the same competencies on other items.

Deterministic: the same bank, targets, mastery and session state always give the same
question, so a quiz can be replayed and tested.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable

from .mastery import START
from .questions import Question


def _open(bank: Iterable[Question], asked: set[str], focus: set[str] | None) -> dict[str, Question]:
    """Published questions not yet asked this session, within the focus competencies if any."""
    return {
        q.id: q
        for q in bank
        if q.status == "published"
        and q.id not in asked
        and (focus is None or not focus.isdisjoint(q.competencies))
    }


def _widest_gap(
    questions: Iterable[Question], targets: dict[str, int], mastery: dict[str, float]
) -> str | None:
    """The competency with a target and a question left whose mastery lags its target most."""
    covered = {c for q in questions for c in q.competencies if c in targets}
    if not covered:
        return None
    return min(sorted(covered), key=lambda c: -(targets[c] - mastery.get(c, START)))


def aim(mastery: float, target: int) -> int:
    """The level to ask at: about half a level above mastery, never above the target."""
    return max(1, min(target, math.floor(mastery + 0.5 + 0.5)))


def _best(questions: list[Question], level: int, target: int, lang: str | None) -> Question:
    """The question nearest `level` (none above the target if avoidable), in `lang` if any is."""

    def key(q: Question) -> tuple[bool, bool, int, int, str]:
        return (lang is not None and q.lang != lang, q.level > target, abs(q.level - level),
                q.level, q.id)  # fmt: skip

    return min(questions, key=key)


def next_question(
    bank: list[Question],
    targets: dict[str, int],
    mastery: dict[str, float],
    *,
    asked: set[str],
    due: list[str],
    lang: str | None,
    focus: set[str] | None = None,
    previous: Collection[str] = (),
) -> Question | None:
    """The next question of a session, or None when nothing is left to ask.

    `due` lists item ids due for review, most overdue first; `asked` the ids already asked
    this session; `focus`, if given, the competencies the session is limited to; `previous`
    the ids asked in the user's previous session, asked again only when due.
    """
    available = _open(bank, asked, focus)
    for item_id in due:
        if item_id in available:
            return available[item_id]
    # Only when every other question is used up does the previous session's come back: a
    # small bank (or a narrow focus) then still fills the session, repeats last, rather than
    # ending it early or starting it empty.
    fresh = {i: q for i, q in available.items() if i not in previous}
    available = fresh or available
    competency = _widest_gap(available.values(), targets, mastery)
    if competency is None:
        return None
    target = targets[competency]
    level = aim(mastery.get(competency, START), target)
    candidates = [q for q in available.values() if competency in q.competencies]
    return _best(candidates, level, target, lang)
