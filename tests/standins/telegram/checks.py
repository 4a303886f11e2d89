"""Checks of method parameters, with the errors Telegram gives for them."""

from __future__ import annotations

import re
from typing import Any

from .html import parse_html
from .objects import (
    MAX_CALLBACK_DATA_BYTES,
    PARSE_MODES,
    JsonDict,
    Params,
    bad_request,
)


def _as_int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad_request(f"{name} is empty" if value is None else f"invalid {name}") from None


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() in ("true", "1")
    return bool(value)


def _chat_id(params: Params) -> int:
    value = params.get("chat_id")
    if value is None or value == "":
        raise bad_request("chat_id is empty")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad_request("chat not found") from None


def _parse_mode(value: Any) -> str | None:
    if value in (None, ""):
        return None
    mode = PARSE_MODES.get(str(value).lower())
    if mode is None:
        raise bad_request(f"unsupported parse_mode {value!r}")
    return mode


def _render(text: str, parse_mode: str | None, entities: Any) -> tuple[str, list[JsonDict]]:
    """The text as Telegram shows it, with its entities (only HTML is actually parsed)."""
    if parse_mode == "HTML":
        return parse_html(text)
    return text, list(entities) if isinstance(entities, list) else []


def _check_length(text: str, limit: int, empty: str | None, too_long: str) -> None:
    if empty is not None and not text.strip():
        raise bad_request(empty)
    if len(text.strip()) > limit:
        raise bad_request(too_long)


def _check_reply_markup(markup: Any) -> JsonDict | None:
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    for row in markup.get("inline_keyboard") or []:
        for button in row:
            if not str(button.get("text", "")):
                raise bad_request("can't parse inline keyboard button: Text must be non-empty")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA_BYTES:
                raise bad_request("BUTTON_DATA_INVALID")
            if set(button) <= {"text", "style", "icon_custom_emoji_id"}:
                raise bad_request(
                    "can't parse inline keyboard button: Text buttons are unallowed"
                    " in the inline keyboard"
                )
    return markup


def _check_webhook_url(url: str) -> None:
    match = re.fullmatch(r"https://[^/:]+(?::(\d+))?(?:/.*)?", url)
    if match is None:
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    if match.group(1) and int(match.group(1)) not in (80, 88, 443, 8443):
        raise bad_request("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")


def _option_text(option: Any) -> str:
    return str(option.get("text", "")) if isinstance(option, dict) else str(option)


def _correct_option_ids(params: Params) -> list[int]:
    ids = params.get("correct_option_ids")
    if ids is None and params.get("correct_option_id") is not None:
        ids = [params["correct_option_id"]]
    return [_as_int(i, "correct_option_ids") for i in ids or []]
