"""The Telegram Login Widget's data, checked as Telegram documents it
(https://core.telegram.org/widgets/login#checking-authorization).

The widget sends the browser to `/signin/telegram?id=…&first_name=…&auth_date=…&hash=…`. The
data-check-string is every received field but `hash`, sorted by key, as `key=value` lines
joined by "\\n"; `hash` is the hex HMAC-SHA256 of it keyed with SHA256(bot token). Only that
key is kept (`login_key`), never the token. A signed but old `auth_date` is refused too, and
one from the future."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

MAX_AGE = 24 * 3600  # seconds a widget sign-in stays good after Telegram signed it
SKEW = 60  # seconds a clock may run ahead of Telegram's
MAX_FIELDS = 16  # Telegram sends seven at most

# The sign-in page's own policy: the widget's script comes from telegram.org and draws its
# button in a frame from oauth.telegram.org. Every other page keeps default-src 'self'.
WIDGET_CSP = (
    "default-src 'self'; script-src 'self' https://telegram.org https://oauth.telegram.org; "
    "frame-src https://oauth.telegram.org https://telegram.org; frame-ancestors 'none'; "
    "form-action 'self'"
)


class WidgetRefused(Exception):
    def __init__(self, reason: str) -> None:  # "invalid" or "expired"
        super().__init__(reason)
        self.reason = reason


def login_key(bot_token: str) -> bytes:
    """The secret the widget's data is signed with: SHA256 of the bot's token."""
    return hashlib.sha256(bot_token.encode()).digest()


def data_check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{k}={v}" for k, v in sorted(fields.items()) if k != "hash")


def signature(key: bytes, fields: dict[str, str]) -> str:
    return hmac.new(key, data_check_string(fields).encode(), hashlib.sha256).hexdigest()


def telegram_id(received: Iterable[tuple[str, str]], key: bytes, now: float) -> int:
    """The Telegram user id the widget vouches for; WidgetRefused when the data is not signed
    with `key` (a field changed, added or left out), is older than MAX_AGE or from the future."""
    pairs = list(received)
    fields = dict(pairs)
    if len(pairs) > MAX_FIELDS or len(fields) != len(pairs):  # a field given twice
        raise WidgetRefused("invalid")
    given = fields.get("hash", "")
    if not hmac.compare_digest(signature(key, fields).encode(), given.encode()):
        raise WidgetRefused("invalid")
    signed, user = fields.get("auth_date", ""), fields.get("id", "")
    if not (signed.isdecimal() and user.isdecimal()) or int(signed) > now + SKEW:
        raise WidgetRefused("invalid")
    if int(signed) < now - MAX_AGE:
        raise WidgetRefused("expired")
    return int(user)
