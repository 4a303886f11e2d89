"""Questions over the per-minute limit are kept and answered when the limit allows, in order;
at most `Policy.queued` per person wait, and past that they are told when to ask again. A kept
question is written down as work in flight until its answer is out, so a restart meanwhile
tells its asker to send it again."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from bot.events import Out, Partial
from bot.flows import Ctx
from knowledge.answering.ask import normalise
from knowledge.records import Records
from knowledge.vocabulary import shorten

if TYPE_CHECKING:
    from bot.services import Policy

log = logging.getLogger(__name__)
ABOUT_CHARS = 60  # of a question quoted back to its asker after a restart


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


def about(text: str) -> str:
    """A question as its work in flight describes it (quoted to the asker after a restart)."""
    return shorten(normalise(text), ABOUT_CHARS)


async def recent(ctx: Ctx[Needs]) -> list[datetime]:
    since = datetime.now(UTC) - timedelta(seconds=ctx.services.policy.window)
    return await ctx.services.records.question_times(ctx.user.id, since)


class Waiting:
    """Per person, the questions kept for later, answered in turn by one task per person
    that sleeps until the limit allows the next (its replies go out by the channel's `push`).
    Each is written down as work in flight when kept and forgotten once answered (or failed):
    a crash, a kill or a shutdown leaves it for the next start to tell."""

    def __init__(self) -> None:
        self.lines: dict[int, deque[tuple[Ctx[Any], int | None]]] = {}
        self.tasks: dict[int, asyncio.Task[None]] = {}

    def count(self, user_id: int) -> int:
        return len(self.lines.get(user_id, ()))

    async def keep(self, ctx: Ctx[Needs], answer: Callable[[Ctx[Any]], AsyncIterator[Out]]) -> None:
        uid = ctx.user.id
        work = await _begin(ctx)
        self.lines.setdefault(uid, deque()).append((ctx, work))
        if uid not in self.tasks:
            self.tasks[uid] = asyncio.create_task(self._drain(uid, answer))

    async def _drain(self, uid: int, answer: Callable[[Ctx[Any]], AsyncIterator[Out]]) -> None:
        try:
            while line := self.lines.get(uid):
                ctx, work = line[0]
                [at] = slots(ctx, await recent(ctx), 1)
                wait = (at - datetime.now(UTC)).total_seconds()
                if wait > 0:
                    await asyncio.sleep(wait + 0.05)
                    continue
                push = ctx.services.push
                try:
                    if push is not None:
                        await push(ctx.event.chat_id or uid, _of_work(answer(ctx), work))
                except Exception:  # this one is lost to an error; the next still get theirs
                    log.exception("answering a kept question of user %s failed", uid)
                await finish_work(ctx.services.records, work)
                line.popleft()  # only now: a question asked meanwhile waits behind this one
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("answering the kept questions of user %s failed", uid)
        finally:
            self.tasks.pop(uid, None)
            self.lines.pop(uid, None)

    async def close(self) -> None:
        """Stop waiting (the channel is shutting down): kept questions are not answered, and
        stay written down as work in flight, so the next start tells their askers."""
        tasks = list(self.tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _of_work(items: AsyncIterator[Out], work: int | None) -> AsyncIterator[Out]:
    """A kept question's answer, its partials marked as its work's (the channel notes the
    message they stream into, for a restart to edit)."""
    async for item in items:
        yield replace(item, work=work) if isinstance(item, Partial) and work else item


async def _begin(ctx: Ctx[Needs]) -> int | None:
    """Write down a kept question as work in flight; None (and a log line) if the records
    can't: answering it matters more than the note."""
    try:
        return await ctx.services.records.begin_work(
            user_id=ctx.user.id, chat_id=ctx.event.chat_id or ctx.user.id, kind="question",
            about=about(ctx.event.text), lang=ctx.lang,
        )  # fmt: skip
    except Exception:
        log.exception("writing down the kept question of user %s failed", ctx.user.id)
        return None


async def finish_work(records: Records, work: int | None) -> None:
    """Forget work in flight once it is done (never raises: the reply matters more)."""
    if work is None:
        return
    try:
        await records.finish_work(work)
    except Exception:
        log.exception("forgetting finished work %s failed", work)
