"""Sending and editing that survive Telegram: retries, flood waits, and plain-text fallback.

Every call here either delivers or logs why not (with the traceback) and returns None; none
raises, so one failed message never stops a conversation.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from telegram import Bot, InlineKeyboardMarkup, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.channels.telegram.render import plain_text

log = logging.getLogger(__name__)
T = TypeVar("T")
ATTEMPTS = 4
MAX_FLOOD_WAIT = 60.0  # seconds; a longer wait is not worth keeping a user waiting


async def _retrying(what: str, call: Callable[[], Awaitable[T]]) -> T:
    """Run `call`, waiting out flood limits and retrying network drops; re-raise the rest."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return await call()
        except RetryAfter as error:
            wait = error.retry_after
            seconds = wait if isinstance(wait, int | float) else wait.total_seconds()
            if attempt == ATTEMPTS or seconds > MAX_FLOOD_WAIT:
                raise
            log.warning("%s: Telegram asked to wait %.1f s", what, seconds)
            await asyncio.sleep(seconds)
        except (TimedOut, NetworkError) as error:
            if isinstance(error, BadRequest) or attempt == ATTEMPTS:
                raise
            log.warning("%s: network trouble (%s), retrying", what, type(error).__name__)
            await asyncio.sleep(0.3 * 2**attempt)
    raise AssertionError("unreachable")


async def send(
    bot: Bot,
    chat_id: int,
    html: str,
    markup: InlineKeyboardMarkup | None = None,
    reply_to: int | None = None,
) -> Message | None:
    """Send HTML (as a reply to message `reply_to`, if given); if Telegram rejects the markup,
    send the same words as plain text."""

    def attempt(text: str, parse_mode: str | None) -> Callable[[], Awaitable[Message]]:
        return lambda: bot.send_message(
            chat_id, text, parse_mode=parse_mode, reply_markup=markup, reply_to_message_id=reply_to
        )

    return await _with_fallback("sendMessage", html, attempt)


async def edit(
    bot, chat_id: int, message_id: int, html: str, markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    """Replace a message's text (and buttons); an unchanged text is not an error."""

    def attempt(text: str, parse_mode: str | None) -> Callable[[], Awaitable[Message]]:
        return lambda: bot.edit_message_text(
            text, chat_id=chat_id, message_id=message_id, parse_mode=parse_mode, reply_markup=markup
        )

    return await _with_fallback("editMessageText", html, attempt)


async def _with_fallback(
    what: str, html: str, attempt: Callable[[str, str | None], Callable[[], Awaitable[Message]]]
) -> Message | None:
    try:
        return await _retrying(what, attempt(html, ParseMode.HTML))
    except BadRequest as error:
        if "not modified" in error.message:
            return None
        if "parse entities" not in error.message:
            log.exception("%s was refused", what)
            return None
        log.warning(
            "%s: Telegram could not parse the HTML; sending plain text", what, exc_info=True
        )
    except TelegramError:
        log.exception("%s failed", what)
        return None
    try:
        return await _retrying(what, attempt(plain_text(html), None))
    except TelegramError:
        log.exception("%s failed as plain text too", what)
        return None


async def quietly(what: str, call: Callable[[], Awaitable[object]]) -> None:
    """Best-effort calls (typing action, answering a button press): retried, never raising."""
    try:
        await _retrying(what, call)
    except TelegramError:
        log.warning("%s failed", what, exc_info=True)


async def send_quiz_poll(bot, chat_id: int, prompt) -> Message | None:
    """A non-anonymous quiz poll (so the answer reaches the bot); None if Telegram refused it."""
    try:
        return await _retrying(
            "sendPoll",
            lambda: bot.send_poll(
                chat_id,
                prompt.text,
                list(prompt.options),
                is_anonymous=False,
                type="quiz",
                correct_option_ids=list(prompt.correct),
                explanation=prompt.explanation or None,
            ),
        )
    except TelegramError:
        log.exception("sendPoll failed; the question goes out with buttons")
        return None


async def send_photo(bot, chat_id: int, png: bytes, caption_html: str) -> Message | None:
    try:
        return await _retrying(
            "sendPhoto",
            lambda: bot.send_photo(chat_id, png, caption=caption_html[:1024], parse_mode="HTML"),
        )
    except TelegramError:
        log.exception("sendPhoto failed")
        return None


async def send_document(bot, chat_id: int, document, caption_html: str) -> Message | None:
    try:
        return await _retrying(
            "sendDocument",
            lambda: bot.send_document(
                chat_id,
                document.data,
                filename=document.name,
                caption=caption_html[:1024],
                parse_mode="HTML",
            ),
        )
    except TelegramError:
        log.exception("sendDocument failed")
        return None
