"""Greeting, language, talent category, privacy and forgetting a user."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from bot.events import Reply
from bot.flows import Ctx, Route, buttons
from bot.texts import CATEGORIES, category_name, role_name, say
from knowledge.vocabulary import Lang


async def start(ctx: Ctx) -> AsyncIterator[Reply]:
    user = ctx.user
    lines = [ctx.say("welcome", name=user.name or ctx.event.name or "")]
    if ctx.event.args:  # just enrolled by an invite
        cohort = f" · {user.cohort}" if user.cohort else ""
        lines.append(ctx.say("enrolled", role=role_name(user.role, ctx.lang), cohort=cohort))
    lines.append(_capabilities(ctx))
    yield ctx.reply("\n\n".join(lines), kind="info")
    if user.role == "trainee" and not user.category:
        yield category_question(ctx)


async def help_(ctx: Ctx) -> AsyncIterator[Reply]:
    yield ctx.reply(_capabilities(ctx), kind="info")


def _capabilities(ctx: Ctx) -> str:
    parts = [ctx.say("can_do")]
    if ctx.user.role in ("instructor", "admin"):
        parts.append(ctx.say("can_do_instructor"))
    if ctx.user.role == "admin":
        parts.append(ctx.say("can_do_admin"))
    return "\n\n".join(parts)


def category_question(ctx: Ctx) -> Reply:
    pairs = [(category_name(c, ctx.lang), f"cat:{c}") for c in CATEGORIES]
    return ctx.reply(ctx.say("ask_category"), kind="info", buttons=buttons(pairs[:3], pairs[3:]))


async def choose_category(ctx: Ctx) -> AsyncIterator[Reply]:
    if ctx.arg not in CATEGORIES:
        return
    await ctx.core.records.update_user(ctx.user.id, category=ctx.arg)
    text = ctx.say("category_set", category=category_name(ctx.arg, ctx.lang))
    yield ctx.reply(text, kind="info", edit=True)


async def lang(ctx: Ctx) -> AsyncIterator[Reply]:
    if ctx.event.args and ctx.event.args[0].lower() in ("zh", "en"):
        async for item in _set_lang(ctx, ctx.event.args[0].lower(), edit=False):
            yield item
        return
    pick = buttons([("中文", "lang:zh"), ("English", "lang:en")])
    yield ctx.reply(ctx.say("lang_pick"), kind="info", buttons=pick)


async def choose_lang(ctx: Ctx) -> AsyncIterator[Reply]:
    if ctx.arg in ("zh", "en"):
        async for item in _set_lang(ctx, ctx.arg, edit=True):
            yield item


async def _set_lang(ctx: Ctx, code: str, edit: bool) -> AsyncIterator[Reply]:
    await ctx.core.records.update_user(ctx.user.id, lang=code)
    lang: Lang = "zh" if code == "zh" else "en"
    yield Reply(say("lang_set", lang), lang=lang, kind="info", edit=edit)


async def privacy(ctx: Ctx) -> AsyncIterator[Reply]:
    yield ctx.reply(ctx.say("privacy"), kind="info")


async def forget_me(ctx: Ctx) -> AsyncIterator[Reply]:
    confirm = buttons([(ctx.say("yes_delete"), "forget:yes"), (ctx.say("cancel"), "forget:no")])
    yield ctx.reply(ctx.say("forget_confirm"), kind="info", buttons=confirm)


async def confirm_forget(ctx: Ctx) -> AsyncIterator[Reply]:
    if ctx.arg != "yes":
        yield ctx.reply(ctx.say("cancelled"), kind="info", edit=True)
        return
    await forget_person(ctx, ctx.user.id)
    yield ctx.reply(ctx.say("forgotten"), kind="info", edit=True)


async def forget_person(ctx: Ctx, user_id: int) -> None:
    """Delete a person's records, and what the running bot remembers of them."""
    core = ctx.core
    await core.records.forget(user_id)
    core.history.pop(user_id, None)
    if core.canonical is not None:  # canonical questions they asked were reworded or unlinked
        canonicals = await core.records.canonicals()
        await asyncio.to_thread(core.canonical.load, canonicals)


COMMANDS = {
    "start": Route("trainee", start),
    "help": Route("trainee", help_),
    "lang": Route("trainee", lang),
    "privacy": Route("trainee", privacy),
    "forget_me": Route("trainee", forget_me),
}
BUTTONS = {
    "cat": Route("trainee", choose_category),
    "lang": Route("trainee", choose_lang),
    "forget": Route("trainee", confirm_forget),
}
