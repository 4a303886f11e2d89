"""The learner-records store: people, invites, the question log, feedback and canonical answers.

SQLite by default, PostgreSQL by URL. The schema is kept current by the Alembic migrations
in `migrations/`, run on every `Records.open`. People and invites live here; the question
log, feedback and canonical answers in `log.py`.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update

from knowledge.people import (
    Invite,
    InviteError,
    User,
    check_invite_terms,
    higher,
    new_invite_code,
    redeem_refusal,
    validate,
)

from .canon import CanonicalRecords
from .engine import MEMORY, changed, connect
from .identities import Identity, IdentityRecords
from .inflight import InFlightRecords
from .log import QuestionLog
from .quiz import QuizRecords
from .reporting import ReportingMixin
from .tables import CanonicalRow, InviteRow, QuestionRow, RatingRow, UserRow, utcnow
from .web import WebRecords

USER_FIELDS = frozenset({"name", "role", "cohort", "category", "lang", "pending"})


class Records(
    IdentityRecords,
    QuestionLog,
    CanonicalRecords,
    QuizRecords,
    ReportingMixin,
    WebRecords,
    InFlightRecords,
):
    """Async access to the records database; open with `await Records.open(url)`."""

    @classmethod
    async def open(cls, url: str, *, schema: str | None = None) -> Records:
        """Connect, migrate to the newest schema and return the store.

        `schema` (PostgreSQL only) sets the search path, e.g. a throwaway schema in tests.
        """
        return cls(await connect(url, schema))

    @classmethod
    async def in_memory(cls) -> Records:
        """A fresh, migrated store in SQLite in memory, gone when it is closed: the fake beside
        the records for tests of flows (the same code as the real store, no file)."""
        return await cls.open(MEMORY)

    # people

    async def user(self, user_id: int) -> User | None:
        async with self._sessions() as s:
            row = await s.get(UserRow, user_id)
            return row.record() if row else None

    async def ensure_user(
        self, user_id: int, *, name: str, role: str, lang: str | None = None
    ) -> User:
        """Insert the user if missing; an existing one is kept, only ever raised in role."""
        validate(role=role, lang=lang)
        async with self._sessions.begin() as s:
            new = dict(id=user_id, name=name, role=role, lang=lang)
            await s.execute(self._insert(UserRow).values(**new).on_conflict_do_nothing())
            row = await s.get(UserRow, user_id, with_for_update=True)
            assert row is not None
            row.role = higher(row.role, role)
            return row.record()

    async def ensure_identified(
        self, identity: Identity, *, name: str, role: str, lang: str | None = None
    ) -> User:
        """The user known by `identity` (channel, external id), enrolled with it if new (the
        user and the identity in one transaction); an existing one is only ever raised in role."""
        validate(role=role, lang=lang)
        async with self._sessions.begin() as s:
            row = await self._identified(s, identity)
            if row is None:
                row = await self._enrol(s, identity, name=name, role=role, lang=lang)
            row.role = higher(row.role, role)
            user = row.record()
        self._remember(identity, user.id)
        return user

    async def update_user(self, user_id: int, **fields: Any) -> User | None:
        """Change any of name, role, cohort, category, lang, pending; None if no such user."""
        unknown = set(fields) - USER_FIELDS
        if unknown:
            raise TypeError(f"cannot update user fields: {', '.join(sorted(unknown))}")
        validate(**fields)
        async with self._sessions.begin() as s:
            row = await s.get(UserRow, user_id, with_for_update=True)
            if row is None:
                return None
            for name, value in fields.items():
                setattr(row, name, value)
            return row.record()

    async def recent_questions(self, user_id: int) -> tuple[str, ...]:
        """The person's last questions, oldest first: the context of a follow-up."""
        async with self._sessions() as s:
            stored = await s.scalar(select(UserRow.recent).where(UserRow.id == user_id))
        try:
            questions = json.loads(stored) if stored else []
        except ValueError:
            return ()
        return (
            tuple(q for q in questions if isinstance(q, str)) if isinstance(questions, list) else ()
        )

    async def remember_question(self, user_id: int, question: str, keep: int) -> None:
        """Add `question` to the person's last questions, keeping the last `keep`."""
        async with self._sessions.begin() as s:
            row = await s.get(UserRow, user_id, with_for_update=True)
            if row is None:
                return
            try:
                earlier = json.loads(row.recent) if row.recent else []
            except ValueError:
                earlier = []
            kept = [q for q in earlier if isinstance(q, str)] if isinstance(earlier, list) else []
            row.recent = json.dumps((kept + [question])[-keep:], ensure_ascii=False)

    async def users(self, role: str | None = None, cohort: str | None = None) -> list[User]:
        query = select(UserRow).order_by(UserRow.created_at, UserRow.id)
        if role is not None:
            query = query.where(UserRow.role == role)
        if cohort is not None:
            query = query.where(UserRow.cohort == cohort)
        async with self._sessions() as s:
            return [row.record() for row in await s.scalars(query)]

    async def forget(self, user_id: int) -> bool:
        """Delete the user with their questions, ratings and quiz records; True if there was
        such a user. A canonical answer to one of their questions stays, no longer linked to
        it, with their words replaced by its standalone question where it has one; its
        earlier wordings get that question too, or are deleted where it has none. Answers
        and revisions they wrote keep no name. Their identities go with them (the database
        cascades), so they arrive as newcomers again."""
        asked = select(QuestionRow.id).where(QuestionRow.user_id == user_id)
        async with self._sessions.begin() as s:
            theirs_canonical = CanonicalRow.source_question_id.in_(asked)
            await self._forget_in_revisions(s, user_id, theirs_canonical)
            await s.execute(
                update(CanonicalRow)
                .where(theirs_canonical, CanonicalRow.standalone.is_not(None))
                .values(question=CanonicalRow.standalone, revised_at=utcnow())
            )
            await s.execute(
                update(CanonicalRow).where(theirs_canonical).values(source_question_id=None)
            )
            await s.execute(  # answers they wrote stay, under no name ("an instructor")
                update(CanonicalRow)
                .where(CanonicalRow.author_id == user_id)
                .values(author_id=None, author_name="", revised_at=utcnow())
            )
            theirs = or_(RatingRow.user_id == user_id, RatingRow.question_id.in_(asked))
            await s.execute(delete(RatingRow).where(theirs))
            await s.execute(delete(QuestionRow).where(QuestionRow.user_id == user_id))
            result = await s.execute(delete(UserRow).where(UserRow.id == user_id))
        self._forget_cached(user_id)
        return changed(result) > 0

    # invites

    async def create_invite(
        self,
        *,
        role: str,
        cohort: str | None,
        category: str | None,
        max_uses: int,
        expires_at: datetime,
        created_by: int,
    ) -> Invite:
        """A new invite; its 12-character code fits a Telegram deep link (`?start=<code>`)."""
        check_invite_terms(role=role, category=category, max_uses=max_uses)
        row = InviteRow(
            code=new_invite_code(), role=role, cohort=cohort, category=category,
            max_uses=max_uses, uses=0, expires_at=expires_at, created_by=created_by,
            revoked=False,
        )  # fmt: skip
        async with self._sessions.begin() as s:
            s.add(row)
        return row.record()

    async def redeem(
        self,
        code: str,
        *,
        user_id: int | None = None,
        identity: Identity | None = None,
        name: str,
        lang: str | None,
    ) -> User:
        """Enrol the user with the invite's role, cohort and category, using up one use.

        The user is `user_id`, or the one known by `identity` (channel, external id): a
        newcomer by an identity gets a user with it linked, in the same transaction.

        Raises InviteError("unknown" | "revoked" | "expired" | "used_up"). A user already
        enrolled by this code gets their record back without another use being taken.
        """
        validate(lang=lang)
        if (user_id is None) == (identity is None):
            raise TypeError("redeem takes a user_id or an identity")
        async with self._sessions.begin() as s:
            invite = await s.get(InviteRow, code, with_for_update=True)
            if identity is not None:
                row = await self._identified(s, identity)
            else:
                row = await s.get(UserRow, user_id, with_for_update=True)
            enrolled = row is not None and row.invite_code == code
            snapshot = invite.record() if invite is not None else None
            if reason := redeem_refusal(snapshot, enrolled=enrolled, now=utcnow()):
                raise InviteError(reason)
            if enrolled:
                assert row is not None
                return row.record()
            assert invite is not None
            # The use is taken in SQL, not from the snapshot: under concurrency it counts once.
            taken = await s.execute(
                update(InviteRow)
                .where(InviteRow.code == code, InviteRow.uses < InviteRow.max_uses)
                .values(uses=InviteRow.uses + 1)
            )
            if changed(taken) != 1:
                raise InviteError("used_up")
            if row is None and identity is not None:
                row = await self._enrol(s, identity, name=name, role=invite.role, lang=lang)
            if row is None:
                new = dict(id=user_id, name=name, role=invite.role, lang=lang)
                await s.execute(self._insert(UserRow).values(**new).on_conflict_do_nothing())
                row = await s.get(UserRow, user_id, with_for_update=True)
                assert row is not None
            row.name, row.lang = name, row.lang or lang
            row.role = higher(row.role, invite.role)
            row.cohort, row.category, row.invite_code = invite.cohort, invite.category, code
            return row.record()

    async def revoke(self, code: str) -> bool:
        async with self._sessions.begin() as s:
            result = await s.execute(
                update(InviteRow).where(InviteRow.code == code).values(revoked=True)
            )
            return changed(result) > 0

    async def invites(self, active_only: bool = True) -> list[Invite]:
        """Invites, newest first; by default only those that can still enrol someone."""
        query = select(InviteRow).order_by(InviteRow.created_at.desc(), InviteRow.code)
        if active_only:
            query = query.where(
                InviteRow.revoked.is_(False),
                InviteRow.expires_at > utcnow(),
                InviteRow.uses < InviteRow.max_uses,
            )
        async with self._sessions() as s:
            return [row.record() for row in await s.scalars(query)]
