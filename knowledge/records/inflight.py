"""Work in flight: a slow piece of handling (a question, an upload) is written down when it
begins and deleted when it ends, so that after a crash or a kill the next start knows what was
cut off and whom to tell. Each costs one insert and one delete; leftovers are taken (deleted)
one by one, so two processes starting at once never both tell the same person."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update

from .engine import StoreBase, changed
from .models import InFlight
from .tables import InFlightRow, utcnow

KINDS = ("question", "upload")
ABOUT_CHARS = 200  # what is kept of the description; callers shorten it for people


class InFlightRecords(StoreBase):
    async def begin_work(
        self, *, user_id: int, chat_id: int, kind: str, about: str, lang: str
    ) -> int:
        """Write down work begun for `user_id` (who must exist); returns its id for
        `finish_work`."""
        if kind not in KINDS:
            raise ValueError(f"unknown kind of work: {kind!r}")
        row = InFlightRow(
            user_id=user_id, chat_id=chat_id, kind=kind, about=about[:ABOUT_CHARS], lang=lang,
            started_at=utcnow(),
        )  # fmt: skip
        async with self._sessions.begin() as s:
            s.add(row)
        return row.id

    async def work_shown(self, work_id: int, chat_id: int, message_id: int) -> bool:
        """The channel shows the progress of `work_id` in this message: a restart after a
        crash edits it. True if the work is still there."""
        query = (
            update(InFlightRow)
            .where(InFlightRow.id == work_id)
            .values(status_chat_id=chat_id, status_message_id=message_id)
        )
        async with self._sessions.begin() as s:
            return changed(await s.execute(query)) > 0

    async def finish_work(self, work_id: int) -> bool:
        """The work ended (with an answer or an error reply): forget it. True if it was there."""
        async with self._sessions.begin() as s:
            result = await s.execute(delete(InFlightRow).where(InFlightRow.id == work_id))
            return changed(result) > 0

    async def work_in_flight(self, before: datetime | None = None) -> list[InFlight]:
        """Work begun (before `before`, if given) and not finished, oldest first."""
        query = select(InFlightRow).order_by(InFlightRow.started_at, InFlightRow.id)
        if before is not None:
            query = query.where(InFlightRow.started_at < before)
        async with self._sessions() as s:
            return [row.record() for row in await s.scalars(query)]

    async def take_leftover_work(self, before: datetime) -> list[InFlight]:
        """The work begun before `before` and never finished (a crash, a kill), each deleted as
        it is taken: what this call returns no other call returns, so each is handled once."""
        taken = []
        for work in await self.work_in_flight(before):
            if await self.finish_work(work.id):
                taken.append(work)
        return taken
