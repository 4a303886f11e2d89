"""The chat core: turns neutral events into neutral replies; every channel shares it.

It knows who is asking (enrolment by invite, roles), routes commands, button presses, uploads
and questions to the flows in `bot/flows/`, and never lets an error end in silence.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
import weakref
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

from bot.events import Incoming, Out, QuizPrompt, Reply
from bot.flows import (
    Ctx,
    Route,
    account,
    admin,
    ask,
    feedback,
    materials,
    progress,
    quiz_answers,
    waiting,
    web,
)
from bot.texts import role_name, say
from ingest.pipeline import Ingestor
from knowledge.answering.canonical import CanonicalIndex
from knowledge.answering.tutor import Tutor
from knowledge.learning.model import CompetencyModel
from knowledge.records import ROLES, InviteError, PollRef, Records, User
from knowledge.vocabulary import Lang, detect_lang

log = logging.getLogger(__name__)

RANK = {role: rank for rank, role in enumerate(ROLES)}  # each role may do what those below may
# Commands that show or change something personal or staff-only: never in a group chat.
PRIVATE_ONLY = frozenset(
    {
        "users", "invite", "revoke", "remove", "role", "export", "report", "materials",
        "feedback", "console", "progress", "forget_me",
    }
)  # fmt: skip
MB = 1024 * 1024


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
class ChatCore:
    tutor: Tutor
    records: Records
    ingestor: Ingestor | None = None
    policy: Policy = field(default_factory=Policy)
    canonical: CanonicalIndex | None = None
    model: CompetencyModel | None = None  # quizzes need it
    invite_link: Callable[[str], str] = lambda code: f"/start {code}"
    history_size: int = 3
    web_url: str | None = None  # the web console's URL, when it runs (sign-in links point there)
    # Set by a channel that can: show a person their role's command menu (role None: removed),
    # and deliver replies that come later, outside any event (a queued question's answer).
    set_menu: Callable[[int, str | None, Lang], Awaitable[None]] | None = None
    push: Callable[[int, AsyncIterator[Out]], Awaitable[None]] | None = None

    def __post_init__(self) -> None:
        self.history: dict[int, deque[str]] = defaultdict(lambda: deque(maxlen=self.history_size))
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()
        self.ingest_lock = asyncio.Lock()
        self._invite_failures: dict[int, deque[float]] = {}
        self._actions: dict[int, deque[float]] = {}
        self.waiting = waiting.Waiting()  # questions kept until the per-minute limit allows
        self.commands: dict[str, Route] = {}
        self.buttons: dict[str, Route] = {}
        for flow in (account, ask, materials, feedback, admin, quiz_answers, progress, web):
            self.commands.update(flow.COMMANDS)
            self.buttons.update(flow.BUTTONS)

    def user_lock(self, user_id: int) -> asyncio.Lock:
        """One question at a time per user: answers stay in order and limits stay exact."""
        lock = self._locks.get(user_id)
        if lock is None:
            lock = self._locks[user_id] = asyncio.Lock()
        return lock

    async def respond(self, event: Incoming) -> AsyncIterator[Out]:
        """Partials or progress while work goes on, then one or more replies."""
        lang: Lang = event.lang or (detect_lang(event.text) if event.text.strip() else "zh")
        try:
            if event.command in PRIVATE_ONLY and in_group(event):
                known = await self.records.user(event.user_id)
                reply_lang = (known.lang if known else None) or lang
                yield Reply(say("private_chat_only", reply_lang), lang=reply_lang, kind="error")
                return
            user, notice = await self._identify(event)
            if notice:
                key, values = notice
                text = say(key, (user.lang if user else None) or lang, **values)
                yield Reply(text, lang=lang, kind="error")
            if user is None:
                if not notice:
                    yield Reply(say("stranger", lang), lang=lang, kind="info")
                return
            ctx = Ctx(event, user, user.lang or lang, self)
            if self._too_many_actions(event):
                kind = "toast" if event.button else "error"
                yield Reply(say("slow_down", ctx.lang), lang=ctx.lang, kind=kind)
                return
            async for item in self._route(ctx):
                yield item
        except Exception:
            log.exception("handling an event of user %s failed", event.user_id)
            yield Reply(say("failed", lang), lang=lang, kind="error")

    async def _identify(self, event: Incoming) -> tuple[User | None, tuple[str, dict] | None]:
        """The known user (enrolling by invite, admin list or open access), and any notice."""
        records, uid = self.records, event.user_id
        if event.command == "start" and event.args:
            wait = self._invite_wait(uid)
            if wait:
                return await records.user(uid), ("invite_throttled", {"minutes": wait})
            try:
                user = await records.redeem(
                    event.args[0], user_id=uid, name=event.name, lang=event.lang
                )
                return user, None
            except InviteError as error:
                self._invite_failures.setdefault(uid, deque()).append(time.monotonic())
                return await records.user(uid), (f"invite_{error.reason}", {})
        user = await records.user(uid)
        if user is None and uid in self.policy.admin_ids:
            user = await records.ensure_user(uid, name=event.name, role="admin", lang=event.lang)
        if user is None and self.policy.access == "open":
            user = await records.ensure_user(uid, name=event.name, role="trainee", lang=event.lang)
        return user, None

    def _invite_wait(self, user_id: int) -> int:
        """Minutes until `user_id` may try an invite code again; 0 when they may now."""
        failures = self._invite_failures.get(user_id)
        if not failures:
            return 0
        now, window = time.monotonic(), self.policy.invite_window
        while failures and failures[0] <= now - window:
            failures.popleft()
        if not failures:
            del self._invite_failures[user_id]
            return 0
        if len(failures) < self.policy.invite_attempts:
            return 0
        return max(1, math.ceil((failures[0] + window - now) / 60))

    def _too_many_actions(self, event: Incoming) -> bool:
        """Whether a command, press, upload or poll answer is over the user's minute: those
        can cost more than a question (charts, exports, imports), so they are limited too.
        Questions (and typed quiz answers) have their own limits in `ask`."""
        if not (event.command or event.button or event.upload or event.poll_answer):
            return False
        now = time.monotonic()
        if len(self._actions) > 10_000:  # bounded: forget those idle for a minute
            idle = [u for u, r in self._actions.items() if not r or r[-1] <= now - 60]
            for user_id in idle:
                del self._actions[user_id]
        recent = self._actions.setdefault(event.user_id, deque())
        while recent and recent[0] <= now - 60:
            recent.popleft()
        if len(recent) >= self.policy.actions_per_minute:
            return True
        recent.append(now)
        return False

    async def _route(self, ctx: Ctx) -> AsyncIterator[Out]:
        event = ctx.event
        if event.command:
            route = self.commands.get(event.command)
            if route is None:
                yield Reply(say("unknown_command", ctx.lang, command=event.command), kind="error")
                return
        elif event.button:
            route = self.buttons.get(event.button.split(":", 1)[0])
            if route is None:
                return
        elif event.poll_answer:
            route = quiz_answers.POLL
        elif event.upload:
            route = materials.UPLOAD
        elif event.media and not event.text.strip():
            yield Reply(say("text_only", ctx.lang), lang=ctx.lang, kind="info")
            return
        elif ctx.user.pending and not in_group(event) and "quiz" in json.loads(ctx.user.pending):
            route = quiz_answers.TYPED
        elif ctx.user.pending and not in_group(event) and ctx.user.role != "trainee":
            route = feedback.PENDING
        else:
            route = ask.QUESTION
        if RANK[ctx.user.role] < RANK[route.role]:
            yield Reply(
                say("not_allowed", ctx.lang, role=role_name(route.role, ctx.lang)), kind="error"
            )
            return
        async for item in route.handler(ctx):
            yield item

    async def poll_sent(self, prompt: QuizPrompt, user_id: int, poll_id: str, message: int) -> None:
        """A channel sent `prompt` as a native quiz poll: its answers will name `poll_id`."""
        ref = PollRef(poll_id, user_id, prompt.session_id, prompt.item_id, user_id, message)
        await self.records.save_poll(ref)


def in_group(event: Incoming) -> bool:
    """Whether the event comes from a group chat (anything but the user's private chat)."""
    return event.chat_id is not None and event.chat_id != event.user_id
