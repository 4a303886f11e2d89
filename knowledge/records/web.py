"""Sign-in links and sessions of the web console, and when people were last active.

Tokens are handed out once and never stored: the tables keep their SHA-256 only, so a copy of
the database opens no session. A session names a person, never a role: the role is read from
their user record on every request, so a demotion or a removal takes effect at once (removing
a person deletes their sessions with them).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

from sqlalchemy import delete, func, select, update

from knowledge.people import User

from .engine import StoreBase, changed
from .tables import (
    AttemptRow,
    DismissalRow,
    QuestionRow,
    UserRow,
    WebSessionRow,
    WebSigninRow,
    utcnow,
)

SIGNIN_REASONS = ("unknown", "used", "expired")


class SigninError(Exception):
    """A sign-in link that cannot be used; `reason` is one of SIGNIN_REASONS."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"sign-in link refused: {reason}")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class WebRecords(StoreBase):
    async def create_signin(self, user_id: int, expires_at: datetime) -> str:
        """A new one-time sign-in token for the user (returned, stored only as its hash);
        tokens and sessions past their time are pruned on the way."""
        token = secrets.token_urlsafe(32)
        row = WebSigninRow(token_hash=token_hash(token), user_id=user_id, expires_at=expires_at)
        async with self._sessions.begin() as s:
            now = utcnow()
            await s.execute(delete(WebSigninRow).where(WebSigninRow.expires_at < now))
            await s.execute(delete(WebSessionRow).where(WebSessionRow.expires_at < now))
            s.add(row)
        return token

    async def check_signin(self, token: str) -> int:
        """The user a sign-in token is for, without using it up; raises SigninError."""
        async with self._sessions() as s:
            row = await s.get(WebSigninRow, token_hash(token))
            return _usable(row)

    async def use_signin(self, token: str) -> int:
        """Use the token up and return its user; raises SigninError. Two tabs racing with
        one link: exactly one wins."""
        key = token_hash(token)
        async with self._sessions.begin() as s:
            row = await s.get(WebSigninRow, key, with_for_update=True)
            user_id = _usable(row)
            taken = await s.execute(
                update(WebSigninRow)
                .where(WebSigninRow.token_hash == key, WebSigninRow.used_at.is_(None))
                .values(used_at=utcnow())
            )
            if changed(taken) != 1:
                raise SigninError("used")
            return user_id

    async def open_web_session(self, user_id: int, expires_at: datetime) -> str:
        """A new browser session for the user; returns its token (stored as a hash only)."""
        token = secrets.token_urlsafe(32)
        row = WebSessionRow(token_hash=token_hash(token), user_id=user_id, expires_at=expires_at)
        async with self._sessions.begin() as s:
            s.add(row)
        return token

    async def web_session_user(self, token: str) -> User | None:
        """The person a live session belongs to, as the records have them now."""
        query = (
            select(UserRow)
            .join(WebSessionRow, WebSessionRow.user_id == UserRow.id)
            .where(WebSessionRow.token_hash == token_hash(token))
            .where(WebSessionRow.expires_at > utcnow())
        )
        async with self._sessions() as s:
            row = await s.scalar(query)
            return row.record() if row else None

    async def close_web_session(self, token: str) -> None:
        async with self._sessions.begin() as s:
            mine = WebSessionRow.token_hash == token_hash(token)
            await s.execute(delete(WebSessionRow).where(mine))

    async def dismiss_feedback(self, question_id: int, by: int) -> bool:
        """Take a question off the feedback queue; False if there is no such question."""
        async with self._sessions.begin() as s:
            if await s.get(QuestionRow, question_id) is None:
                return False
            row = dict(question_id=question_id, user_id=by, created_at=utcnow())
            await s.execute(self._insert(DismissalRow).values(**row).on_conflict_do_nothing())
            return True

    async def last_active(self) -> dict[int, datetime]:
        """Each person's latest question or quiz answer."""
        found: dict[int, datetime] = {}
        queries = (
            select(QuestionRow.user_id, func.max(QuestionRow.created_at)).group_by(
                QuestionRow.user_id
            ),
            select(AttemptRow.user_id, func.max(AttemptRow.answered_at)).group_by(
                AttemptRow.user_id
            ),
        )
        async with self._sessions() as s:
            for query in queries:
                for user_id, stored in await s.execute(query):
                    when = _aware(stored)
                    if when and (user_id not in found or when > found[user_id]):
                        found[user_id] = when
        return found


def _usable(row: WebSigninRow | None) -> int:
    if row is None:
        raise SigninError("unknown")
    if row.used_at is not None:
        raise SigninError("used")
    if row.expires_at <= utcnow():
        raise SigninError("expired")
    return row.user_id


def _aware(value: datetime | str | None) -> datetime | None:
    """An aggregate comes back without the column type's conversion (naive, or text on
    SQLite): read it as UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
