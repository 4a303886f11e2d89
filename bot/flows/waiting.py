"""Questions over the per-minute limit are kept and answered when the limit allows, in order;
at most `Policy.queued` per person wait, and past that they are told when to ask again."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from bot.events import Out
from bot.flows import Ctx
from knowledge.records import Records

if TYPE_CHECKING:
    from bot.services import Policy

log = logging.getLogger(__name__)


class Needs(Protocol):
    records: Records
    policy: Policy
    waiting: Waiting
    push: Callable[[int, AsyncIterator[Out]], Awaitable[None]] | None


def slots(ctx: Ctx[Needs], times: list[datetime], count: int) -> list[datetime]:
    """When each of the next `count` questions may be answered, given when the last ones
    were asked (`times`, earliest first): each frees a slot `window` seconds after it."""
    policy, now = ctx.services.policy, datetime.now(UTC)
    window, taken = timedelta(seconds=policy.window), list(times)
    out: list[datetime] = []
    for _ in range(count):
        n = len(taken)
        at = taken[n - policy.per_minute] + window if n >= policy.per_minute else now
        at = max(at, out[-1] if out else now, now)
        taken.append(at)
        out.append(at)
    return out


async def recent(ctx: Ctx[Needs]) -> list[datetime]:
    since = datetime.now(UTC) - timedelta(seconds=ctx.services.policy.window)
    return await ctx.services.records.question_times(ctx.user.id, since)


class Waiting:
    """Per person, the questions kept for later, answered in turn by one task per person
    that sleeps until the limit allows the next (its replies go out by the channel's `push`)."""

    def __init__(self) -> None:
        self.lines: dict[int, deque[Ctx[Any]]] = {}
        self.tasks: dict[int, asyncio.Task[None]] = {}

    def count(self, user_id: int) -> int:
        return len(self.lines.get(user_id, ()))

    def keep(self, ctx: Ctx[Needs], answer: Callable[[Ctx[Any]], AsyncIterator[Out]]) -> None:
        uid = ctx.user.id
        self.lines.setdefault(uid, deque()).append(ctx)
        if uid not in self.tasks:
            self.tasks[uid] = asyncio.create_task(self._drain(uid, answer))

    async def _drain(self, uid: int, answer: Callable[[Ctx[Any]], AsyncIterator[Out]]) -> None:
        try:
            while line := self.lines.get(uid):
                ctx = line[0]
                [at] = slots(ctx, await recent(ctx), 1)
                wait = (at - datetime.now(UTC)).total_seconds()
                if wait > 0:
                    await asyncio.sleep(wait + 0.05)
                    continue
                push = ctx.services.push
                if push is not None:
                    await push(ctx.event.chat_id or uid, answer(ctx))
                line.popleft()  # only now: a question asked meanwhile waits behind this one
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("answering the kept questions of user %s failed", uid)
        finally:
            self.tasks.pop(uid, None)
            self.lines.pop(uid, None)

    async def close(self) -> None:
        """Stop waiting (the channel is shutting down): kept questions are not answered."""
        tasks = list(self.tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
