"""`stdtutor run`'s channel registry: which channels the settings start, how they end, and the
web console served over the same core as the console chat (whose /console gives the link)."""

from __future__ import annotations

import asyncio
import io
import socket
from pathlib import Path

import pytest
from aiohttp import ClientSession

from bot import channels
from bot.channels import Channel
from bot.channels.console import CONSOLE_USER, chat
from bot.core import ChatCore
from bot.flows.web import signin_link
from bot.services import Policy, Services
from knowledge.answering.canonical import CanonicalIndex
from knowledge.learning.model import load_model
from knowledge.records import Records
from tests.conftest import settings_for
from tests.web_harness import cheap_core_parts

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _names(**settings) -> list[str]:
    return [c.name for c in channels.wanted(settings_for(Path("."), **settings))]


async def test_the_settings_choose_the_channels():
    assert _names() == ["chat"]
    assert _names(web_port=8080) == ["web", "chat"]
    assert _names(telegram_bot_token="1:x", web_port=8080) == ["telegram", "web"]
    assert _names(telegram_bot_token="1:x") == ["telegram"]


async def _core(tmp_path) -> ChatCore:
    app, tutor = cheap_core_parts(tmp_path / "home")
    records = await Records.open(f"sqlite+aiosqlite:///{tmp_path / 'records.sqlite'}")
    policy = Policy(admin_ids=frozenset({CONSOLE_USER}))
    canonical = CanonicalIndex(app.embedder)
    return ChatCore(Services(tutor, records, app.ingestor, canonical, load_model(), policy))


async def test_a_channel_that_ends_leaves_the_others_running_until_stopped(tmp_path):
    core, stop, served = await _core(tmp_path), asyncio.Event(), []

    async def short(app, core, stop):
        served.append("short")

    async def long(app, core, stop):
        await stop.wait()
        served.append("long")

    run = asyncio.ensure_future(
        channels.run(None, [Channel("a", bool, short), Channel("b", bool, long)], core, stop)  # type: ignore[arg-type]
    )
    await asyncio.sleep(0.05)
    assert served == ["short"] and not run.done()
    stop.set()
    await asyncio.wait_for(run, 5)
    assert served == ["short", "long"]


async def test_a_failing_channel_stops_the_others_and_its_error_is_raised(tmp_path):
    core, stopped = await _core(tmp_path), []

    async def broken(app, core, stop):
        raise RuntimeError("port taken")

    async def long(app, core, stop):
        await stop.wait()
        stopped.append(True)

    pair = [Channel("broken", bool, broken), Channel("web", bool, long)]
    with pytest.raises(RuntimeError, match="port taken"):
        await asyncio.wait_for(channels.run(None, pair, core, asyncio.Event()), 5)  # type: ignore[arg-type]
    assert stopped == [True]


async def test_the_web_console_serves_beside_the_console_chat(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app, _ = cheap_core_parts(tmp_path / "web-home")
    app.settings = app.settings.model_copy(update={"web_port": port})
    core = await _core(tmp_path)
    core.services.web_url = app.settings.console_url
    stop = asyncio.Event()
    [web] = [c for c in channels.CHANNELS if c.name == "web"]
    running = asyncio.ensure_future(channels.run(app, [web], core, stop))
    try:
        out = io.StringIO()
        await chat(core, io.StringIO("/console\n"), out)  # the owner at the terminal
        link = out.getvalue().strip().splitlines()[-1]
        assert link.startswith(signin_link(f"http://127.0.0.1:{port}", ""))
        async with ClientSession() as http:
            for _ in range(50):  # the site may still be starting
                try:
                    async with http.get(link) as page:
                        assert page.status == 200 and "console" in (await page.text())
                        break
                except OSError:
                    await asyncio.sleep(0.1)
            else:
                raise AssertionError("the web console never answered")
    finally:
        stop.set()
        await asyncio.wait_for(running, 10)
