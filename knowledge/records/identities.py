"""Identities: how a person is known on each channel ('telegram', their Telegram id; later a
web or WeChat id), each linked to one user of ours. `users.id` is our own id; a newcomer gets
a user and their identity in one transaction (`enrol`), with the channel's id as their user
id when it is a free number (a Telegram id usually is), else the next free id.

Which user an identity is (`user_of`) is asked on every update, so it is kept in memory,
bounded; forgetting a user or linking an identity elsewhere drops what it kept of them."""

from __future__ import annotations

from collections import OrderedDict

from sqlalchemy import Select, delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from .engine import StoreBase
from .tables import IdentityRow, UserRow

Identity = tuple[str, str]  # (channel, the channel's id of the person)
CACHED = 10_000  # identities whose user is kept in memory
_MAX_ID = 2**63 - 1


class IdentityRecords(StoreBase):
    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine)
        self._known: OrderedDict[Identity, int] = OrderedDict()

    async def user_of(self, channel: str, external_id: str) -> int | None:
        """The user id of the person known as `external_id` on `channel`; None for a newcomer."""
        key = (channel, external_id)
        if (cached := self._known.get(key)) is not None:
            self._known.move_to_end(key)
            return cached
        async with self._sessions() as s:
            user_id = await s.scalar(_user_id_of(key))
        if user_id is not None:
            self._remember(key, user_id)
        return user_id

    async def external_id(self, user_id: int, channel: str) -> str | None:
        """How the user is known on `channel` (their Telegram id, as text); None if not there."""
        query = (
            select(IdentityRow.external_id)
            .where(IdentityRow.user_id == user_id, IdentityRow.channel == channel)
            .order_by(IdentityRow.created_at.desc())
            .limit(1)
        )
        async with self._sessions() as s:
            return await s.scalar(query)

    async def identities(self, user_id: int) -> list[Identity]:
        """Every (channel, external id) the user is known by."""
        query = select(IdentityRow.channel, IdentityRow.external_id).where(
            IdentityRow.user_id == user_id
        )
        async with self._sessions() as s:
            return [(c, e) for c, e in (await s.execute(query)).all()]

    async def link_identity(self, user_id: int, channel: str, external_id: str) -> bool:
        """The person known as `external_id` on `channel` is `user_id` from now on (an identity
        linked to someone else moves). False if there is no such user."""
        async with self._sessions.begin() as s:
            if await s.get(UserRow, user_id) is None:
                return False
            await s.execute(
                self._insert(IdentityRow)
                .values(channel=channel, external_id=external_id, user_id=user_id)
                .on_conflict_do_update(
                    index_elements=["channel", "external_id"], set_={"user_id": user_id}
                )
            )
        self._known.pop((channel, external_id), None)
        return True

    def _remember(self, key: Identity, user_id: int) -> None:
        self._known[key] = user_id
        self._known.move_to_end(key)
        while len(self._known) > CACHED:
            self._known.popitem(last=False)

    def _forget_cached(self, user_id: int) -> None:
        for key in [k for k, v in self._known.items() if v == user_id]:
            del self._known[key]

    async def _identified(self, s: AsyncSession, identity: Identity) -> UserRow | None:
        """In `s`: the user known by `identity`, locked for update; None for a newcomer."""
        user_id = await s.scalar(_user_id_of(identity))
        return None if user_id is None else await s.get(UserRow, user_id, with_for_update=True)

    async def _enrol(
        self, s: AsyncSession, identity: Identity, *, name: str, role: str, lang: str | None
    ) -> UserRow:
        """In `s`: a new user for `identity` with the identity linked, or, when someone
        enrolled the same identity meanwhile, theirs. The user id is the channel's id when that
        is a free number, else the next free id."""
        channel, external = identity
        wanted = int(external) if external.isdecimal() and 0 < int(external) <= _MAX_ID else None
        for _ in range(50):  # another enrolment may take the id between the look and the insert
            if wanted is None or await s.get(UserRow, wanted) is not None:
                wanted = (await s.scalar(select(func.max(UserRow.id))) or 0) + 1
            new = dict(id=wanted, name=name, role=role, lang=lang)
            made = self._insert(UserRow).values(**new).on_conflict_do_nothing()
            if (await s.execute(made.returning(UserRow.id))).scalar() is not None:
                break
            wanted = None
        else:
            raise RuntimeError("no free user id found")
        link = (
            self._insert(IdentityRow)
            .values(channel=channel, external_id=external, user_id=wanted)
            .on_conflict_do_nothing()
            .returning(IdentityRow.user_id)
        )
        if (await s.execute(link)).scalar() is None:  # enrolled at the same moment elsewhere
            await s.execute(delete(UserRow).where(UserRow.id == wanted))
            row = await self._identified(s, identity)
        else:
            row = await s.get(UserRow, wanted, with_for_update=True)
        assert row is not None
        return row


def _user_id_of(identity: Identity) -> Select[int]:
    channel, external = identity
    return select(IdentityRow.user_id).where(
        IdentityRow.channel == channel, IdentityRow.external_id == external
    )
