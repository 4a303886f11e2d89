"""The question log, feedback on answers, canonical answers and processed-update ids."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, delete, exists, func, or_, select
from sqlalchemy.orm import aliased

from .engine import StoreBase
from .models import Canonical, QuestionRecord
from .tables import (
    CanonicalRow,
    DismissalRow,
    ProcessedUpdateRow,
    QuestionRow,
    RatingRow,
    utcnow,
)

KEEP_UPDATES = timedelta(days=7)  # processed update ids older than this are pruned
PRUNE_EVERY = 3600.0  # seconds between prunes

_own = aliased(RatingRow)  # the asker's own rating of a question
_WITH_RATING = select(QuestionRow, _own.helpful).outerjoin(
    _own, and_(_own.question_id == QuestionRow.id, _own.user_id == QuestionRow.user_id)
)


class QuestionLog(StoreBase):
    _next_prune = 0.0

    async def log_question(
        self,
        *,
        user_id: int,
        chat_id: int,
        question: str,
        lang: str,
        answer: str,
        abstained: bool,
        citations: list[dict[str, Any]],
        canonical_id: int | None = None,
    ) -> int:
        """Record a question and its answer (the user must exist); returns the question id."""
        row = QuestionRow(
            user_id=user_id, chat_id=chat_id, question=question, lang=lang, answer=answer,
            abstained=abstained, citations=json.dumps(citations, ensure_ascii=False),
            canonical_id=canonical_id,
        )  # fmt: skip
        async with self._sessions.begin() as s:
            s.add(row)
        return row.id

    async def question(self, question_id: int) -> QuestionRecord | None:
        async with self._sessions() as s:
            found = (await s.execute(_WITH_RATING.where(QuestionRow.id == question_id))).first()
            return found[0].record(found[1]) if found else None

    async def asked_before(self, question_id: int, n: int = 5) -> list[str]:
        """The same person's last `n` questions logged before this one, newest first: what a
        follow-up followed."""
        asked = select(QuestionRow.user_id, QuestionRow.created_at).where(
            QuestionRow.id == question_id
        )
        async with self._sessions() as s:
            found = (await s.execute(asked)).first()
            if found is None:
                return []
            user_id, created = found
            earlier = (
                select(QuestionRow.question)
                .where(QuestionRow.user_id == user_id, QuestionRow.id != question_id)
                .where(
                    or_(
                        QuestionRow.created_at < created,
                        and_(QuestionRow.created_at == created, QuestionRow.id < question_id),
                    )
                )
                .order_by(QuestionRow.created_at.desc(), QuestionRow.id.desc())
                .limit(n)
            )
            return list((await s.scalars(earlier)).all())

    async def count_questions(self, user_id: int, since: datetime) -> int:
        """How many questions the user has asked at or after `since`."""
        return (await self.question_counts(user_id, since))[0]

    async def question_counts(self, user_id: int, *since: datetime) -> tuple[int, ...]:
        """How many questions the user has asked since each of the given times (one query)."""
        earliest = min(since)
        created = QuestionRow.created_at
        query = select(
            *(func.coalesce(func.sum(case((created >= t, 1), else_=0)), 0) for t in since)
        ).where(QuestionRow.user_id == user_id, created >= earliest)
        async with self._sessions() as s:
            row = (await s.execute(query)).one()
        return tuple(int(n) for n in row)

    async def question_times(self, user_id: int, since: datetime) -> list[datetime]:
        """When the user asked each question since `since`, earliest first."""
        created = QuestionRow.created_at
        query = select(created).where(QuestionRow.user_id == user_id, created >= since)
        async with self._sessions() as s:
            return list((await s.scalars(query.order_by(created))).all())

    async def rate(self, question_id: int, user_id: int, helpful: bool) -> bool:
        """The asker rates the answer to their question (a later rating replaces an earlier
        one); False, and nothing stored, if there is no such question or it isn't theirs."""
        values = dict(question_id=question_id, user_id=user_id, helpful=helpful)
        async with self._sessions.begin() as s:
            asked = await s.get(QuestionRow, question_id)
            if asked is None or asked.user_id != user_id:
                return False
            upsert = self._insert(RatingRow).values(**values, created_at=utcnow())
            await s.execute(
                upsert.on_conflict_do_update(
                    index_elements=["question_id", "user_id"],
                    set_={"helpful": helpful, "created_at": upsert.excluded.created_at},
                )
            )
            return True

    async def open_feedback(self, limit: int = 10) -> list[QuestionRecord]:
        """Abstained or unhelpful-rated questions with no canonical answer yet and not dismissed,
        newest first."""
        unhelpful = exists().where(
            RatingRow.question_id == QuestionRow.id, RatingRow.helpful.is_(False)
        )
        answered = exists().where(CanonicalRow.source_question_id == QuestionRow.id)
        dismissed = exists().where(DismissalRow.question_id == QuestionRow.id)
        query = (
            _WITH_RATING.where(or_(QuestionRow.abstained, unhelpful), ~answered, ~dismissed)
            .order_by(QuestionRow.created_at.desc(), QuestionRow.id.desc())
            .limit(limit)
        )
        async with self._sessions() as s:
            return [row.record(rating) for row, rating in await s.execute(query)]

    async def add_canonical(
        self,
        *,
        question: str,
        lang: str,
        answer: str,
        author_id: int | None,
        author_name: str,
        source_question_id: int | None,
        standalone: str | None = None,
    ) -> Canonical:
        """Store an instructor's answer; it closes the feedback on `source_question_id`.

        `standalone` is the question worded without the asker's details: it replaces their
        words if they are forgotten."""
        now = utcnow()
        row = CanonicalRow(
            question=question, lang=lang, answer=answer, author_id=author_id,
            author_name=author_name, source_question_id=source_question_id,
            standalone=standalone or None, created_at=now, revised_at=now,
        )  # fmt: skip
        async with self._sessions.begin() as s:
            s.add(row)
        return row.record()

    async def canonicals(self) -> list[Canonical]:
        """The canonical answers in force (not retired), oldest first: what is served."""
        query = select(CanonicalRow).where(CanonicalRow.retired_at.is_(None))
        async with self._sessions() as s:
            rows = await s.scalars(query.order_by(CanonicalRow.id))
            return [row.record() for row in rows]

    async def claim_update(self, update_id: int) -> bool:
        """True the first time a Telegram update id is claimed, False for any repeat."""
        now = utcnow()
        async with self._sessions.begin() as s:
            if time.monotonic() >= self._next_prune:
                self._next_prune = time.monotonic() + PRUNE_EVERY
                old = ProcessedUpdateRow.created_at < now - KEEP_UPDATES
                await s.execute(delete(ProcessedUpdateRow).where(old))
            claim = (
                self._insert(ProcessedUpdateRow)
                .values(update_id=update_id, created_at=now)
                .on_conflict_do_nothing()
                .returning(ProcessedUpdateRow.update_id)
            )
            return (await s.execute(claim)).first() is not None
