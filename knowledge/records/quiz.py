"""Quizzes: the question bank, quiz sessions, answers, mastery, review cards and sent polls."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TypeVar

from sqlalchemy import case, func, inspect, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.learning import mastery as elo
from knowledge.learning.questions import Question
from knowledge.learning.schedule import review

from .engine import StoreBase
from .models import AnswerResult, Attempt, Mastery, PollRef, QuizSession
from .tables import (
    AttemptRow,
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
            return result.rowcount > 0

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

    async def record_answer(
        self,
        *,
        session_id: int,
        item_id: str,
        user_id: int,
        response: tuple[int, ...] | str,
        seconds: float,
    ) -> AnswerResult | None:
        """Record an answer, update mastery and the review card, all in one transaction.

        None when the session is unknown (or not the user's), the item was not asked in it,
        or this item of the session was already answered: a repeated answer counts once.
        """
        now = utcnow()
        async with self._sessions.begin() as s:
            quiz = await s.get(QuizSessionRow, session_id, with_for_update=True)
            row = await s.get(QuizItemRow, item_id)
            if quiz is None or row is None or not _asked(quiz, item_id, user_id):
                return None
            question = row.question()
            correct = question.is_correct(response)
            stored = dumps(response if isinstance(response, str) else list(response))
            attempt = self._insert(AttemptRow).values(
                user_id=user_id, item_id=item_id, session_id=session_id, response=stored,
                correct=correct, seconds=seconds, answered_at=now,
            )  # fmt: skip
            once = attempt.on_conflict_do_nothing().returning(
                AttemptRow.id
            )  # UNIQUE(session, item)
            if (attempt_id := (await s.execute(once)).scalar()) is None:
                return None
            after = await self._learn(s, user_id, question, correct, now)
            card = await self._claim(s, ReviewCardRow, (user_id, item_id), card=None, due_at=now)
            card.card, card.due_at = review(card.card, correct, now)
            if quiz.current == item_id:
                quiz.current, quiz.selected = None, "[]"
            score, answered = await _tally(s, session_id)
            if answered >= quiz.size and quiz.finished_at is None:
                quiz.finished_at = now
            finished = answered >= quiz.size
            return AnswerResult(attempt_id, item_id, correct, after, score, answered, finished)

    async def _learn(
        self, s: AsyncSession, user_id: int, question: Question, correct: bool, now: datetime
    ) -> dict[str, float]:
        """Move the user's mastery of each competency of the question, under row locks."""
        after: dict[str, float] = {}
        for competency in sorted(set(question.competencies)):  # one lock order: no deadlocks
            key = (user_id, competency)
            row = await self._claim(s, MasteryRow, key, score=elo.START, attempts=0)
            row.score = elo.update(row.score, row.attempts, question.level, correct)
            row.attempts, row.updated_at = row.attempts + 1, now
            after[competency] = row.score
        return after

    async def _claim(self, s: AsyncSession, entity: type[T], key: tuple, **fresh: object) -> T:
        """The row of `entity` with primary key `key`, made from `fresh` if missing, locked.

        Inserting first makes concurrent writers of a new row queue on its key; the locked
        read then sees the latest committed values (PostgreSQL; SQLite runs one at a time).
        """
        names = [c.key for c in inspect(entity).primary_key]
        new = self._insert(entity).values(**dict(zip(names, key, strict=True)), **fresh)
        await s.execute(new.on_conflict_do_nothing())
        row = await s.get(entity, key, with_for_update=True)
        assert row is not None
        return row

    # progress

    async def mastery(self, user_id: int) -> dict[str, Mastery]:
        query = select(MasteryRow).where(MasteryRow.user_id == user_id)
        async with self._sessions() as s:
            return {row.competency: row.record() for row in await s.scalars(query)}

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
