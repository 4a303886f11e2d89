"""The channels `stdtutor run` can start, in one registry: each says when it is wanted (from
the settings), what to check before the slow start-up work, and how it runs over the shared
chat core until asked to stop.

Telegram runs when a token is set, the web console when WEB_PORT is set, the console chat
when there is no token. They share one core (one ingest lock, one canonical index, one set of
records). The run ends on SIGINT/SIGTERM, when a channel fails (the others are stopped, then
the failure is raised), or when every channel has ended by itself: the console chat ends at
the end of its input, Telegram and the web console run until stopped.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace

from bot.bootstrap import App, open_core
from bot.core import ChatCore
from bot.settings import Settings

Run = Callable[[App, ChatCore, asyncio.Event], Awaitable[None]]


@dataclass(frozen=True)
class Channel:
    name: str
    wanted: Callable[[Settings], bool]
    run: Run
    check: Callable[[App], Awaitable[None]] | None = None  # fails early, with one clear line


async def _check_telegram(app: App) -> None:
    from bot.channels.telegram.serve import check_telegram, options

    await check_telegram(options(app))


async def _telegram(app: App, core: ChatCore, stop: asyncio.Event) -> None:
    from bot.channels.telegram.serve import serve

    await serve(app, stop=stop, core=core)


async def _web(app: App, core: ChatCore, stop: asyncio.Event) -> None:
    from bot.channels.web.serve import options, serve_web

    s = app.settings
    assert s.web_port is not None
    await serve_web(core, options(s), s.web_listen, s.web_port, stop)


async def _chat(app: App, core: ChatCore, stop: asyncio.Event) -> None:
    from bot.channels.console import CONSOLE_USER, chat

    # The person at the terminal owns this installation: an admin.
    core.services.policy = replace(
        core.services.policy, admin_ids=core.services.policy.admin_ids | {CONSOLE_USER}
    )
    await chat(core)


CHANNELS: tuple[Channel, ...] = (
    Channel("telegram", lambda s: s.telegram_bot_token is not None, _telegram, _check_telegram),
    Channel("web", lambda s: s.web_port is not None, _web),
    Channel("chat", lambda s: s.telegram_bot_token is None, _chat),
)


def wanted(settings: Settings, channels: Sequence[Channel] = CHANNELS) -> list[Channel]:
    return [c for c in channels if c.wanted(settings)]


async def check(app: App, channels: Sequence[Channel]) -> None:
    for channel in channels:
        if channel.check is not None:
            await channel.check(app)


async def run(
    app: App,
    channels: Sequence[Channel],
    core: ChatCore | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Run `channels` over one core until they end, one fails, or a signal stops them."""
    core = core or await open_core(app)
    stop = stop or _stop_on_signals()
    tasks: dict[asyncio.Future[object], Channel] = {
        asyncio.ensure_future(c.run(app, core, stop)): c for c in channels
    }
    stopping: asyncio.Future[object] = asyncio.ensure_future(stop.wait())
    try:
        pending: set[asyncio.Future[object]] = set(tasks)
        while pending:
            done, pending = await asyncio.wait(
                pending | {stopping}, return_when=asyncio.FIRST_COMPLETED
            )
            pending.discard(stopping)
            failed = [t for t in done if t in tasks and not t.cancelled() and t.exception()]
            if failed or stopping in done:
                stop.set()
                await _wind_down(pending, stop_first=[t for t in pending if _stoppable(tasks[t])])
                if failed:
                    error = failed[0].exception()
                    assert error is not None
                    raise error
                return
    finally:
        stopping.cancel()
        await core.services.records.close()


def _stoppable(channel: Channel) -> bool:
    return channel.name != "chat"  # the chat waits on its input: it is cancelled instead


async def _wind_down(
    pending: set[asyncio.Future[object]], stop_first: list[asyncio.Future[object]]
) -> None:
    for task in pending - set(stop_first):
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop
