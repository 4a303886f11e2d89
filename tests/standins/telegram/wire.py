"""The HTTP side: decoding Bot API requests, encoding answers, and small timing helpers."""

from __future__ import annotations

import asyncio
import json
import time
from http import HTTPStatus
from typing import Any

from aiohttp import web

from .objects import ApiError, JsonDict, Params, _Request

# Form fields (PTB always sends forms) that stay strings even when they look like JSON.
_RAW_STRING_FIELDS = frozenset(
    {
        "text",
        "caption",
        "question",
        "explanation",
        "description",
        "short_description",
        "name",
        "title",
        "data",
        "parse_mode",
        "explanation_parse_mode",
        "question_parse_mode",
        "description_parse_mode",
        "callback_query_id",
        "inline_message_id",
        "url",
        "secret_token",
        "ip_address",
        "file_id",
        "document",
        "photo",
        "audio",
        "video",
        "voice",
        "animation",
        "sticker",
        "thumbnail",
        "certificate",
        "language_code",
        "action",
        "type",
        "emoji",
        "message_effect_id",
        "business_connection_id",
    }
)
# Fields holding JSON objects or arrays, which some clients send as JSON strings.
_JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "reply_parameters",
        "entities",
        "caption_entities",
        "explanation_entities",
        "question_entities",
        "options",
        "commands",
        "scope",
        "allowed_updates",
        "link_preview_options",
        "menu_button",
        "media",
        "correct_option_ids",
    }
)


async def _read_request(request: web.Request) -> _Request:
    params: Params = {key: _decode_form_value(key, value) for key, value in request.query.items()}
    files: dict[str, bytes] = {}
    filenames: dict[str, str] = {}
    if request.content_type == "application/json":
        try:
            body = await request.json() if request.can_read_body else {}
        except ValueError:
            raise ApiError(HTTPStatus.BAD_REQUEST, "Bad Request: can't parse JSON") from None
        if not isinstance(body, dict):
            raise ApiError(HTTPStatus.BAD_REQUEST, "Bad Request: request body must be an object")
        for key, value in body.items():
            params[key] = _decode_json_field(key, value)
    elif request.can_read_body:
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                files[key] = value.file.read()
                filenames[key] = value.filename
            else:
                params[key] = _decode_form_value(key, str(value))
    return _Request(params, files, filenames)


def _decode_form_value(name: str, value: str) -> Any:
    """PTB sends every parameter as a form field: strings as they are, anything else as JSON."""
    if name in _RAW_STRING_FIELDS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _decode_json_field(name: str, value: Any) -> Any:
    if name in _JSON_FIELDS and isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _json_response(payload: JsonDict) -> web.Response:
    status = HTTPStatus.OK if payload.get("ok") else int(payload["error_code"])
    return web.json_response(payload, status=status)


def _hang_up(request: web.Request) -> web.Response:
    """Close the connection without an answer: the client sees the server disconnect.

    aiohttp then fails to write the returned response and shrugs that off quietly (raising
    from the handler instead would log an error)."""
    if request.transport is not None:
        request.transport.abort()
    return web.Response(status=HTTPStatus.INTERNAL_SERVER_ERROR)


def _abbreviate(params: Params, width: int = 160) -> str:
    text = json.dumps(params, ensure_ascii=False, default=str)
    return text if len(text) <= width else text[: width - 3] + "..."


def _now() -> float:
    return time.monotonic()


async def _wait_event(event: asyncio.Event, seconds: float) -> bool:
    """Wait up to `seconds` for `event`; False on time-out."""
    if seconds <= 0:
        return event.is_set()
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
    except TimeoutError:
        return False
    return True
