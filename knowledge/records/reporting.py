"""Cohort reporting: mastery, counts, item analysis and export rows, aggregated in SQL.

Only trainees count (staff trying a quiz would skew a cohort's figures); `cohort=None` means
every trainee. Item analysis groups a million answers in the database, never in Python: the
discrimination is the corrected item-total (point-biserial) correlation between an answer's
correctness and the trainee's share right on their other answers, built from the sums
Σx, Σy, Σxy, Σx², Σy² and n, so it runs unchanged on SQLite and PostgreSQL. When every item
was answered once that is exactly "all the other items"; a repeat of the item in a later
session counts among the other answers (excluding it would cost a second ordered pass).
"""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Float, Select, case, cast, func, select

from .engine import StoreBase
from .tables import AttemptRow, MasteryRow, QuizItemRow, UserRow

MIN_ANSWERERS = 10  # fewer answers (of trainees who answered more) give no discrimination
STREAM_CHUNK = 5000  # rows fetched at a time when streaming export rows


class CohortMastery(NamedTuple):
    """One trainee's mastery of one competency; a trainee with none yet has competency None."""

    user_id: int
    name: str
    category: str | None
    competency: str | None
    score: float | None
    attempts: int | None


@dataclass(frozen=True)
class ItemStats:
    item_id: str
    answered: int  # answers given (a trainee may answer an item again in a later session)
    right: int
    facility: float  # share of answers that were right
    discrimination: float | None  # corrected item-total correlation; None if too few or flat
    options: dict[int, int]  # option index -> times picked (every option of a choice item)


def _trainees(cohort: str | None) -> list[ColumnElement[bool]]:
    where = [UserRow.role == "trainee"]
    if cohort is not None:
        where.append(UserRow.cohort == cohort)
    return where


def _answer_sums(cohort: str | None) -> Select[*tuple[Any, ...]]:
    """Per item and response: answers, right answers, and the sums behind the correlation.

    x is an answer's correctness (0/1), y the trainee's share right on their other answers:
    Σx, Σy, Σxy, Σy² and the count, over answers of trainees who answered anything else
    (Σx² is Σx). One ordered pass: the per-trainee totals are window sums, so PostgreSQL
    reads the answers once, in trainee order, from the attempts' user_id index.
    """
    c = case((AttemptRow.correct, 1), else_=0)
    trainee = AttemptRow.user_id
    answer = (
        select(AttemptRow.item_id, AttemptRow.response, c.label("c"))
        .add_columns(
            func.count().over(partition_by=trainee).label("n"),
            func.sum(c).over(partition_by=trainee).label("r"),
        )
        .join(UserRow, UserRow.id == AttemptRow.user_id)
        .where(*_trainees(cohort))
        .subquery("answer")
    )
    others = answer.c.n > 1
    x = case((others, answer.c.c), else_=None)
    y = case(
        (others, cast(answer.c.r - answer.c.c, Float) / cast(answer.c.n - 1, Float)), else_=None
    )
    xy = select(
        answer.c.item_id, answer.c.response, answer.c.c, x.label("x"), y.label("y")
    ).subquery("xy")
    sums = (func.sum(v) for v in (xy.c.c, xy.c.x, xy.c.y, xy.c.x * xy.c.y, xy.c.y * xy.c.y))
    return select(xy.c.item_id, xy.c.response, func.count(), func.count(xy.c.x), *sums).group_by(
        xy.c.item_id, xy.c.response
    )


def correlation(n: int, sx: float, sy: float, sxy: float, sxx: float, syy: float) -> float | None:
    """Pearson's r from sums; None with fewer than MIN_ANSWERERS pairs or no variance."""
    if n < MIN_ANSWERERS:
        return None
    var_x, var_y = n * sxx - sx * sx, n * syy - sy * sy
    if var_x <= 1e-9 * n * n or var_y <= 1e-9 * n * n:
        return None
    return max(-1.0, min(1.0, (n * sxy - sx * sy) / math.sqrt(var_x * var_y)))


def _picks(chosen: Any) -> list[int]:
    """The option indexes in a stored response (typed text picks none)."""
    return [int(i) for i in chosen] if isinstance(chosen, list) else []


