"""Admins enrol people: invite links by role, cohort and category; revoking; the user list."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from bot.events import Reply
from bot.flows import Ctx, Route, buttons
from bot.texts import CATEGORIES, category_name, role_name
from knowledge.records import ROLES

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
    parsed = _parse(ctx.event.args, ctx.core.policy.invite_uses, ctx.core.policy.invite_days)
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


COMMANDS = {
    "invite": Route("admin", invite),
    "revoke": Route("admin", revoke),
    "users": Route("admin", users),
}
BUTTONS = {"rv": Route("admin", revoke_button)}
