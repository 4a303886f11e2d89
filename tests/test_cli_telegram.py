"""`stdtutor run` with a bot token: the Telegram bot starts, answers, and stops on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest

from tests.standins.telegram import BotApiStandin
from tests.telegram_harness import ADMIN, TOKEN
from tests.test_cli import _DROPPED, COMMAND

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_run_serves_telegram_when_a_token_is_set(tmp_path: Path, embedding_cache: Path):
    async with BotApiStandin(token=TOKEN) as api:
        env = {k: v for k, v in os.environ.items() if k not in _DROPPED and "OPENAI" not in k}
        env.update(
            STDTUTOR_HOME=str(tmp_path / "home"),
            EMBEDDING_CACHE=str(embedding_cache),
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE_URL=api.base_url.removesuffix("/bot"),
            ADMIN_IDS=str(ADMIN),
            PTB_TIMEDELTA="true",
        )
        bot = await asyncio.create_subprocess_exec(
            *COMMAND, "--verbose", "run",
            cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            started = asyncio.ensure_future(api.wait_for("setMyCommands", count=2, timeout=600))
            exited = asyncio.ensure_future(bot.wait())  # the pack loads first
            await asyncio.wait({started, exited}, return_when=asyncio.FIRST_COMPLETED)
            if exited.done():
                started.cancel()
                out, err = await bot.communicate()
                raise AssertionError(f"the bot exited early:\n{(out + err).decode()}")
            api.user_message(ADMIN, "What are the six talent categories of the alliance?")
            [answer] = await api.wait_for("sendMessage", timeout=60)
            assert "research" in answer.params["text"] and "[1]" in answer.params["text"]
        finally:
            if bot.returncode is None:
                bot.send_signal(signal.SIGTERM)
            out, err = await asyncio.wait_for(bot.communicate(), 60)
    log = (out + err).decode()
    assert bot.returncode == 0, log
    assert "Traceback" not in log and "polling" in log
    assert TOKEN not in log and TOKEN.split(":")[1] not in log
