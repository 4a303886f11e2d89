"""Quizzes: the question bank, quiz sessions, answers, mastery and its history, review cards and
sent polls."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from datetime import datetime
from typing import TypeVar

from sqlalchemy import case, func, inspect, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.learning.questions import Question

from .engine import StoreBase, changed
from .models import Attempt, Mastery, MasteryPoint, PollRef, QuizSession
from .tables import (
    AttemptRow,
    MasteryHistoryRow,
    MasteryRow,
    PollRow,
    QuizItemRow,
    QuizSessionRow,
    ReviewCardRow,
    UserRow,
    dumps,
    utcnow,
)

STATUSES = ("draft", "published", "retired")
HISTORY_POINTS = 200  # the latest values of each competency that `mastery_history` returns
T = TypeVar("T")


def _asked(quiz: QuizSessionRow, item_id: str, user_id: int) -> bool:
    """Whether the session is the user's and the item is (or was) asked in it."""
    return quiz.user_id == user_id and (
        item_id == quiz.current or item_id in json.loads(quiz.asked)
    )


async def _tally(s: AsyncSession, session_id: int) -> tuple[int, int]:
    """(right answers, answers) in the session."""
    right = func.coalesce(func.sum(case((AttemptRow.correct, 1), else_=0)), 0)
    query = select(right, func.count()).where(AttemptRow.session_id == session_id)
    score, answered = (await s.execute(query)).one()
    return int(score), int(answered)


async def _locked(s: AsyncSession, session_id: int) -> QuizSessionRow:
    row = await s.get(QuizSessionRow, session_id, with_for_update=True)
    if row is None:
        raise LookupError(f"no quiz session {session_id}")
    return row


