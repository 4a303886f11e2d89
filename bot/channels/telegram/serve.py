"""Running the Telegram channel: polling by default, a webhook with a secret in production."""

from __future__ import annotations

import asyncio
import logging
import secrets
import signal
from urllib.parse import urlparse

from telegram import Bot
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import Application

from bot.bootstrap import App, StartupError, open_core
from bot.channels.telegram.channel import TelegramChannel, TelegramOptions
from bot.core import ChatCore

log = logging.getLogger(__name__)


def options(app: App) -> TelegramOptions:
    s = app.settings
    assert s.telegram_bot_token is not None
    base = (s.telegram_api_base_url or "").rstrip("/")
    return TelegramOptions(
        token=s.telegram_bot_token.get_secret_value(),
        base_url=f"{base}/bot" if base else None,
        base_file_url=f"{base}/file/bot" if base else None,
        max_rate=s.telegram_max_rate,
    )


async def serve(
    app: App,
    opts: TelegramOptions | None = None,
    stop: asyncio.Event | None = None,
    core: ChatCore | None = None,
) -> None:
    """Run until `stop` is set (or SIGINT/SIGTERM when none is given)."""
    opts = opts or options(app)
    redact(opts.token)
    core = core or await open_core(app)
    stop = stop or _stop_on_signals()
    channel = TelegramChannel(core, opts)
    application = channel.application()
    s = app.settings
    try:
        try:
            await application.initialize()
            await channel.started(application)
            await application.start()
            updater = application.updater
            assert updater is not None  # the builder makes one unless told not to
            if s.webhook_url:
                secret = s.webhook_secret.get_secret_value() if s.webhook_secret else None
                await updater.start_webhook(
                    listen=s.webhook_listen,
                    port=s.webhook_port,
                    url_path=urlparse(s.webhook_url).path.lstrip("/"),
                    webhook_url=s.webhook_url,
                    secret_token=secret or secrets.token_urlsafe(32),
                )
                log.info("webhook listening on %s:%s", s.webhook_listen, s.webhook_port)
            else:
                await updater.start_polling(poll_interval=0.0, timeout=20)
                log.info("polling Telegram for updates as @%s", channel.username)
        except Exception as error:  # noqa: BLE001 - every start-up failure: one clear line
            await _wind_down(application)
            raise startup_problem(error, opts) from None
        # Questions and uploads an earlier run never finished: their people are told what to
        # send again (once: each is cleared as it is told). It never raises.
        await core.resume()
        await stop.wait()
        await _wind_down(application)
    finally:
        await core.services.waiting.close()
        await core.services.records.close()


async def _wind_down(application: Application) -> None:
    """Stop whatever of the application got started, then shut it down."""
    try:
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        await application.shutdown()
    except Exception:  # noqa: BLE001 - shutting down after a failure: the failure matters
        log.info("shutting the Telegram application down failed", exc_info=True)


async def check_telegram(opts: TelegramOptions) -> None:
    """Fail early, before any slow work, when Telegram refuses the token or can't be reached."""
    redact(opts.token)
    try:
        async with Bot(opts.token, base_url=opts.base_url or "https://api.telegram.org/bot") as bot:
            await bot.get_me()
    except Exception as error:  # noqa: BLE001
        raise startup_problem(error, opts) from None


def startup_problem(error: Exception, opts: TelegramOptions) -> StartupError:
    """One line for a failure to start, naming what to check; the token never in it."""
    where = (opts.base_url or "https://api.telegram.org").removesuffix("/bot")
    if isinstance(error, StartupError):
        return error
    if isinstance(error, InvalidToken):
        text = "Telegram rejected the bot token: check TELEGRAM_BOT_TOKEN (from @BotFather)"
    elif isinstance(error, NetworkError):
        text = f"cannot reach Telegram at {where} ({type(error).__name__}: {error})"
    elif isinstance(error, TelegramError):
        text = f"Telegram refused to start the bot ({type(error).__name__}: {error})"
    else:
        text = f"the Telegram bot could not start ({type(error).__name__}: {error})"
    secret = opts.token.partition(":")[2]
    text = text.replace(opts.token, "<token>")
    return StartupError(text.replace(secret, "<token>") if secret else text)


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


_installed: set[str] = set()


def redact(secret: str) -> None:
    """Keep `secret` out of every log line, its arguments and any traceback text."""
    if not secret or secret in _installed:
        return
    _installed.add(secret)
    previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        message = record.getMessage()
        exc_text = None
        if record.exc_info:
            exc_text = logging.Formatter().formatException(record.exc_info)
        if secret in message or (exc_text and secret in exc_text):
            record.msg, record.args = message.replace(secret, "<token>"), ()
            if exc_text:
                record.exc_text = exc_text.replace(secret, "<token>")
        return record

    logging.setLogRecordFactory(factory)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # it logs every request URL
