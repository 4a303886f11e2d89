"""The console's aiohttp application: routes, safe headers, and an access log that never
shows a query string (sign-in tokens travel in one)."""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from bot.channels.web import (
    auth,
    pages_admin,
    pages_answer,
    pages_canonical,
    pages_feedback,
    pages_materials,
    pages_model,
    pages_questions,
    pages_results,
    pages_trainee,
    pages_upload,
)
from bot.channels.web.base import CONSOLE, HERE, Console, Throttle, WebOptions
from bot.core import ChatCore

log = logging.getLogger(__name__)
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


@web.middleware
async def _headers(request: web.Request, handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as error:  # redirects and 404s get the headers too
        _secure(request, error)
        raise
    _secure(request, response)
    return response


def _secure(request: web.Request, response: web.StreamResponse) -> None:
    for name, value in HEADERS.items():  # a page may set its own policy (charts do)
        response.headers.setdefault(name, value)
    if not request.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-store"


async def _home(request: web.Request) -> web.StreamResponse:
    raise web.HTTPSeeOther("/materials")


def make_app(core: ChatCore, options: WebOptions) -> web.Application:
    # Uploads stream part by part (each file to its limit); other forms stay small.
    app = web.Application(middlewares=[_headers], client_max_size=1024 * 1024)
    throttle = Throttle(options.signin_attempts, options.signin_window)
    app[CONSOLE] = Console(core, options, throttle)
    app.router.add_get("/", _home)
    app.router.add_static("/static", HERE / "static")
    pages = (pages_upload, pages_materials, pages_answer, pages_feedback, pages_canonical,
             pages_questions, pages_admin, pages_results, pages_trainee, pages_model)  # fmt: skip
    for module in (auth, *pages):
        module.add_routes(app.router)
    app.on_cleanup.append(_stop_uploads)
    return app


async def _stop_uploads(app: web.Application) -> None:
    await app[CONSOLE].uploads.close()


class AccessLog(AbstractAccessLogger):
    """Method, path (never the query: tokens), status and time."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            "%s %s %s %s %.0fms",
            request.remote,
            request.method,
            request.path,
            response.status,
            time * 1000,
        )