class QuizRecords(StoreBase):
    # the question bank

    async def upsert_items(self, questions: list[Question]) -> tuple[int, int]:
        """Add new questions and replace those with a known id; returns (added, updated)."""
        latest = {q.id: q for q in questions}
        query = select(QuizItemRow).where(QuizItemRow.id.in_(latest)).with_for_update()
        async with self._sessions.begin() as s:
            existing = {row.id: row for row in await s.scalars(query)}
            for item_id, question in latest.items():
                values = QuizItemRow.values(question)
                if (row := existing.get(item_id)) is None:
                    s.add(QuizItemRow(**values))
                else:
                    for name, value in values.items():
                        setattr(row, name, value)
        return len(latest) - len(existing), len(existing)

    async def items(self, status: str | None = "published") -> list[Question]:
        """The bank in id order, only questions of `status` unless it is None."""
        query = select(QuizItemRow).order_by(QuizItemRow.id)
        if status is not None:
            query = query.where(QuizItemRow.status == status)
        async with self._sessions() as s:
            return [row.question() for row in await s.scalars(query)]

    async def item(self, item_id: str) -> Question | None:
        async with self._sessions() as s:
            row = await s.get(QuizItemRow, item_id)
            return row.question() if row else None

    async def set_item_status(self, item_id: str, status: str) -> bool:
        """Draft, publish or retire a question (attempts stay); False if there is no such one."""
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}; expected one of {', '.join(STATUSES)}")
        change = update(QuizItemRow).where(QuizItemRow.id == item_id)
        async with self._sessions.begin() as s:
            result = await s.execute(change.values(status=status, updated_at=utcnow()))
            return changed(result) > 0

    # sessions

    async def start_session(
        self, user_id: int, size: int, focus: list[str] | None = None
    ) -> QuizSession:
        """A new session of `size` questions; any open session of the user is finished first."""
        if size < 1:
            raise ValueError("a quiz session needs at least one question")
        now = utcnow()
        async with self._sessions.begin() as s:
            # FOR NO KEY UPDATE: one start per user at a time, answers (FK checks) unblocked
            if await s.get(UserRow, user_id, with_for_update={"key_share": True}) is None:
                raise LookupError(f"no user {user_id}")
            mine = (QuizSessionRow.user_id == user_id, QuizSessionRow.finished_at.is_(None))
            await s.execute(update(QuizSessionRow).where(*mine).values(finished_at=now))
            row = QuizSessionRow(
                user_id=user_id, size=size, focus=None if focus is None else dumps(list(focus)),
                asked="[]", selected="[]", started_at=now,
            )  # fmt: skip
            s.add(row)
            await s.flush()
            return row.record()

    async def open_session(self, user_id: int) -> QuizSession | None:
        """The user's unfinished session, if any."""
        query = (
            select(QuizSessionRow)
            .where(QuizSessionRow.user_id == user_id, QuizSessionRow.finished_at.is_(None))
            .order_by(QuizSessionRow.id.desc())
            .limit(1)
        )
        async with self._sessions() as s:
            row = await s.scalar(query)
            return row.record() if row else None

    async def last_session(self, user_id: int, before: int | None = None) -> QuizSession | None:
        """The user's latest session that asked anything, finished or not; with `before`, the
        latest of those started before session `before`."""
        query = select(QuizSessionRow).where(
            QuizSessionRow.user_id == user_id, QuizSessionRow.asked != "[]"
        )
        if before is not None:
            query = query.where(QuizSessionRow.id < before)
        async with self._sessions() as s:
            row = await s.scalar(query.order_by(QuizSessionRow.id.desc()).limit(1))
            return row.record() if row else None

    async def session(self, session_id: int) -> QuizSession | None:
        async with self._sessions() as s:
            row = await s.get(QuizSessionRow, session_id)
            return row.record() if row else None

    async def set_current(self, session_id: int, item_id: str, sent_at: datetime) -> QuizSession:
        """Mark `item_id` as sent and being answered (added to `asked` once; selection reset)."""
        async with self._sessions.begin() as s:
            row = await _locked(s, session_id)
            asked = json.loads(row.asked)
            if item_id not in asked:
                row.asked = dumps([*asked, item_id])
            row.current, row.selected, row.sent_at = item_id, "[]", sent_at
            return row.record()

    async def toggle_option(self, session_id: int, index: int) -> tuple[int, ...]:
        """Select or unselect an option of the current multiple-choice item; the selection."""
        async with self._sessions.begin() as s:
            row = await _locked(s, session_id)
            selected = tuple(sorted(set(json.loads(row.selected)) ^ {index}))
            row.selected = dumps(selected)
            return selected

    async def finish_session(self, session_id: int) -> None:
        open_ = (QuizSessionRow.id == session_id, QuizSessionRow.finished_at.is_(None))
        async with self._sessions.begin() as s:
            await s.execute(update(QuizSessionRow).where(*open_).values(finished_at=utcnow()))

    # answers

    @asynccontextmanager
    async def answering(self) -> AsyncIterator[AnswerWork]:
        """One answer's unit of work: its reads and writes share one transaction, committed
        when the block ends and rolled back if it raises (see `knowledge.learning.practice`)."""
        async with self._sessions.begin() as s:
            yield AnswerWork(self, s)

    # progress

    async def mastery(self, user_id: int) -> dict[str, Mastery]:
        query = select(MasteryRow).where(MasteryRow.user_id == user_id)
        async with self._sessions() as s:
            return {row.competency: row.record() for row in await s.scalars(query)}

    async def mastery_history(
        self, user_id: int, limit: int = HISTORY_POINTS
    ) -> dict[str, list[MasteryPoint]]:
        """Competency -> the values the user's mastery of it took, oldest first: the latest
        `limit` of each (competencies in id order, only those ever written)."""
        newest = (
            func.row_number()
            .over(
                partition_by=MasteryHistoryRow.competency,
                order_by=(MasteryHistoryRow.at.desc(), MasteryHistoryRow.id.desc()),
            )
            .label("newest")
        )
        ranked = (
            select(MasteryHistoryRow.id, newest)
            .where(MasteryHistoryRow.user_id == user_id)
            .subquery()
        )
        query = (
            select(MasteryHistoryRow)
            .join(ranked, ranked.c.id == MasteryHistoryRow.id)
            .where(ranked.c.newest <= limit)
            .order_by(MasteryHistoryRow.competency, MasteryHistoryRow.at, MasteryHistoryRow.id)
        )
        history: dict[str, list[MasteryPoint]] = {}
        async with self._sessions() as s:
            for row in await s.scalars(query):
                history.setdefault(row.competency, []).append(MasteryPoint(row.at, row.score))
        return history

    async def due_items(self, user_id: int, now: datetime) -> list[str]:
        """Published items due for review at `now`, most overdue first."""
        query = (
            select(ReviewCardRow.item_id)
            .join(QuizItemRow, QuizItemRow.id == ReviewCardRow.item_id)
            .where(ReviewCardRow.user_id == user_id, ReviewCardRow.due_at <= now)
            .where(QuizItemRow.status == "published")
            .order_by(ReviewCardRow.due_at, ReviewCardRow.item_id)
        )
        async with self._sessions() as s:
            return list(await s.scalars(query))

    async def next_due(
        self, user_id: int, after: datetime, items: Collection[str] | None = None
    ) -> datetime | None:
        """When the user's first published item not yet due at `after` (one of `items`, if
        given) is due for review; None when none is waiting."""
        query = (
            select(ReviewCardRow.due_at)
            .join(QuizItemRow, QuizItemRow.id == ReviewCardRow.item_id)
            .where(ReviewCardRow.user_id == user_id, ReviewCardRow.due_at > after)
            .where(QuizItemRow.status == "published")
        )
        if items is not None:
            query = query.where(ReviewCardRow.item_id.in_(list(items)))
        async with self._sessions() as s:
            found: datetime | None = await s.scalar(query.order_by(ReviewCardRow.due_at).limit(1))
            return found

    async def attempts_of(self, user_id: int) -> list[Attempt]:
        """Every answer of the user, oldest first."""
        query = select(AttemptRow).where(AttemptRow.user_id == user_id)
        async with self._sessions() as s:
            rows = await s.scalars(query.order_by(AttemptRow.answered_at, AttemptRow.id))
            return [row.record() for row in rows]

    # polls

    async def save_poll(self, ref: PollRef) -> None:
        async with self._sessions.begin() as s:
            s.add(PollRow(**vars(ref), sent_at=utcnow()))

    async def poll(self, poll_id: str) -> PollRef | None:
        async with self._sessions() as s:
            row = await s.get(PollRow, poll_id)
            if row is None:
                return None
            return PollRef(
                row.poll_id, row.user_id, row.session_id, row.item_id, row.chat_id, row.message_id
            )