class ReportingMixin(StoreBase):
    async def cohort_counts(self, cohort: str | None = None) -> tuple[int, int]:
        """(trainees, their answers) in the cohort."""
        people = select(func.count()).select_from(UserRow).where(*_trainees(cohort))
        answers = select(func.count()).select_from(AttemptRow)
        answers = answers.join(UserRow, UserRow.id == AttemptRow.user_id).where(*_trainees(cohort))
        async with self._sessions() as s:
            row = await s.execute(select(people.scalar_subquery(), answers.scalar_subquery()))
            trainees, attempts = row.one()
        return int(trainees), int(attempts)

    async def cohort_mastery(self, cohort: str | None = None) -> list[CohortMastery]:
        """Every trainee's mastery rows, by trainee id then competency."""
        query = (
            select(*_MASTERY.values())
            .select_from(UserRow)
            .outerjoin(MasteryRow, MasteryRow.user_id == UserRow.id)
            .where(*_trainees(cohort))
            .order_by(UserRow.id, MasteryRow.competency)
        )
        async with self._sessions() as s:
            return [CohortMastery._make(row) for row in await s.execute(query)]

    async def item_stats(self, cohort: str | None = None) -> list[ItemStats]:
        """Facility, discrimination and option picks of every item the cohort answered."""
        async with self._sessions() as s:
            rows = (await s.execute(_answer_sums(cohort))).all()
            shapes = await s.execute(select(QuizItemRow.id, QuizItemRow.options))
            sizes = {item_id: len(json.loads(text)) for item_id, text in shapes}
        totals: dict[str, list[float]] = {}
        picks: dict[str, dict[int, int]] = {}
        for item_id, response, *sums in rows:
            if item_id not in totals:
                totals[item_id] = [0.0] * len(sums)
                picks[item_id] = dict.fromkeys(range(sizes.get(item_id, 0)), 0)
            totals[item_id] = [a + (b or 0) for a, b in zip(totals[item_id], sums, strict=True)]
            for index in _picks(json.loads(response)):
                picks[item_id][index] = picks[item_id].get(index, 0) + sums[0]
        return [_stats(item_id, totals[item_id], picks[item_id]) for item_id in sorted(totals)]

    async def export_rows(self, cohort: str | None = None) -> dict[str, list[dict[str, Any]]]:
        """The cohort's "attempts", "mastery" and "items" rows, ready for CSV, XLSX or xAPI."""
        return {
            table: [row async for row in self.stream_export(table, cohort)]
            for table in ("attempts", "mastery", "items")
        }

    async def stream_export(
        self, table: str, cohort: str | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """Export rows of one table ("attempts", "mastery" or "items"), fetched in chunks."""
        if table == "items":
            for item in await self._item_rows(cohort):
                yield item
            return
        query, shape = _EXPORTS[table]
        async with self._sessions() as s:
            result = await s.stream(query(cohort).execution_options(yield_per=STREAM_CHUNK))
            async for row in result:
                yield shape(row)

    async def _item_rows(self, cohort: str | None) -> list[dict[str, Any]]:
        stats = {st.item_id: st for st in await self.item_stats(cohort)}
        query = select(QuizItemRow).where(QuizItemRow.id.in_(stats)).order_by(QuizItemRow.id)
        async with self._sessions() as s:
            items = [row.question() for row in await s.scalars(query)]
        return [_item_row(q, stats[q.id]) for q in items]


def _item_row(q: Any, st: ItemStats) -> dict[str, Any]:
    return {
        "item_id": q.id, "lang": q.lang, "kind": q.kind, "level": q.level,
        "competencies": list(q.competencies), "stem": q.stem, "answered": st.answered,
        "right": st.right, "facility": st.facility, "discrimination": st.discrimination,
        "picks": st.options,
    }  # fmt: skip


def _stats(item_id: str, totals: list[float], picks: dict[int, int]) -> ItemStats:
    answered, paired, right, sx, sy, sxy, syy = totals
    facility = right / answered if answered else 0.0
    discrimination = correlation(int(paired), sx, sy, sxy, sx, syy)
    return ItemStats(
        item_id, int(answered), int(right), facility, discrimination, dict(sorted(picks.items()))
    )


_MASTERY = {
    "user_id": UserRow.id, "name": UserRow.name, "category": UserRow.category,
    "competency": MasteryRow.competency, "score": MasteryRow.score,
    "attempts": MasteryRow.attempts,
}  # fmt: skip
_MASTERY_EXPORT = {**_MASTERY, "cohort": UserRow.cohort}
_ATTEMPTS = {
    "attempt_id": AttemptRow.id, "user_id": AttemptRow.user_id, "name": UserRow.name,
    "cohort": UserRow.cohort, "item_id": AttemptRow.item_id, "response": AttemptRow.response,
    "correct": AttemptRow.correct, "seconds": AttemptRow.seconds,
    "answered_at": AttemptRow.answered_at, "competencies": QuizItemRow.competencies,
}  # fmt: skip


def _attempts(cohort: str | None) -> Select[*tuple[Any, ...]]:
    return (
        select(*_ATTEMPTS.values())
        .join(UserRow, UserRow.id == AttemptRow.user_id)
        .join(QuizItemRow, QuizItemRow.id == AttemptRow.item_id)
        .where(*_trainees(cohort))
        .order_by(AttemptRow.answered_at, AttemptRow.id)
    )


def _mastery(cohort: str | None) -> Select[*tuple[Any, ...]]:
    return (
        select(*_MASTERY_EXPORT.values())
        .select_from(MasteryRow)
        .join(UserRow, UserRow.id == MasteryRow.user_id)
        .where(*_trainees(cohort))
        .order_by(MasteryRow.user_id, MasteryRow.competency)
    )


def _attempt_row(row: Any) -> dict[str, Any]:
    found = dict(zip(_ATTEMPTS, row, strict=True))
    found["response"] = json.loads(found["response"])
    found["competencies"] = json.loads(found["competencies"])
    return found


_EXPORTS = {
    "attempts": (_attempts, _attempt_row),
    "mastery": (_mastery, lambda row: dict(zip(_MASTERY_EXPORT, row, strict=True))),
}
