"""What every page shares: the application's keys and options, languages, rendering, and
the throttle on sign-in attempts."""

from __future__ import annotations

import ipaddress
import math
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from aiohttp import web

from bot.channels.web.texts import W
from bot.channels.web.uploads import Uploads
from bot.core import ChatCore
from bot.events import Notice, Out, Reply
from bot.texts import role_name, say
from knowledge.records import User
from knowledge.vocabulary import Lang

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class WebOptions:
    url: str  # where people reach the console (https behind a proxy): cookies follow it
    session_hours: int = 12
    max_upload_mb: int = 50
    max_files: int = 20  # files in one upload
    signin_attempts: int = 5  # bad sign-in links per client address ...
    signin_window: float = 600.0  # ... within this many seconds, then a wait
    # The Telegram Login Widget on /signin, when set: SHA256 of the bot's token (the key its
    # data is signed with; the token itself is not kept). None: the widget is off.
    widget_key: bytes | None = field(default=None, repr=False)

    @property
    def secure(self) -> bool:
        return self.url.startswith("https://")


class Throttle:
    """Failures per key in a sliding window; past `attempts` the key waits."""

    def __init__(self, attempts: int, window: float) -> None:
        self.attempts, self.window = attempts, window
        self._failures: dict[str, deque[float]] = {}

    def wait(self, key: str) -> int:
        """Minutes until `key` may try again; 0 when it may now."""
        failures = self._failures.get(key)
        now = time.monotonic()
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            self._failures.pop(key, None)
            return 0
        if len(failures) < self.attempts:
            return 0
        return max(1, math.ceil((failures[0] + self.window - now) / 60))

    def failed(self, key: str) -> None:
        self._failures.setdefault(key, deque()).append(time.monotonic())


def templates() -> jinja2.Environment:
    """The pages' templates; `segment` quotes a value as one part of a path ("/" too), for
    ids that come from files: `/questions/{{ q.id | segment }}/edit`."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,  # every value is escaped unless a template says otherwise
        undefined=jinja2.StrictUndefined,
    )
    env.filters["segment"] = lambda value: quote(str(value), safe="")
    return env


@dataclass
class Console:
    """The application's state: the core it serves and how."""

    core: ChatCore
    options: WebOptions
    throttle: Throttle
    uploads: Uploads = field(default_factory=Uploads)  # uploads in progress, per person
    jinja: jinja2.Environment = field(default_factory=templates)


CONSOLE = web.AppKey("console", Console)
USER = web.RequestKey("user", User)


def console(request: web.Request) -> Console:
    return request.app[CONSOLE]


def lang_of(request: web.Request) -> Lang:
    """The signed-in person's language from the records; else the browser's."""
    user = request.get(USER)
    if user is not None and user.lang in ("zh", "en"):
        return "en" if user.lang == "en" else "zh"
    accepted = request.headers.get("Accept-Language", "").lower()
    return "en" if accepted.startswith("en") else "zh"


def client_address(request: web.Request) -> str:
    """The client: behind a proxy on this machine, the address the proxy saw (the last
    X-Forwarded-For entry, which the proxy itself appends); else the peer."""
    peer = request.remote or ""
    forwarded = request.headers.get("X-Forwarded-For", "")
    try:
        local = ipaddress.ip_address(peer).is_loopback
    except ValueError:
        local = False
    if local and forwarded.strip():
        return forwarded.split(",")[-1].strip()
    return peer


def render(
    request: web.Request,
    template: str,
    status: int = 200,
    lang: Lang | None = None,
    **context: Any,
) -> web.Response:
    lang = lang or lang_of(request)
    user = request.get(USER)

    def t(key: str, **values: Any) -> str:
        return say(key, lang, W, **values)

    html = (
        console(request)
        .jinja.get_template(template)
        .render(
            t=t,
            lang=lang,
            user=user,
            role=role_name(user.role, lang) if user else "",
            csrf=request.get(CSRF, ""),
            path=request.path,
            **context,
        )
    )
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


def message(request: web.Request, key: str, status: int = 200, **values: Any) -> web.Response:
    """A page with one plain line (refusals, confirmations)."""
    return render(request, "message.html", status=status, key=key, values=values)


CSRF = web.RequestKey("csrf", str)


async def deliver(core: ChatCore, notice: Notice) -> bool:
    """Tell a person who isn't here (a changed role, an answer written for them) through a
    channel that can reach them; False when none runs in this process."""
    if core.services.push is None:
        return False
    await core.services.push(
        notice.user_id, _one(Reply(notice.text, lang=notice.lang, kind="info"))
    )
    return True


async def _one(reply: Reply) -> AsyncIterator[Out]:
    yield reply
