"""Running the web console until told to stop, beside the other channels."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from bot.bootstrap import StartupError
from bot.channels.web.app import AccessLog, make_app
from bot.channels.web.base import WebOptions
from bot.channels.web.widget import login_key
from bot.core import ChatCore
from bot.settings import Settings

log = logging.getLogger(__name__)


def options(settings: Settings) -> WebOptions:
    assert settings.console_url is not None, "the console runs only with WEB_PORT set"
    key = None
    if settings.web_login_widget:
        if settings.telegram_bot_token is None:
            raise StartupError("WEB_LOGIN_WIDGET needs TELEGRAM_BOT_TOKEN (the widget's key)")
        key = login_key(settings.telegram_bot_token.get_secret_value())
    return WebOptions(
        url=settings.console_url,
        session_hours=settings.web_session_hours,
        max_upload_mb=settings.max_upload_mb,
        widget_key=key,
    )


async def serve_web(
    core: ChatCore, options: WebOptions, listen: str, port: int, stop: asyncio.Event
) -> None:
    runner = web.AppRunner(make_app(core, options), access_log_class=AccessLog)
    await runner.setup()
    try:
        try:
            await web.TCPSite(runner, listen, port).start()
        except OSError as error:
            reason = error.strerror or type(error).__name__
            problem = f"the web console cannot listen on {listen}:{port} ({reason})"
            raise StartupError(problem) from None
        log.warning("web console listening on %s:%s, reached at %s", listen, port, options.url)
        await stop.wait()
    finally:
        await runner.cleanup()
