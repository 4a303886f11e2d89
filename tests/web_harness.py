"""A web console over a cheap core (hashed embeddings, records in a temporary SQLite file),
with staff enrolled, and helpers to sign in through `/console` as a person would."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from aiohttp import CookieJar
from aiohttp.test_utils import TestClient, TestServer

from bot.bootstrap import build
from bot.channels.web.app import make_app
from bot.channels.web.base import WebOptions
from bot.core import ChatCore
from bot.events import Incoming, Reply
from bot.services import Services
from knowledge.answering.canonical import CanonicalIndex
from knowledge.answering.embeddings import HashEmbedder
from knowledge.answering.gate import AlwaysAnswer, Gate
from knowledge.answering.tutor import Tutor
from knowledge.learning.model import load_model
from knowledge.records import Records
from tests.conftest import settings_for

ANN, LI, ADA = 1, 2, 3  # a trainee, an instructor, an admin
URL = "http://console.test"
HANDBOOK = (
    "# Lab handbook\n\n## Tools\n\nThe torque wrench is calibrated every 90 days by the lab "
    "manager.\n\n## Safety\n\nGoggles are worn in the workshop at all times.\n"
)


@dataclass
class Site:
    core: ChatCore
    client: TestClient
    home: Path

    async def link(self, user_id: int) -> str:
        """What `/console` sends the person in their private chat."""
        event = Incoming(user_id, command="console", chat_id=user_id)
        [reply] = [r async for r in self.core.respond(event) if isinstance(r, Reply)]
        return reply.text

    async def sign_in(self, user_id: int) -> None:
        client = self.client
        token = token_of(await self.link(user_id))
        page = await client.get(f"/signin?token={token}")
        assert page.status == 200, await page.text()
        form = {"token": token, "csrf": field(await page.text(), "csrf")}
        done = await client.post("/signin", data=form, allow_redirects=False)
        assert done.status == 303, await done.text()

    async def csrf(self, path: str = "/materials") -> str:
        return field(await (await self.client.get(path)).text(), "csrf")

    def forget_cookies(self) -> None:
        self.client.session.cookie_jar.clear()


def token_of(text: str) -> str:
    found = re.search(r"/signin\?token=([\w-]+)", text)
    assert found, text
    return found[1]


def field(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, html
    return found[1]


def cheap_core_parts(home: Path, gate: Gate | None = None):
    app = build(
        settings_for(home, second_encoder=False),
        embedder=HashEmbedder(),
        embedding_cache=home.parent / f"{home.name}-cache.sqlite",
    )
    tutor = Tutor(app.retriever, app.tutor.writer, gate=gate or AlwaysAnswer())
    return app, tutor


@asynccontextmanager
async def web_site(
    tmp_path: Path, gate: Gate | None = None, url: str = URL, options: WebOptions | None = None
) -> AsyncIterator[Site]:
    app, tutor = cheap_core_parts(tmp_path / "home", gate)
    records = await Records.open(f"sqlite+aiosqlite:///{tmp_path / 'records.sqlite'}")
    parts = Services(tutor, records, app.ingestor, CanonicalIndex(app.embedder), load_model())
    parts.web_url = url
    core = ChatCore(parts)
    for uid, name, role, lang in ((ANN, "Ann", "trainee", "en"), (LI, "李老师", "instructor", None),
                                  (ADA, "Ada", "admin", "en")):  # fmt: skip
        await records.ensure_user(uid, name=name, role=role, lang=lang)
    client = TestClient(
        TestServer(make_app(core, options or WebOptions(url))), cookie_jar=CookieJar(unsafe=True)
    )
    await client.start_server()
    try:
        yield Site(core, client, tmp_path)
    finally:
        await client.close()
        await records.close()
