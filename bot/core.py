"""The chat core: turns neutral events into neutral replies; every channel shares it.

It knows who is asking (enrolment by invite, roles), routes commands, button presses, uploads
and questions to the flows in `bot/flows/`, and never lets an error end in silence. The slow
routes (a question, an upload, a Replace that loads a held upload) are written down in the
records while they run, so that work a crash or a kill cut off is told on the next start
(`resume`): the person learns what to send again. The message showing the work (an upload's
status message, left at its last progress; a streamed answer, left half-written; the question
whose Replace was pressed, its buttons still there) is edited to say it was cut off.
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import PurePath
from typing import Literal, TypeVar

from bot.events import Incoming, Out, Partial, Progress, QuizPrompt, Reply
from bot.flows import Ctx, Flow, Route
from bot.flows.registry import FLOWS
from bot.flows.waiting import about as about_question
from bot.flows.waiting import finish_work
from bot.services import Services
from bot.texts import role_name, say
from knowledge.answering.ask import normalise
from knowledge.people import InviteError, may
from knowledge.records import InFlight, PollRef, User
from knowledge.vocabulary import Lang, as_lang, detect_lang, shorten

log = logging.getLogger(__name__)
K = TypeVar("K")

# Commands that show or change something personal or staff-only: never in a group chat.
PRIVATE_ONLY = frozenset(
    {
        "users", "invite", "revoke", "remove", "role", "export", "report", "materials",
        "feedback", "console", "progress", "forget_me",
    }
)  # fmt: skip

# What a person is told on the next start when a crash or a kill cut off their work.
RESTARTED = {
    "question": (
        "我刚才重启了，没来得及回答你的问题“{about}”，请再发一次。",
        "I restarted before I could answer “{about}”; please send it again.",
    ),
    "upload": (
        "我刚才重启了，没来得及读完并索引《{about}》，请再发一次这个文件。",
        "I restarted before I could finish indexing “{about}”; please send the file again.",
    ),
}
WorkKind = Literal["question", "upload"]


@dataclass(frozen=True)
class Routes:
    """The flows' routes merged: by command, by button kind, by step type, and the routes of
    a poll answer, an upload and a question. A name two flows claim is a mistake, caught here."""

    commands: dict[str, Route]
    buttons: dict[str, Route]
    steps: dict[type, Route]
    poll: Route
    upload: Route
    text: Route

    @classmethod
    def of(cls, flows: tuple[Flow, ...]) -> Routes:
        return cls(
            _merged("commands", [f.commands for f in flows]),
            _merged("buttons", [f.buttons for f in flows]),
            _merged("steps", [f.steps for f in flows]),
            _single("poll", [f.poll for f in flows]),
            _single("upload", [f.upload for f in flows]),
            _single("text", [f.text for f in flows]),
        )


def _merged(name: str, tables: list[Mapping[K, Route]]) -> dict[K, Route]:
    merged: dict[K, Route] = {}
    for table in tables:
        if clash := merged.keys() & table.keys():
            raise ValueError(f"two flows claim the {name} {sorted(map(str, clash))}")
        merged.update(table)
    return merged


def _single(name: str, routes: list[Route | None]) -> Route:
    taken = [r for r in routes if r is not None]
    if len(taken) != 1:
        raise ValueError(f"{len(taken)} flows take the {name}; one must")
    return taken[0]


class ChatCore:
    def __init__(self, services: Services, flows: tuple[Flow, ...] = FLOWS) -> None:
        self.services = services
        self.routes = Routes.of(flows)
        self._invite_failures: dict[int | tuple[str, str], deque[float]] = {}
        self._actions: dict[int, deque[float]] = {}
        # Work in flight begun before this moment was cut off by the end of an earlier run.
        self.opened_at = datetime.now(UTC)

    async def respond(self, event: Incoming) -> AsyncIterator[Out]:
        """Partials or progress while work goes on, then one or more replies."""
        lang: Lang = event.lang or (detect_lang(event.text) if event.text.strip() else "zh")
        records = self.services.records
        try:
            if event.command in PRIVATE_ONLY and in_group(event):
                known = None if event.identity else await records.user(event.user_id)
                reply_lang = (as_lang(known.lang) if known else None) or lang
                yield Reply(say("private_chat_only", reply_lang), lang=reply_lang, kind="error")
                return
            user, notice = await self._identify(event)
            if notice:
                key, values = notice
                text = say(key, (as_lang(user.lang) if user else None) or lang, None, **values)
                yield Reply(text, lang=lang, kind="error")
            if user is None:
                if not notice:
                    yield Reply(say("stranger", lang), lang=lang, kind="info")
                return
            if event.identity is not None:  # enrolled just now: the event is theirs from here
                event = replace(event, user_id=user.id, identity=None)
            ctx = Ctx(event, user, as_lang(user.lang) or lang, self.services)
            if self._too_many_actions(event):
                yield Reply(
                    say("slow_down", ctx.lang),
                    lang=ctx.lang,
                    kind="toast" if event.button else "error",
                )
                return
            async for item in self._route(ctx):
                yield item
        except Exception:
            log.exception("handling an event of user %s failed", event.user_id)
            yield Reply(say("failed", lang), lang=lang, kind="error")

    async def _identify(
        self, event: Incoming
    ) -> tuple[User | None, tuple[str, dict[str, int]] | None]:
        """The known user (enrolling by invite, admin list or open access), and any notice.

        A newcomer by a channel identity (`event.identity`) is enrolled with it: a new user and
        the identity in one transaction. ADMIN_IDS are Telegram ids; an event without an
        identity (the console chat) is matched by its user id."""
        records, uid, policy = self.services.records, event.user_id, self.services.policy
        identity = event.identity
        who: int | tuple[str, str] = identity or uid  # whose invite tries are counted

        async def known() -> User | None:
            return None if identity else await records.user(uid)

        if event.command == "start" and event.args:
            wait = self._invite_wait(who)
            if wait:
                return await known(), ("invite_throttled", {"minutes": wait})
            try:
                if identity:
                    enrolled = await records.redeem(
                        event.args[0], identity=identity, name=event.name, lang=event.lang
                    )
                else:
                    enrolled = await records.redeem(
                        event.args[0], user_id=uid, name=event.name, lang=event.lang
                    )
                return enrolled, None
            except InviteError as error:
                self._invite_failures.setdefault(who, deque()).append(time.monotonic())
                return await known(), (f"invite_{error.reason}", {})
        user = await known()
        if user is not None:
            return user, None
        listed = listed_admin(identity, policy.admin_ids) if identity else uid in policy.admin_ids
        role = "admin" if listed else "trainee" if policy.access == "open" else None
        if role is None:
            return None, None
        if identity:
            user = await records.ensure_identified(
                identity, name=event.name, role=role, lang=event.lang
            )
        else:
            user = await records.ensure_user(uid, name=event.name, role=role, lang=event.lang)
        return user, None

    def _invite_wait(self, who: int | tuple[str, str]) -> int:
        """Minutes until `who` (a user id, a newcomer's identity) may try an invite code
        again; 0 when they may now."""
        failures = self._invite_failures.get(who)
        if not failures:
            return 0
        now, window = time.monotonic(), self.services.policy.invite_window
        while failures and failures[0] <= now - window:
            failures.popleft()
        if not failures:
            del self._invite_failures[who]
            return 0
        if len(failures) < self.services.policy.invite_attempts:
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
        if len(recent) >= self.services.policy.actions_per_minute:
            return True
        recent.append(now)
        return False

    async def _route(self, ctx: Ctx[Services]) -> AsyncIterator[Out]:
        event, routes = ctx.event, self.routes
        step = ctx.step if not in_group(event) else None
        step_route = routes.steps.get(type(step)) if step is not None else None
        if step_route is not None and not may(ctx.user.role, step_route.role):
            step_route = None  # a step left from a role they no longer have: a question
        if event.command:
            route = routes.commands.get(event.command)
            if route is None:
                yield Reply(say("unknown_command", ctx.lang, command=event.command), kind="error")
                return
        elif event.button:
            route = routes.buttons.get(ctx.press.kind)
            if route is None:
                return
        elif event.poll_answer:
            route = routes.poll
        elif event.upload:
            route = routes.upload
        elif event.media and not event.text.strip():
            yield Reply(say("text_only", ctx.lang), lang=ctx.lang, kind="info")
            return
        else:
            route = step_route or routes.text
        if not may(ctx.user.role, route.role):
            yield Reply(
                say("not_allowed", ctx.lang, role=role_name(route.role, ctx.lang)), kind="error"
            )
            return
        kind: WorkKind | None = (
            "question" if route is routes.text
            else "upload" if route is routes.upload or route.loads is not None
            else None
        )  # fmt: skip
        about = await self._about(ctx, kind, route)
        if kind is None or about is None:
            async for item in route.handler(ctx):
                yield item
            return
        # Slow work is written down first and forgotten when its handling ends, with a reply
        # or an error (raised on to `respond`, which replies). Only a crash, a kill or a
        # cancellation leaves it behind, for `resume` on the next start.
        work = await self._begin(ctx, kind, about)
        try:
            async for item in route.handler(ctx):
                if isinstance(item, Progress | Partial) and work is not None:
                    item = replace(item, work=work)  # the channel notes where it shows it
                yield item
        except Exception:
            await finish_work(self.services.records, work)
            raise
        await finish_work(self.services.records, work)

    async def _about(self, ctx: Ctx[Services], kind: WorkKind | None, route: Route) -> str | None:
        """What the work is about, as the person is told after a restart: the question, or the
        name of the file being loaded (a Replace's held upload: None when it is no longer
        held, and nothing slow is done)."""
        event = ctx.event
        if kind is None:
            return None
        if kind == "question":
            return about_question(event.text)
        if route.loads is not None:
            try:
                name = await route.loads(ctx)
            except Exception:
                log.exception("naming the file user %s is loading failed", ctx.user.id)
                return None
            if name is None:
                return None
        else:
            name = event.upload.name if event.upload else ""
        return shorten(normalise(PurePath(name).name), 120) or "upload"

    async def _begin(self, ctx: Ctx[Services], kind: WorkKind, about: str) -> int | None:
        """Write down the work about to be done; None (and a log line) if the records can't:
        the reply matters more than the note. Work a button press begins (a Replace) is
        shown in the pressed message until its reply replaces it: that message is noted as
        its status, so a restart after a crash edits it and its buttons go."""
        event = ctx.event
        try:
            work = await self.services.records.begin_work(
                user_id=ctx.user.id, chat_id=event.chat_id or ctx.user.id, kind=kind,
                about=about, lang=ctx.lang,
            )  # fmt: skip
        except Exception:
            log.exception("writing down the work of user %s failed", ctx.user.id)
            return None
        if event.button and event.pressed is not None:
            await self.status_shown(work, *event.pressed)
        return work

    async def status_shown(self, work: int, chat_id: int, message_id: int) -> None:
        """A channel shows the progress of `work` in this message (an upload's status, an
        answer as it streams in): noted with the work, so a restart after a crash edits it
        (never raises: the progress matters more)."""
        try:
            await self.services.records.work_shown(work, chat_id, message_id)
        except Exception:
            log.exception("noting the status message of work %s failed", work)

    async def resume(self) -> int:
        """Tell each person whose question or upload an earlier run never finished (a crash,
        a kill) exactly what to send again, in their language, through the channel's `push`.
        The message showing the work, if the channel can `amend` it, is edited to say it was
        cut off (and loses any buttons): an upload's status message or the question whose
        Replace was pressed, before the notice; a half-written answer instead of the notice
        (it says the same, where the answer was), the notice only if the edit fails. Each is
        taken from the records as it is told, so it is told once. Returns how many were told.
        Without a `push` (no channel can reach people) the work stays recorded."""
        push = self.services.push
        if push is None:
            return 0
        try:
            leftovers = await self.services.records.take_leftover_work(self.opened_at)
        except Exception:
            log.exception("reading the work an earlier run left unfinished failed")
            return 0
        told = 0
        for work in leftovers:
            reply = restarted(work)
            if reply is None:
                log.warning("unfinished work %s of an unknown kind %r", work.id, work.kind)
                continue
            if await self._amend_status(work) and work.kind == "question":
                told += 1  # the half-written answer now says to ask again: no second line
                continue
            try:
                await push(work.chat_id, _one(reply))
                told += 1
            except Exception:
                log.exception("telling user %s about unfinished work failed", work.user_id)
        if leftovers:
            log.info("told %d of %d people what to send again", told, len(leftovers))
        return told

    async def _amend_status(self, work: InFlight) -> bool:
        """The message a crash left showing the work (an upload's status at its last progress,
        an answer half-written, a pressed Replace's question) now says the work was cut off,
        with no buttons. True if it does."""
        amend = self.services.amend
        if amend is None or work.status_chat_id is None or work.status_message_id is None:
            return False
        lang = as_lang(work.lang) or "zh"
        key = "question_cut_off" if work.kind == "question" else "upload_cut_off"
        try:
            return await amend(
                work.status_chat_id, work.status_message_id, say(key, lang, about=work.about)
            )
        except Exception:
            log.exception("editing the message of unfinished work %s failed", work.id)
            return False

    async def poll_sent(self, prompt: QuizPrompt, user_id: int, poll_id: str, message: int) -> None:
        """A channel sent `prompt` as a native quiz poll: its answers will name `poll_id`."""
        ref = PollRef(poll_id, user_id, prompt.session_id, prompt.item_id, user_id, message)
        await self.services.records.save_poll(ref)


def restarted(work: InFlight) -> Reply | None:
    """The line telling a person what to send again after their work was cut off."""
    if work.kind not in RESTARTED:
        return None
    lang = as_lang(work.lang) or "zh"
    return Reply(say(work.kind, lang, RESTARTED, about=work.about), lang=lang, kind="info")


async def _one(reply: Reply) -> AsyncIterator[Out]:
    yield reply


def listed_admin(identity: tuple[str, str], admin_ids: frozenset[int]) -> bool:
    """Whether a channel identity is in ADMIN_IDS (Telegram user ids)."""
    channel, external = identity
    return channel == "telegram" and external.isdecimal() and int(external) in admin_ids


def in_group(event: Incoming) -> bool:
    """Whether the event comes from a group chat (anything but the user's private chat)."""
    return event.chat_id is not None and event.chat_id != event.user_id
