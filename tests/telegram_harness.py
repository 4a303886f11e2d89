"""The real Telegram channel (python-telegram-bot over HTTP) against the Bot API stand-in."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from bot.bootstrap import App, open_core
from bot.channels.telegram.channel import TelegramOptions
from bot.channels.telegram.serve import serve
from bot.core import ChatCore
from knowledge.records import Records
from tests.standins.telegram import BotApiStandin

TOKEN = "424242:AAE-stand-in-token-never-logged"
ADMIN, INSTRUCTOR, ANN, BOB = 9001, 8001, 7001, 7002


@dataclass
class Harness:
    api: BotApiStandin
    core: ChatCore

    async def say(
        self, user_id: int, text: str, quiet: float = 0.4, reply: bool = True, **update
    ) -> list[dict]:
        """Send `text` as `user_id`; the messages the bot sent to that chat in response: once
        one has come (unless `reply` is false) and the bot then made no call for `quiet` s."""
        chat_id = update.get("chat_id") or user_id
        before = len(self.api.sent(chat_id))
        self.api.user_message(user_id, text, **update)
        if reply:
            await until(lambda: len(self.api.sent(chat_id)) > before)
        await self.api.wait_idle(quiet=quiet, timeout=30)
        return self.api.sent(chat_id)[before:]

    async def press(self, user_id: int, message: dict, data: str) -> list[dict]:
        """Press the button with `data` under `message`; the new messages in that chat."""
        labels = [b["callback_data"] for row in buttons(message) for b in row]
        assert data in labels, f"no button {data!r} under the message; there are {labels}"
        before = len(self.api.sent(message["chat_id"]))
        answered = self._answered_presses()
        self.api.callback(user_id, message, data)
        await until(lambda: self._answered_presses() > answered)  # every press is answered
        await self.api.wait_idle(quiet=0.4, timeout=30)
        return self.api.sent(message["chat_id"])[before:]

    def _answered_presses(self) -> int:
        return sum(c.method == "answerCallbackQuery" for c in self.api.calls)

    async def enrol(self, user_id: int, role: str = "trainee", **fields) -> None:
        """Set-up shortcut: an invite redeemed straight in the records, by `user_id`'s Telegram
        identity (a newcomer gets their Telegram id as user id)."""
        records = self.core.services.records
        invite = await records.create_invite(
            role=role,
            cohort=fields.get("cohort"),
            category=fields.get("category", "research" if role == "trainee" else None),
            max_uses=1,
            expires_at=datetime.now(UTC) + timedelta(days=1),
            created_by=ADMIN,
        )
        identity = ("telegram", str(user_id))
        await records.redeem(invite.code, identity=identity, name=f"user{user_id}", lang="zh")


async def until(condition, timeout: float = 30.0) -> None:
    """Wait until `condition()` holds (the bot may think a while before it calls Telegram)."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


def buttons(message: dict) -> list[list[dict]]:
    return (message.get("reply_markup") or {}).get("inline_keyboard", [])


def button_data(message: dict) -> list[str]:
    return [b["callback_data"] for row in buttons(message) for b in row]


@asynccontextmanager
async def running_bot(
    app: App,
    records_url: str,
    *,
    max_rate: float = 0.0,
    schema: str | None = None,
    first_update_id: int = 1001,
    api: BotApiStandin | None = None,
    **policy,
) -> AsyncIterator[Harness]:
    """The bot polling the stand-in, with ADMIN always an admin; stopped cleanly afterwards.
    `api`: a stand-in already running (kept across runs, e.g. to see a restart edit what an
    earlier run sent); by default one of its own."""
    async with AsyncExitStack() as stack:
        if api is None:
            standin = BotApiStandin(token=TOKEN, first_update_id=first_update_id)
            api = await stack.enter_async_context(standin)
        records = await Records.open(records_url, schema=schema)
        core = await open_core(app, records)
        core.services.policy = replace(core.services.policy, admin_ids=frozenset({ADMIN}), **policy)
        opts = TelegramOptions(TOKEN, api.base_url, api.base_file_url, max_rate=max_rate)
        stop = asyncio.Event()
        task = asyncio.create_task(serve(app, opts, stop, core))
        await api.wait_for("setMyCommands", count=2, timeout=30)
        try:
            yield Harness(api, core)
        finally:
            stop.set()
            await asyncio.wait_for(task, 30)