class AnswerWork:
    """The reads and writes of recording one answer, on one transaction; rows read here are
    locked until it ends, so concurrent answers of one person queue instead of racing."""

    def __init__(self, store: QuizRecords, s: AsyncSession) -> None:
        self._store, self._s = store, s
        self._quiz: QuizSessionRow | None = None

    async def asked(self, session_id: int, item_id: str, user_id: int) -> Question | None:
        """The question, if it is (or was) asked in the user's session; locks the session."""
        self._quiz = await self._s.get(QuizSessionRow, session_id, with_for_update=True)
        row = await self._s.get(QuizItemRow, item_id)
        if self._quiz is None or row is None or not _asked(self._quiz, item_id, user_id):
            return None
        return row.question()

    async def add_attempt(
        self, *, user_id: int, item_id: str, session_id: int, response: tuple[int, ...] | str,
        correct: bool, seconds: float, at: datetime,
    ) -> int | None:  # fmt: skip
        """The new attempt's id; None when this item of the session was already answered."""
        stored = dumps(response if isinstance(response, str) else list(response))
        attempt = self._store._insert(AttemptRow).values(
            user_id=user_id, item_id=item_id, session_id=session_id, response=stored,
            correct=correct, seconds=seconds, answered_at=at,
        )  # fmt: skip
        once = attempt.on_conflict_do_nothing().returning(AttemptRow.id)  # UNIQUE(session, item)
        found = (await self._s.execute(once)).scalar()
        return None if found is None else int(found)

    async def mastery(self, user_id: int, competency: str, fresh: float) -> Mastery:
        """The user's mastery of `competency` (`fresh` if none yet), locked for an update."""
        row = await self._claim(MasteryRow, (user_id, competency), score=fresh, attempts=0)
        return row.record()

    async def set_mastery(
        self, user_id: int, competency: str, score: float, attempts: int, at: datetime
    ) -> None:
        """The new mastery value, also appended to its history (same transaction)."""
        row = await self._s.get(MasteryRow, (user_id, competency))
        assert row is not None  # claimed by `mastery` in this unit of work
        row.score, row.attempts, row.updated_at = score, attempts, at
        self._s.add(MasteryHistoryRow(user_id=user_id, competency=competency, score=score, at=at))

    async def card(self, user_id: int, item_id: str, at: datetime) -> str | None:
        """The review card (JSON; None if never reviewed) of the user and item, locked."""
        row = await self._claim(ReviewCardRow, (user_id, item_id), card=None, due_at=at)
        card: str | None = row.card
        return card

    async def set_card(self, user_id: int, item_id: str, card: str, due_at: datetime) -> None:
        row = await self._s.get(ReviewCardRow, (user_id, item_id))
        assert row is not None  # claimed by `card` in this unit of work
        row.card, row.due_at = card, due_at

    async def close_item(self, session_id: int, item_id: str, at: datetime) -> tuple[int, int, int]:
        """The item is answered: the session moves on (finished once it had `size` answers).
        Returns (right answers, answers, size) of the session so far."""
        quiz = self._quiz
        assert quiz is not None and quiz.id == session_id  # read by `asked` in this unit of work
        if quiz.current == item_id:
            quiz.current, quiz.selected = None, "[]"
        score, answered = await _tally(self._s, session_id)
        if answered >= quiz.size and quiz.finished_at is None:
            quiz.finished_at = at
        return score, answered, quiz.size

    async def _claim(self, entity: type[T], key: tuple[object, ...], **fresh: object) -> T:
        """The row of `entity` with primary key `key`, made from `fresh` if missing, locked.

        Inserting first makes concurrent writers of a new row queue on its key; the locked
        read then sees the latest committed values (PostgreSQL; SQLite runs one at a time).
        """
        names = [c.key for c in inspect(entity).primary_key]
        new = self._store._insert(entity).values(**dict(zip(names, key, strict=True)), **fresh)
        await self._s.execute(new.on_conflict_do_nothing())
        row = await self._s.get(entity, key, with_for_update=True)
        assert row is not None
        return row
