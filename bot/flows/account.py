"""Greeting, language, talent category, privacy and forgetting a user."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Protocol

from bot.conversation import press
from bot.events import Reply
from bot.flows import Ctx, Flow, Route, buttons
from bot.flows.canonicals import reload
from bot.texts import CATEGORIES, category_name, role_name, say
from knowledge.answering.canonical import CanonicalIndex
from knowledge.records import Records
from knowledge.vocabulary import Lang


class Needs(Protocol):
    records: Records
    canonical: CanonicalIndex
    set_menu: Callable[[int, str | None, Lang], Awaitable[None]] | None


async def start(ctx: Ctx[Needs]) -> AsyncIterator[Reply]:
    """The greeting; a trainee with a category gets the onboarding (examples, a first quiz),
    one without is asked for it (and gets the onboarding once it is chosen)."""
    user = ctx.user
    lines = [ctx.say("welcome", name=user.name or ctx.event.name or "")]
    if ctx.event.args:  # just enrolled by an invite
        cohort = f" · {user.cohort}" if user.cohort else ""
        role = role_name(user.role, ctx.lang)
        if user.role == "trainee" and user.category:
            category = category_name(user.category, ctx.lang)
            lines.append(ctx.say("enrolled_category", role=role, cohort=cohort, category=category))
        else:
            lines.append(ctx.say("enrolled", role=role, cohort=cohort))
        await refresh_menu(ctx, user.id, user.role, ctx.lang)
    if user.role != "trainee":
        lines.append(_capabilities(ctx))
        yield ctx.reply("\n\n".join(lines), kind="info")
        return
    if not user.category:  # the onboarding follows the choice
        yield ctx.reply("\n\n".join(lines), kind="info")
        yield category_question(ctx)
        return
    yield onboarding(ctx, "\n\n".join(lines))


def onboarding(ctx: Ctx[Needs], head: str, edit: bool = False) -> Reply:
    """`head`, what the bot does in two lines, three example questions that ask themselves
    when pressed, and a first quiz."""
    text = f"{head}\n\n{ctx.say('onboard')}\n\n{ctx.say('onboard_try')}"
    rows = [[(ctx.say(f"example_{n}"), press("ex", n))] for n in (1, 2, 3)]
    rows.append([(ctx.say("first_quiz"), press("quiz"))])
    return ctx.reply(text, kind="info", buttons=buttons(*rows), edit=edit)


async def refresh_menu(ctx: Ctx[Needs], user_id: int, role: str | None, lang: Lang) -> None:
    """Show the person the command menu of their role (None: they are gone)."""
    set_menu = ctx.services.set_menu
    if set_menu is not None:
        await set_menu(user_id, role, lang)


async def help_(ctx: Ctx[Needs]) -> AsyncIterator[Reply]:
    yield ctx.reply(_capabilities(ctx), kind="info")


def _capabilities(ctx: Ctx[Needs]) -> str:
    parts = [ctx.say("can_do")]
    if ctx.user.role in ("instructor", "admin"):
        parts.append(ctx.say("can_do_instructor"))
    if ctx.user.role == "admin":
        parts.append(ctx.say("can_do_admin"))
    return "\n\n".join(parts)


def category_question(ctx: Ctx[Needs]) -> Reply:
    pairs = [(category_name(c, ctx.lang), press("cat", c)) for c in CATEGORIES]
    return ctx.reply(ctx.say("ask_category"), kind="info", buttons=buttons(pairs[:3], pairs[3:]))


async def choose_category(ctx: Ctx[Needs]) -> AsyncIterator[Reply]:
    if ctx.press.text() not in CATEGORIES:
        return
    await ctx.services.records.update_user(ctx.user.id, category=ctx.press.text())
    text = ctx.say("category_set", category=category_name(ctx.press.text(), ctx.lang))
    yield onboarding(ctx, text, edit=True)


async def lang(ctx: Ctx[Needs]) -> AsyncIterator[Reply]:
    if ctx.event.args and ctx.event.args[0].lower() in ("zh", "en"):
        async for item in _set_lang(ctx, ctx.event.args[0].lower(), edit=False):
            yield item
        return
    pick = buttons([("中文", press("lang", "zh")), ("English", press("lang", "en"))])
    yield ctx.reply(ctx.say("lang_pick"), kind="info", buttons=pick)


async def choose_lang(ctx: Ctx[Needs]) -> AsyncIterator[Reply]:
    if ctx.press.text() in ("zh", "en"):
        async for item in _set_lang(ctx, ctx.press.text(), edit=True):
            yield item


async def _set_lang(ctx: Ctx[Needs], code: str, edit: bool) -> AsyncIterator[Reply]:
    await ctx.services.records.update_user(ctx.user.id, lang=code)
    lang: Lang = "zh" if code == "zh" else "en"
    if ctx.user.role != "trainee":  # staff menus are in their own language
        await refresh_menu(ctx, ctx.user.id, ctx.user.role, lang)
    yield Reply(say("lang_set", lang), lang=lang, kind="info", edit=edit)


async def privacy(ctx: Ctx[Needs]) -> AsyncIterator[Reply]:
    yield ctx.reply(ctx.say("privacy"), kind="info")


async def forget_me(ctx: Ctx[Needs]) -> AsyncIterator[Reply]:
    confirm = buttons(
        [
            (ctx.say("yes_delete"), press("forget", "yes")),
            (ctx.say("cancel"), press("forget", "no")),
        ]
    )
    yield ctx.reply(ctx.say("forget_confirm"), kind="info", buttons=confirm)


async def confirm_forget(ctx: Ctx[Needs]) -> AsyncIterator[Reply]:
    if ctx.press.text() != "yes":
        yield ctx.reply(ctx.say("cancelled"), kind="info", edit=True)
        return
    await forget_person(ctx, ctx.user.id)
    yield ctx.reply(ctx.say("forgotten"), kind="info", edit=True)


async def forget_person(ctx: Ctx[Needs], user_id: int) -> None:
    """Delete a person's records, and what the running bot remembers of them."""
    records = ctx.services.records
    await records.forget(user_id)
    # canonical questions they asked were reworded or unlinked
    await reload(records, ctx.services.canonical)


FLOW = Flow(
    commands={
        "start": Route("trainee", start),
        "help": Route("trainee", help_),
        "lang": Route("trainee", lang),
        "privacy": Route("trainee", privacy),
        "forget_me": Route("trainee", forget_me),
    },
    buttons={
        "cat": Route("trainee", choose_category),
        "lang": Route("trainee", choose_lang),
        "forget": Route("trainee", confirm_forget),
    },
)
