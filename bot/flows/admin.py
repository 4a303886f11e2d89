"""Admins enrol people: invite links by role, cohort and category; revoking; the user list;
removing a person and changing a role."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from bot.conversation import number, press
from bot.events import Notice, Reply
from bot.flows import Ctx, Flow, Route, account, buttons, local_time
from bot.flows.account import forget_person, refresh_menu
from bot.texts import category_name, category_of, category_words, role_name, role_of, say
from knowledge.people import may
from knowledge.records import User
from knowledge.vocabulary import as_lang

if TYPE_CHECKING:
    from bot.services import Policy


class Needs(account.Needs, Protocol):
    policy: Policy

    @property
    def invite_link(self) -> Callable[[str], str]: ...


T = {
    "usage": (
        "用法：/invite 角色 [班级] [人才类别] [uses=次数] [days=天数]\n"
        "角色：trainee / 学员、instructor / 讲师、admin / 管理员\n人才类别：{categories}",
        "Usage: /invite ROLE [COHORT] [CATEGORY] [uses=N] [days=N]\n"
        "ROLE: trainee, instructor or admin\nCATEGORY: {categories}",
    ),
    "bad_role": ("不认识的角色“{word}”。", "Unknown role “{word}”."),
    "bad_number": (
        "“{word}”不对：uses 和 days 须为正整数，例如 uses=30 days=14。",
        "“{word}” is not right: uses and days take a whole number above 0, e.g. uses=30 days=14.",
    ),
    "bad_word": (
        "“{word}”不是人才类别（班级已是“{cohort}”）。",
        "“{word}” is not a talent category (the cohort is already “{cohort}”).",
    ),
    "two_categories": (
        "只能指定一个人才类别：“{word}”之前已有{category}。",
        "One talent category only: {category} came before “{word}”.",
    ),
    "invite": (
        "{who}的邀请链接：\n{link}\n最多 {uses} 人使用，{until}（{zone}）前有效。"
        "/revoke {code} 可作废。",
        "Invite for {who}:\n{link}\nUp to {uses} uses, valid until {until} ({zone}). "
        "/revoke {code} cancels it.",
    ),
    "revoked": ("邀请 {code} 已作废。", "Invite {code} is revoked."),
    "no_invite": ("没有这个邀请：{code}", "No such invite: {code}"),
    "no_invites": ("没有有效的邀请。", "No active invites."),
    "invites": ("有效的邀请（点按作废）：", "Active invites (tap to revoke):"),
    "no_users": ("还没有用户。", "No users yet."),
    "users": ("用户（{n}）：", "Users ({n}):"),
}


async def invite(ctx: Ctx[Needs]) -> AsyncIterator[Reply]:
    parsed = _parse(ctx)
    if isinstance(parsed, str):
        usage = ctx.say("usage", T, categories=category_words(ctx.lang))
        yield ctx.reply(f"{parsed}\n\n{usage}".strip(), kind="error")
        return
    role, cohort, category, uses, days = parsed
    created = await ctx.services.records.create_invite(
        role=role,
        cohort=cohort,
        category=category,
        max_uses=uses,
        expires_at=datetime.now(UTC) + timedelta(days=days),
        created_by=ctx.user.id,
    )
    who = " · ".join(
        p for p in (role_name(role, ctx.lang), cohort, category_name(category, ctx.lang)) if p
    )
    text = ctx.say(
        "invite",
        T,
        who=who,
        link=ctx.services.invite_link(created.code),
        uses=uses,
        until=local_time(ctx, created.expires_at),
        zone=ctx.services.policy.timezone,
        code=created.code,
    )
    yield ctx.reply(text, kind="info")


def _parse(ctx: Ctx[Needs]) -> tuple[str, str | None, str | None, int, int] | str:
    """(role, cohort, category, uses, days) from /invite's words, or why not ("" for none)."""
    args, policy = ctx.event.args, ctx.services.policy
    role = role_of(args[0]) if args else None
    if role is None:
        return ctx.say("bad_role", T, word=args[0]) if args else ""
    staff = may(role, "instructor")
    uses = policy.invite_staff_uses if staff else policy.invite_uses
    days = policy.invite_staff_days if staff else policy.invite_days
    cohort, category = None, None
    for arg in args[1:]:
        key, eq, value = arg.partition("=")
        if eq:
            if key.lower() not in ("uses", "days") or not value.isdigit() or int(value) < 1:
                return ctx.say("bad_number", T, word=arg)
            uses, days = (int(value), days) if key.lower() == "uses" else (uses, int(value))
        elif found := category_of(arg):
            if category is not None:
                name = category_name(category, ctx.lang)
                return ctx.say("two_categories", T, word=arg, category=name)
            category = found
        elif cohort is None:
            cohort = arg
        else:
            return ctx.say("bad_word", T, word=arg, cohort=cohort)
    return role, cohort, category, uses, days


async def revoke(ctx: Ctx[Needs]) -> AsyncIterator[Reply]:
    if ctx.event.args:
        code = ctx.event.args[0]
        done = await ctx.services.records.revoke(code)
        yield ctx.reply(ctx.say("revoked" if done else "no_invite", T, code=code), kind="info")
        return
    yield await _listing(ctx, "", edit=False)


