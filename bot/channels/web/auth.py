"""Signing in from a one-time link, sessions, roles on every request, and CSRF tokens.

The link's GET only shows a button (link previews and scanners fetch links, and must not use
them up); its POST uses the token and opens a session. When configured, /signin without a
token shows the Telegram Login Widget instead, whose signed data (`widget.py`) opens the same
session for the instructor or admin it names. Every page names the least role it
needs: the person behind the session is read from the records on each request, so a demoted
or removed user is refused at once. Each POST carries a token derived from the session.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from aiohttp import BodyPartReader, MultipartReader, web

from bot.channels.web.base import CSRF, USER, client_address, console, message, render
from bot.channels.web.widget import WIDGET_CSP, WidgetRefused, telegram_id
from knowledge.people import User, may
from knowledge.records import SigninError
from knowledge.vocabulary import Lang

SESSION = "stdtutor_session"
SIGNIN = "stdtutor_signin"  # the sign-in form's own CSRF token, before there is a session
MULTIPART = web.RequestKey("multipart", MultipartReader)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def csrf_token(session: str) -> str:
    """The session's CSRF token: known to its pages, useless without the cookie."""
    return hashlib.sha256(f"csrf:{session}".encode()).hexdigest()[:32]


def guard(role: str) -> Callable[[Handler], Handler]:
    """The page needs a signed-in person of at least `role`; a POST, their CSRF token."""

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def guarded(request: web.Request) -> web.StreamResponse:
            session = request.cookies.get(SESSION, "")
            user = (
                await console(request).core.services.records.web_session_user(session)
                if session
                else None
            )
            if user is None:
                if request.method == "GET" and console(request).options.widget_key:
                    raise web.HTTPSeeOther("/signin")  # the login widget is there
                return message(request, "signin_needed", 401)
            request[USER] = user
            if not may(user.role, role):
                staff = may(user.role, "instructor")
                return message(request, "admins_only" if staff else "staff_only", 403)
            request[CSRF] = csrf_token(session)
            if request.method == "POST" and not await _csrf_ok(request):
                return message(request, "csrf", 403)
            return await handler(request)

        return guarded

    return wrap


async def _csrf_ok(request: web.Request) -> bool:
    """The form's `csrf` field (the first part of a multipart form, which the handler then
    reads on from `request[MULTIPART]`) or an X-CSRF-Token header."""
    expected = request[CSRF]
    given = request.headers.get("X-CSRF-Token")
    if given is None and request.content_type == "multipart/form-data":
        reader = await request.multipart()
        part = await reader.next()
        if isinstance(part, BodyPartReader) and part.name == "csrf":
            given = (await part.read(decode=True))[:100].decode(errors="replace")
        request[MULTIPART] = reader
    elif given is None:
        given = str((await request.post()).get("csrf", ""))
    return hmac.compare_digest(given or "", expected)


async def signin_page(request: web.Request) -> web.StreamResponse:
    """GET /signin?token=…: who the link is for, and a button; nothing is used up yet."""
    state, throttle, where = console(request), console(request).throttle, client_address(request)
    if wait := throttle.wait(where):
        return message(request, "signin_throttled", 429, minutes=wait)
    token = request.query.get("token", "")
    if not token and state.options.widget_key:
        return _widget_page(request)
    try:
        user_id = await state.core.services.records.check_signin(token)
    except SigninError as error:
        throttle.failed(where)
        return message(request, f"signin_{error.reason}", 400 if error.reason == "unknown" else 410)
    person = await state.core.services.records.user(user_id)
    if person is None:
        return message(request, "signin_unknown", 400)
    form = secrets.token_urlsafe(24)
    lang: Lang | None = "en" if person.lang == "en" else "zh" if person.lang else None
    response = render(
        request, "signin.html", lang=lang, token=token, form_csrf=form, name=person.name
    )
    response.set_cookie(SIGNIN, form, **_cookie(request, 600, "/signin"))
    return response


