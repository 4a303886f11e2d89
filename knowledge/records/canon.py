"""Canonical answers as instructors keep them: each with how often it was served, edited in
place (the wording replaced kept as a revision), retired (kept in the records, no longer
served)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from .engine import StoreBase, changed
from .models import Canonical, CanonicalRevision, CanonicalsVersion
from .tables import CanonicalRevisionRow, CanonicalRow, QuestionRow, utcnow


class CanonicalRecords(StoreBase):
    async def canonical(self, canonical_id: int) -> Canonical | None:
        """One canonical answer, retired or not."""
        async with self._sessions() as s:
            row = await s.get(CanonicalRow, canonical_id)
            return row.record() if row else None

    async def canonicals_served(self) -> list[tuple[Canonical, int]]:
        """The canonical answers in force, newest first, each with how many logged questions
        it answered (a forgotten asker's questions are no longer counted)."""
        served = (
            select(QuestionRow.canonical_id, func.count().label("n"))
            .where(QuestionRow.canonical_id.is_not(None))
            .group_by(QuestionRow.canonical_id)
            .subquery()
        )
        query = (
            select(CanonicalRow, func.coalesce(served.c.n, 0))
            .outerjoin(served, served.c.canonical_id == CanonicalRow.id)
            .where(CanonicalRow.retired_at.is_(None))
            .order_by(CanonicalRow.created_at.desc(), CanonicalRow.id.desc())
        )
        async with self._sessions() as s:
            return [(row.record(), int(n)) for row, n in await s.execute(query)]

    async def edit_canonical(
        self,
        canonical_id: int,
        *,
        question: str,
        answer: str,
        editor_id: int | None,
        editor_name: str,
    ) -> Canonical | None:
        """New wording of a canonical answer in force (its author and date stay); None if there
        is no such answer or it was retired. The wording it replaces is kept as a revision
        by the editor (none when nothing changed). A reworded question is the instructor's
        own, so it is also what stays if the asker is forgotten."""
        async with self._sessions.begin() as s:
            row = await s.get(CanonicalRow, canonical_id, with_for_update=True)
            if row is None or row.retired_at is not None:
                return None
            if (question, answer) != (row.question, row.answer):
                now = utcnow()
                replaced = CanonicalRevisionRow(
                    canonical_id=row.id, question=row.question, answer=row.answer,
                    editor_id=editor_id, editor_name=editor_name, replaced_at=now,
                )  # fmt: skip
                s.add(replaced)
                if question != row.question:
                    row.standalone = question
                row.question, row.answer, row.revised_at = question, answer, now
            return row.record()

    async def canonical_revisions(self, canonical_id: int) -> list[CanonicalRevision]:
        """The wordings a canonical answer had before its edits, the last replaced first."""
        query = (
            select(CanonicalRevisionRow)
            .where(CanonicalRevisionRow.canonical_id == canonical_id)
            .order_by(CanonicalRevisionRow.replaced_at.desc(), CanonicalRevisionRow.id.desc())
        )
        async with self._sessions() as s:
            return [row.record() for row in await s.scalars(query)]

    @staticmethod
    async def _forget_in_revisions(
        s: AsyncSession, user_id: int, theirs_canonical: ColumnElement[bool]
    ) -> None:
        """Earlier wordings of canonical answers to the person's questions take the answer's
        standalone question, or go where it has none; their name leaves revisions they made."""
        revision = CanonicalRevisionRow
        standalone = (
            select(CanonicalRow.standalone)
            .where(CanonicalRow.id == revision.canonical_id)
            .scalar_subquery()
        )
        with_standalone = select(CanonicalRow.id).where(
            theirs_canonical, CanonicalRow.standalone.is_not(None)
        )
        without = select(CanonicalRow.id).where(theirs_canonical, CanonicalRow.standalone.is_(None))
        await s.execute(
            update(revision)
            .where(revision.canonical_id.in_(with_standalone))
            .values(question=standalone)
        )
        await s.execute(delete(revision).where(revision.canonical_id.in_(without)))
        await s.execute(
            update(revision)
            .where(revision.editor_id == user_id)
            .values(editor_id=None, editor_name=None)
        )

    async def retire_canonical(self, canonical_id: int) -> bool:
        """Stop serving a canonical answer, keeping it in the records; False if there is no such
        answer in force."""
        now = utcnow()
        query = (
            update(CanonicalRow)
            .where(CanonicalRow.id == canonical_id, CanonicalRow.retired_at.is_(None))
            .values(retired_at=now, revised_at=now)
        )
        async with self._sessions.begin() as s:
            return changed(await s.execute(query)) > 0

    async def canonicals_version(self) -> CanonicalsVersion:
        """What the canonical answers are at, in one aggregate query: it changes whenever one
        is written, reworded, retired or has its question rewritten by forgetting the asker.
        A process serving them compares it with the one it loaded at to know it must reload."""
        query = select(func.count(), func.max(CanonicalRow.id), func.max(CanonicalRow.revised_at))
        async with self._sessions() as s:
            count, last_id, revised = (await s.execute(query)).one()
        return CanonicalsVersion(int(count), last_id, revised)
