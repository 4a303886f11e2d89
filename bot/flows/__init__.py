"""The conversations the core runs: each flow module maps commands and buttons to handlers.

A handler takes a `Ctx` (the event, the known user, their language and the core) and yields
replies. `COMMANDS` and `BUTTONS` map a command, or a button data prefix ("src" in "src:42"),
to a `Route`: the least role allowed and the handler.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.events import Button, Incoming, Out, Reply
from bot.texts import say
from knowledge.records import User
from knowledge.vocabulary import Lang

if TYPE_CHECKING:
    from bot.core import ChatCore


@dataclass(frozen=True)
class Ctx:
    event: Incoming
    user: User
    lang: Lang
    core: ChatCore

    def say(self, key: str, table: dict[str, tuple[str, str]] | None = None, **values) -> str:
        return say(key, self.lang, table, **values)

    def reply(self, text: str, **fields: Any) -> Reply:
        return Reply(text, lang=self.lang, **fields)

    @property
    def arg(self) -> str:
        """The part of the button data after the prefix ("42" in "src:42")."""
        return (self.event.button or "").split(":", 1)[-1]


def number(text: str) -> int:
    """A record id from button data; -1 (which names nothing) when it isn't a number."""
    return int(text) if text.isdigit() else -1


Handler = Callable[[Ctx], AsyncIterator[Out]]


@dataclass(frozen=True)
class Route:
    role: str
    handler: Handler


def buttons(*rows: list[tuple[str, str]]) -> tuple[tuple[Button, ...], ...]:
    """Button rows from (label, data) pairs."""
    return tuple(tuple(Button(label, data) for label, data in row) for row in rows)


def local_time(ctx: Ctx, moment: datetime, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """`moment` on the alliance's clock (`Policy.timezone`)."""
    return moment.astimezone(ZoneInfo(ctx.core.policy.timezone)).strftime(fmt)