async def signin(request: web.Request) -> web.StreamResponse:
    """POST /signin: use the token up and open a session."""
    state, throttle, where = console(request), console(request).throttle, client_address(request)
    if wait := throttle.wait(where):
        return message(request, "signin_throttled", 429, minutes=wait)
    form = await request.post()
    if not hmac.compare_digest(str(form.get("csrf", "")), request.cookies.get(SIGNIN, "-")):
        return message(request, "csrf", 403)
    try:
        user_id = await state.core.services.records.use_signin(str(form.get("token", "")))
    except SigninError as error:
        throttle.failed(where)
        return message(request, f"signin_{error.reason}", 400 if error.reason == "unknown" else 410)
    person = await state.core.services.records.user(user_id)
    if person is None or not may(person.role, "instructor"):
        return message(request, "staff_only", 403)
    return await _open_session(request, person)


def _widget_page(request: web.Request) -> web.StreamResponse:
    """GET /signin without a token, the widget on: Telegram's button (when the Telegram
    channel has told us the bot's name), and the /console way beside it."""
    state = console(request)
    response = render(
        request,
        "signin.html",
        token="",
        form_csrf="",
        name="",
        bot_username=state.core.services.bot_username,
        auth_url=f"{state.options.url}/signin/telegram",
    )
    response.headers["Content-Security-Policy"] = WIDGET_CSP  # this page only
    return response


async def signin_telegram(request: web.Request) -> web.StreamResponse:
    """GET /signin/telegram?id=…&auth_date=…&hash=…: where the widget sends the browser.
    Signed data for an instructor or admin opens a session as a link does; anything else is
    refused, and counts toward the same throttle as bad links."""
    state, throttle, where = console(request), console(request).throttle, client_address(request)
    key = state.options.widget_key
    if key is None:
        raise web.HTTPNotFound()
    if wait := throttle.wait(where):
        return message(request, "signin_throttled", 429, minutes=wait)
    try:
        telegram = telegram_id(request.query.items(), key, time.time())
    except WidgetRefused as refused:
        throttle.failed(where)
        status = 410 if refused.reason == "expired" else 400
        return message(request, f"signin_widget_{refused.reason}", status)
    records = state.core.services.records
    user_id = await records.user_of("telegram", str(telegram))
    person = None if user_id is None else await records.user(user_id)
    if person is None or not may(person.role, "instructor"):
        throttle.failed(where)
        known = person.lang if person else None  # a trainee reads it in their language
        lang: Lang | None = "en" if known == "en" else "zh" if known else None
        return render(request, "message.html", 403, lang=lang, key="staff_only", values={})
    return await _open_session(request, person)


async def _open_session(request: web.Request, person: User) -> web.StreamResponse:
    """A session for `person` (staff), its cookie, and on to the materials."""
    state = console(request)
    hours = state.options.session_hours
    until = datetime.now(UTC) + timedelta(hours=hours)
    session = await state.core.services.records.open_web_session(person.id, until)
    response = web.Response(status=303, headers={"Location": "/materials"})
    response.set_cookie(SESSION, session, **_cookie(request, hours * 3600, "/"))
    response.del_cookie(SIGNIN, path="/signin")
    return response


async def signout(request: web.Request) -> web.StreamResponse:
    """POST /signout (CSRF-checked like every form): the session ends here and now."""
    session = request.cookies.get(SESSION, "")
    await console(request).core.services.records.close_web_session(session)
    response = message(request, "signed_out")
    response.del_cookie(SESSION, path="/")
    return response


def _cookie(request: web.Request, max_age: int, path: str) -> dict:
    secure = console(request).options.secure
    return dict(max_age=max_age, path=path, httponly=True, samesite="Lax", secure=secure)


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/signin", signin_page)
    router.add_post("/signin", signin)
    router.add_get("/signin/telegram", signin_telegram)
    router.add_post("/signout", guard("trainee")(signout))
