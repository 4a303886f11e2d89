"""What the chat core's flows are given: the parts of the product they use and the policy.

Each flow module declares what it needs (a Protocol over these names); the core hands every
handler this one object, which has them all. Production always supplies every part; only
the channel hooks are optional (a channel that cannot push later replies leaves them None).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from ingest.pipeline import Ingestor
from knowledge.answering.canonical import CanonicalIndex
from knowledge.answering.tutor import Tutor
from knowledge.learning.model import CompetencyModel
from knowledge.records import Records
from knowledge.vocabulary import MB, Lang

if TYPE_CHECKING:
    from bot.events import Out
    from bot.flows.waiting import Waiting


@dataclass(frozen=True)
class Policy:
    """Who may come in and how much they may ask."""

    access: Literal["invite", "open"] = "invite"
    admin_ids: frozenset[int] = frozenset()
    per_minute: int = 10
    per_day: int = 200
    window: float = 60.0  # seconds over which `per_minute` counts
    queued: int = 3  # questions over the limit kept to answer later, per user; more are refused
    timezone: str = "Asia/Shanghai"  # the alliance's: times people are shown
    actions_per_minute: int = 40  # commands, buttons, uploads, charts: anything but questions
    max_download_bytes: int = 20 * MB  # what the channel can fetch (Bot API: 20 MB)
    invite_uses: int = 30
    invite_days: int = 14
    invite_staff_uses: int = 1  # instructor and admin invites
    invite_staff_days: int = 1
    invite_attempts: int = 5  # failed `/start CODE` tries per Telegram user ...
    invite_window: float = 600.0  # ... within this many seconds, then a wait


@dataclass
class Services:
    tutor: Tutor
    records: Records
    ingestor: Ingestor
    canonical: CanonicalIndex
    model: CompetencyModel
    policy: Policy = field(default_factory=Policy)
    invite_link: Callable[[str], str] = lambda code: f"/start {code}"
    web_url: str | None = None  # the web console's URL, when it runs (sign-in links point there)
    bot_username: str = ""  # the Telegram bot's @name, once the Telegram channel has started
    history_size: int = 3  # earlier questions kept as a follow-up's context
    # Set by a channel that can: show a person their role's command menu (role None: removed),
    # deliver replies that come later, outside any event (a queued question's answer), and
    # replace the text of a message it sent earlier, its buttons dropped (chat, message id,
    # text: a status message, a half-written answer or a pressed Replace's question a crash
    # left behind; True if the message now says it).
    set_menu: Callable[[int, str | None, Lang], Awaitable[None]] | None = None
    push: Callable[[int, AsyncIterator[Out]], Awaitable[None]] | None = None
    amend: Callable[[int, int, str], Awaitable[bool]] | None = None

    def __post_init__(self) -> None:
        from bot.flows.waiting import Waiting

        self.ingest_lock = asyncio.Lock()  # one file is read and indexed at a time
        self.waiting: Waiting = Waiting()  # questions kept until the per-minute limit allows
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()

    def user_lock(self, user_id: int) -> asyncio.Lock:
        """One question at a time per user: answers stay in order and limits stay exact."""
        lock = self._locks.get(user_id)
        if lock is None:
            lock = self._locks[user_id] = asyncio.Lock()
        return lock