async def revoke_button(ctx: Ctx[Needs]) -> AsyncIterator[Reply]:
    """rv:CODE — revoke it; the list stays, less that invite, so several go in a row."""
    done = await ctx.services.records.revoke(ctx.press.text())
    head = ctx.say("revoked" if done else "no_invite", T, code=ctx.press.text())
    yield await _listing(ctx, head, edit=True)


async def _listing(ctx: Ctx[Needs], head: str, edit: bool) -> Reply:
    active = await ctx.services.records.invites(active_only=True)
    if not active:
        text = "\n".join(p for p in (head, ctx.say("no_invites", T)) if p)
        return ctx.reply(text, kind="info", edit=edit)
    rows = [
        [
            (
                f"✖ {i.code} · {role_name(i.role, ctx.lang)} {i.cohort or ''} "
                f"({i.uses}/{i.max_uses})",
                press("rv", i.code),
            )
        ]
        for i in active
    ]
    text = "\n".join(p for p in (head, ctx.say("invites", T)) if p)
    return ctx.reply(text, kind="info", buttons=buttons(*rows), edit=edit)


async def users(ctx: Ctx[Needs]) -> AsyncIterator[Reply]:
    cohort = ctx.event.args[0] if ctx.event.args else None
    people = await ctx.services.records.users(cohort=cohort)
    if not people:
        yield ctx.reply(ctx.say("no_users", T), kind="info")
        return
    lines = [ctx.say("users", T, n=len(people))]
    for u in people:
        parts = [role_name(u.role, ctx.lang), u.cohort, category_name(u.category, ctx.lang)]
        lines.append(f"• {u.name or '—'} ({u.id}) — {' · '.join(p for p in parts if p)}")
    yield ctx.reply("\n".join(lines), kind="info")


async def remove_user(ctx: Ctx[Needs]) -> AsyncIterator[Reply]:
    """/remove USER_ID: asks to confirm; removing deletes the person and their records."""
    args = ctx.event.args
    target = await _target(ctx, args[0] if len(args) == 1 else "")
    if isinstance(target, Reply):
        yield target
        return
    confirm = buttons(
        [(ctx.say("yes_remove_user"), press("urm", target.id)), (ctx.say("cancel"), press("urmno"))]
    )
    text = ctx.say("remove_user_confirm", name=target.name or "—", id=target.id)
    yield ctx.reply(text, kind="info", buttons=confirm)


async def confirm_remove(ctx: Ctx[Needs]) -> AsyncIterator[Reply | Notice]:
    target = await _target(ctx, ctx.press.text())
    if isinstance(target, Reply):
        yield ctx.reply(target.text, kind="info", edit=True)
        return
    lang = as_lang(target.lang) or "zh"
    yield Notice(target.id, say("you_were_removed", lang), lang)
    await refresh_menu(ctx, target.id, None, lang)  # while their chat is still known
    await forget_person(ctx, target.id)
    text = ctx.say("user_removed", name=target.name or "—", id=target.id)
    yield ctx.reply(text, kind="info", edit=True)


async def keep_user(ctx: Ctx[Needs]) -> AsyncIterator[Reply]:
    yield ctx.reply(ctx.say("cancelled"), kind="info", edit=True)


async def change_role(ctx: Ctx[Needs]) -> AsyncIterator[Reply | Notice]:
    """/role USER_ID trainee|instructor|admin"""
    args = ctx.event.args
    role = role_of(args[1]) if len(args) == 2 else None
    if role is None:
        yield ctx.reply(ctx.say("user_usage"), kind="error")
        return
    target = await _target(ctx, args[0])
    if isinstance(target, Reply):
        yield target
        return
    await ctx.services.records.update_user(target.id, role=role, pending=None)
    lang = as_lang(target.lang) or "zh"
    await refresh_menu(ctx, target.id, role, lang)
    yield Notice(target.id, say("your_role_changed", lang, role=role_name(role, lang)), lang)
    text = ctx.say(
        "role_changed", name=target.name or "—", id=target.id, role=role_name(role, ctx.lang)
    )
    yield ctx.reply(text, kind="info")


async def _target(ctx: Ctx[Needs], user_id: str) -> User | Reply:
    """The person an admin names, or why they can't be changed."""
    if not user_id:
        return ctx.reply(ctx.say("user_usage"), kind="error")
    target = await ctx.services.records.user(number(user_id))
    if target is None:
        return ctx.reply(ctx.say("no_user", id=user_id), kind="error")
    if target.id == ctx.user.id or await _listed_admin(ctx, target.id):
        return ctx.reply(ctx.say("not_yourself"), kind="error")
    return target


async def _listed_admin(ctx: Ctx[Needs], user_id: int) -> bool:
    """Whether the user is an admin of ADMIN_IDS: Telegram ids, matched through their
    Telegram identity (someone without one, the console's owner, by their user id)."""
    admin_ids = ctx.services.policy.admin_ids
    telegram = await ctx.services.records.external_id(user_id, "telegram")
    if telegram is None:
        return user_id in admin_ids
    return telegram.isdecimal() and int(telegram) in admin_ids


FLOW = Flow(
    commands={
        "invite": Route("admin", invite),
        "revoke": Route("admin", revoke),
        "users": Route("admin", users),
        "remove": Route("admin", remove_user),
        "role": Route("admin", change_role),
    },
    buttons={
        "rv": Route("admin", revoke_button),
        "urm": Route("admin", confirm_remove),
        "urmno": Route("admin", keep_user),
    },
)
