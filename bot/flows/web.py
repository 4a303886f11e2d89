"""`/console`: a one-time link that signs an instructor or admin in to the web console."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Protocol

from bot.events import Reply
from bot.flows import Ctx, Flow, Route
from knowledge.records import Records

SIGNIN_MINUTES = 10


class Needs(Protocol):
    records: Records
    web_url: str | None


def signin_link(web_url: str, token: str) -> str:
    return f"{web_url.rstrip('/')}/signin?token={token}"


async def console(ctx: Ctx[Needs]) -> AsyncIterator[Reply]:
    web_url = ctx.services.web_url
    if not web_url:
        yield ctx.reply(ctx.say("console_off"), kind="error")
        return
    until = datetime.now(UTC) + timedelta(minutes=SIGNIN_MINUTES)
    token = await ctx.services.records.create_signin(ctx.user.id, until)
    link = signin_link(web_url, token)
    yield ctx.reply(ctx.say("console_link", link=link, minutes=SIGNIN_MINUTES), kind="info")


FLOW = Flow(commands={"console": Route("instructor", console)})
