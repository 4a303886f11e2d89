"""Admins' pages: people (role, cohort, category, last activity) with changing a role and
removing someone, and invites (create, list, revoke).

Every change goes through the chat core as the bot's own commands (/role, /remove's confirmed
button, /invite, /revoke), so the rules are the bot's (nobody changes themselves or an admin
of ADMIN_IDS; the person changed is told), not a copy of them."""

from __future__ import annotations

from aiohttp import web

from bot.channels.web.auth import guard
from bot.channels.web.base import USER, console, deliver, lang_of, message, render
from bot.events import Incoming, Notice, Reply
from bot.texts import CATEGORIES, category_name, role_name
from knowledge.people import ROLES


async def _as_command(request: web.Request, **event) -> list[str]:
    """What the bot answers the signed-in admin for `event`; notices go to their people."""
    core, user = console(request).core, request[USER]
    said = []
    incoming = Incoming(user.id, chat_id=user.id, name=user.name, lang=lang_of(request), **event)
    async for item in core.respond(incoming):
        if isinstance(item, Notice):
            await deliver(core, item)
        elif isinstance(item, Reply):
            said.append(item.text)
    return said


@guard("admin")
async def people(request: web.Request) -> web.StreamResponse:
    return await _people(request, [])


async def _people(request: web.Request, said: list[str]) -> web.StreamResponse:
    records, lang = console(request).core.services.records, lang_of(request)
    cohort = request.query.get("cohort", "").strip() or None
    users = await records.users(cohort=cohort)
    active = await records.last_active()
    rows = [
        (u, role_name(u.role, lang), category_name(u.category, lang), active.get(u.id))
        for u in users
    ]
    return render(request, "users.html", rows=rows, roles=ROLES, cohort=cohort or "", said=said)


@guard("admin")
async def change_role(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    target, role = request.match_info["user_id"], str(form.get("role", ""))
    return await _people(request, await _as_command(request, command="role", args=(target, role)))


@guard("admin")
async def confirm_remove(request: web.Request) -> web.StreamResponse:
    target = await console(request).core.services.records.user(_id(request))
    if target is None:
        return message(request, "no_user", 404)
    return render(request, "user_remove.html", target=target)


@guard("admin")
async def remove(request: web.Request) -> web.StreamResponse:
    said = await _as_command(request, button=f"urm:{_id(request)}")
    return render(request, "message.html", key="", values={}, text="\n".join(said), back="/users")


@guard("admin")
async def invites(request: web.Request) -> web.StreamResponse:
    return await _invites(request, [])


async def _invites(request: web.Request, said: list[str]) -> web.StreamResponse:
    active = await console(request).core.services.records.invites(active_only=True)
    lang = lang_of(request)
    categories = [(c, category_name(c, lang)) for c in CATEGORIES]
    roles = [(r, role_name(r, lang)) for r in ROLES]
    return render(request, "invites.html", invites=active, roles=roles, categories=categories,
                  said=said)  # fmt: skip


@guard("admin")
async def create_invite(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    words = [str(form.get(name, "")).strip() for name in ("role", "cohort", "category")]
    for name in ("uses", "days"):
        if value := str(form.get(name, "")).strip():
            words.append(f"{name}={value}")
    said = await _as_command(request, command="invite", args=tuple(w for w in words if w))
    return await _invites(request, said)


@guard("admin")
async def revoke(request: web.Request) -> web.StreamResponse:
    code = request.match_info["code"]
    return await _invites(request, await _as_command(request, command="revoke", args=(code,)))


def _id(request: web.Request) -> int:
    text = request.match_info["user_id"]
    return int(text) if text.isdigit() else -1


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/users", people)
    router.add_post("/users/{user_id}/role", change_role)
    router.add_get("/users/{user_id}/remove", confirm_remove)
    router.add_post("/users/{user_id}/remove", remove)
    router.add_get("/invites", invites)
    router.add_post("/invites", create_invite)
    router.add_post("/invites/{code}/revoke", revoke)
