"""The conversations the core runs. Each flow module declares one `Flow`: its commands, its
buttons, and any event it takes that is neither (a poll answer, an upload, a typed reply to an
unfinished step, a plain question); `registry.FLOWS` lists them, and the core routes by it.

A handler takes a `Ctx` (the event, the known user, their language, the step they are in and
the services) and yields replies. A flow module says which services its handlers use in a
`Needs` Protocol; handlers are typed `Ctx[Needs]`, and `Services` has them all.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

from bot.conversation import Press, Step, dump_step, load_step
from bot.events import Button, Incoming, Out, Reply
from bot.texts import say
from knowledge.records import User
from knowledge.vocabulary import Lang

S = TypeVar("S", covariant=True)  # what the handler may use: a flow's `Needs`


@dataclass(frozen=True)
class Ctx(Generic[S]):
    event: Incoming
    user: User
    lang: Lang
    services: S

    def say(
        self, key: str, table: dict[str, tuple[str, str]] | None = None, /, **values: Any
    ) -> str:
        return say(key, self.lang, table, **values)

    def reply(self, text: str, **fields: Any) -> Reply:
        return Reply(text, lang=self.lang, **fields)

    @property
    def press(self) -> Press:
        """The pressed button's data, parsed ("src:42": kind "src", arguments ("42",))."""
        return Press.parse(self.event.button or "")

    @property
    def step(self) -> Step | None:
        """The unfinished step the user is in, if any."""
        return load_step(self.user.pending)


Handler = Callable[[Ctx[Any]], AsyncIterator[Out]]


@dataclass(frozen=True)
class Route:
    role: str  # the least role allowed
    handler: Handler
    # A button that loads a file (a Replace): the file's name, for the work in flight the
    # core writes down while it runs (None: nothing to load, nothing written down).
    loads: Callable[[Ctx[Any]], Awaitable[str | None]] | None = None


@dataclass(frozen=True)
class Flow:
    commands: Mapping[str, Route] = field(default_factory=dict)
    buttons: Mapping[str, Route] = field(default_factory=dict)  # by `Press.kind`
    steps: Mapping[type, Route] = field(default_factory=dict)  # a typed reply, by step type
    poll: Route | None = None  # an answer to a native quiz poll
    upload: Route | None = None  # a file sent
    text: Route | None = None  # anything else typed: a question


async def set_step(ctx: Ctx[Any], step: Step | None) -> None:
    """Remember (or, with None, forget) the user's unfinished step in their record."""
    await ctx.services.records.update_user(ctx.user.id, pending=dump_step(step))


def buttons(*rows: list[tuple[str, str]]) -> tuple[tuple[Button, ...], ...]:
    """Button rows from (label, data) pairs; data is made with `bot.conversation.press`."""
    return tuple(tuple(Button(label, data) for label, data in row) for row in rows)


def local_time(ctx: Ctx[Any], moment: datetime, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """`moment` on the alliance's clock (`Policy.timezone`)."""
    return moment.astimezone(ZoneInfo(ctx.services.policy.timezone)).strftime(fmt)
