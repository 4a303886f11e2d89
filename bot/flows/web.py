"""`/console`: a one-time link that signs an instructor or admin in to the web console."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from bot.events import Reply
from bot.flows import Ctx, Route

SIGNIN_MINUTES = 10


def signin_link(web_url: str, token: str) -> str:
    return f"{web_url.rstrip('/')}/signin?token={token}"


async def console(ctx: Ctx) -> AsyncIterator[Reply]:
    web_url = ctx.core.web_url
    if not web_url:
        yield ctx.reply(ctx.say("console_off"), kind="error")
        return
    until = datetime.now(UTC) + timedelta(minutes=SIGNIN_MINUTES)
    token = await ctx.core.records.create_signin(ctx.user.id, until)
    link = signin_link(web_url, token)
    yield ctx.reply(ctx.say("console_link", link=link, minutes=SIGNIN_MINUTES), kind="info")


COMMANDS = {"console": Route("instructor", console)}
BUTTONS: dict[str, Route] = {}
