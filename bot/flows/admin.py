"""Admins enrol people: invite links by role, cohort and category; revoking; the user list;
removing a person and changing a role."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from bot.events import Notice, Reply
from bot.flows import Ctx, Route, buttons, number
from bot.flows.account import forget_person
from bot.texts import CATEGORIES, category_name, role_name, say
from knowledge.records import ROLES, User

T = {
    "usage": (
        "用法：/invite 角色 [班级] [人才类别] [uses=次数] [days=天数]\n"
        "角色：trainee、instructor、admin",
        "Usage: /invite ROLE [COHORT] [CATEGORY] [uses=N] [days=N]\n"
        "ROLE: trainee, instructor or admin",
    ),
    "invite": (
        "{who}的邀请链接：\n{link}\n最多 {uses} 人使用，{until} 前有效。/revoke {code} 可作废。",
        "Invite for {who}:\n{link}\nUp to {uses} uses, valid until {until}. "
        "/revoke {code} cancels it.",
    ),
    "revoked": ("邀请 {code} 已作废。", "Invite {code} is revoked."),
    "no_invite": ("没有这个邀请：{code}", "No such invite: {code}"),
    "no_invites": ("没有有效的邀请。", "No active invites."),
    "invites": ("有效的邀请（点按作废）：", "Active invites (tap to revoke):"),
    "no_users": ("还没有用户。", "No users yet."),
    "users": ("用户（{n}）：", "Users ({n}):"),
}


async def invite(ctx: Ctx) -> AsyncIterator[Reply]:
    policy, args = ctx.core.policy, ctx.event.args
    staff = bool(args) and args[0].lower() in ("instructor", "admin")
    uses, days = (
        (policy.invite_staff_uses, policy.invite_staff_days)
        if staff
        else (policy.invite_uses, policy.invite_days)
    )
    parsed = _parse(args, uses, days)
    if parsed is None:
        yield ctx.reply(ctx.say("usage", T), kind="error")
        return
    role, cohort, category, uses, days = parsed
    created = await ctx.core.records.create_invite(
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
        link=ctx.core.invite_link(created.code),
        uses=uses,
        until=created.expires_at.strftime("%Y-%m-%d %H:%M UTC"),
        code=created.code,
    )
    yield ctx.reply(text, kind="info")


def _parse(args: tuple[str, ...], uses: int, days: int):
    if not args or args[0].lower() not in ROLES:
        return None
    role, cohort, category = args[0].lower(), None, None
    for arg in args[1:]:
        key, _, value = arg.partition("=")
        if key.lower() in ("uses", "days") and value.isdigit() and int(value) > 0:
            uses, days = (int(value), days) if key.lower() == "uses" else (uses, int(value))
        elif arg.lower() in CATEGORIES and category is None:
            category = arg.lower()
        elif cohort is None and not value:
            cohort = arg
        else:
            return None
    return role, cohort, category, uses, days


async def revoke(ctx: Ctx) -> AsyncIterator[Reply]:
    if ctx.event.args:
        async for item in _revoke(ctx, ctx.event.args[0], edit=False):
            yield item
        return
    active = await ctx.core.records.invites(active_only=True)
    if not active:
        yield ctx.reply(ctx.say("no_invites", T), kind="info")
        return
    rows = [
        [
            (
                f"✖ {i.code} · {role_name(i.role, ctx.lang)} {i.cohort or ''} "
                f"({i.uses}/{i.max_uses})",
                f"rv:{i.code}",
            )
        ]
        for i in active
    ]
    yield ctx.reply(ctx.say("invites", T), kind="info", buttons=buttons(*rows))


async def revoke_button(ctx: Ctx) -> AsyncIterator[Reply]:
    async for item in _revoke(ctx, ctx.arg, edit=True):
        yield item


async def _revoke(ctx: Ctx, code: str, edit: bool) -> AsyncIterator[Reply]:
    done = await ctx.core.records.revoke(code)
    yield ctx.reply(ctx.say("revoked" if done else "no_invite", T, code=code), edit=edit)


async def users(ctx: Ctx) -> AsyncIterator[Reply]:
    cohort = ctx.event.args[0] if ctx.event.args else None
    people = await ctx.core.records.users(cohort=cohort)
    if not people:
        yield ctx.reply(ctx.say("no_users", T), kind="info")
        return
    lines = [ctx.say("users", T, n=len(people))]
    for u in people:
        parts = [role_name(u.role, ctx.lang), u.cohort, category_name(u.category, ctx.lang)]
        lines.append(f"• {u.name or '—'} ({u.id}) — {' · '.join(p for p in parts if p)}")
    yield ctx.reply("\n".join(lines), kind="info")


async def remove_user(ctx: Ctx) -> AsyncIterator[Reply]:
    """/remove USER_ID: asks to confirm; removing deletes the person and their records."""
    args = ctx.event.args
    target = await _target(ctx, args[0] if len(args) == 1 else "")
    if isinstance(target, Reply):
        yield target
        return
    confirm = buttons(
        [(ctx.say("yes_remove_user"), f"urm:{target.id}"), (ctx.say("cancel"), "urmno:")]
    )
    text = ctx.say("remove_user_confirm", name=target.name or "—", id=target.id)
    yield ctx.reply(text, kind="info", buttons=confirm)


async def confirm_remove(ctx: Ctx) -> AsyncIterator[Reply | Notice]:
    target = await _target(ctx, ctx.arg)
    if isinstance(target, Reply):
        yield ctx.reply(target.text, kind="info", edit=True)
        return
    lang = "en" if target.lang == "en" else "zh"
    yield Notice(target.id, say("you_were_removed", lang), lang)
    await forget_person(ctx, target.id)
    text = ctx.say("user_removed", name=target.name or "—", id=target.id)
    yield ctx.reply(text, kind="info", edit=True)


async def keep_user(ctx: Ctx) -> AsyncIterator[Reply]:
    yield ctx.reply(ctx.say("cancelled"), kind="info", edit=True)


async def change_role(ctx: Ctx) -> AsyncIterator[Reply | Notice]:
    """/role USER_ID trainee|instructor|admin"""
    args = ctx.event.args
    if len(args) != 2 or args[1].lower() not in ROLES:
        yield ctx.reply(ctx.say("user_usage"), kind="error")
        return
    target = await _target(ctx, args[0])
    if isinstance(target, Reply):
        yield target
        return
    role = args[1].lower()
    await ctx.core.records.update_user(target.id, role=role, pending=None)
    lang = "en" if target.lang == "en" else "zh"
    yield Notice(target.id, say("your_role_changed", lang, role=role_name(role, lang)), lang)
    text = ctx.say(
        "role_changed", name=target.name or "—", id=target.id, role=role_name(role, ctx.lang)
    )
    yield ctx.reply(text, kind="info")


async def _target(ctx: Ctx, user_id: str) -> User | Reply:
    """The person an admin names, or why they can't be changed."""
    if not user_id:
        return ctx.reply(ctx.say("user_usage"), kind="error")
    target = await ctx.core.records.user(number(user_id))
    if target is None:
        return ctx.reply(ctx.say("no_user", id=user_id), kind="error")
    if target.id == ctx.user.id or target.id in ctx.core.policy.admin_ids:
        return ctx.reply(ctx.say("not_yourself"), kind="error")
    return target


COMMANDS = {
    "invite": Route("admin", invite),
    "revoke": Route("admin", revoke),
    "users": Route("admin", users),
    "remove": Route("admin", remove_user),
    "role": Route("admin", change_role),
}
BUTTONS = {
    "rv": Route("admin", revoke_button),
    "urm": Route("admin", confirm_remove),
    "urmno": Route("admin", keep_user),
}
