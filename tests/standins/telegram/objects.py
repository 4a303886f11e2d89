"""Constants, limits and the small value types the stand-in shares between its modules."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

BOT_USERNAME = "stdtutor_test_bot"
BOT_FIRST_NAME = "Standards Tutor"
DEFAULT_GROUP_CHAT_ID = -4_000_000_001
GROUP_TITLE = "Standards study group"
FIRST_UPDATE_ID = 1001

MAX_MESSAGE_CHARS = 4096
MAX_CAPTION_CHARS = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_CHARS = 200
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024  # getFile refuses bigger files
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_POLL_QUESTION_CHARS = 300
MAX_POLL_OPTION_CHARS = 100
MAX_POLL_EXPLANATION_CHARS = 200
POLL_OPTIONS_RANGE = (2, 10)

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are"
    " exactly the same as a current content and reply markup of the message"
)
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
PARSE_MODES = {"html": "HTML", "markdown": "Markdown", "markdownv2": "MarkdownV2"}

Params = dict[str, Any]
JsonDict = dict[str, Any]


@dataclass(frozen=True)
class Call:
    """One request the bot made: decoded parameters, uploaded files and the HTTP status we sent.

    `status` is 0 when the connection was dropped on purpose (see `BotApiStandin.drop`).
    """

    method: str
    params: Params
    files: dict[str, bytes]
    filenames: dict[str, str] = field(default_factory=dict)
    status: int = 200
    result: Any = None
    at: float = field(default_factory=time.monotonic)  # when it was answered

    @property
    def ok(self) -> bool:
        return self.status == HTTPStatus.OK


class ApiError(Exception):
    """An answer of the form {"ok": false, ...}; raised inside method handlers."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = int(status)
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> JsonDict:
        body: JsonDict = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(detail: str) -> ApiError:
    return ApiError(HTTPStatus.BAD_REQUEST, f"Bad Request: {detail}")


@dataclass
class _Fault:
    drop: bool
    remaining: int
    status: int = HTTPStatus.TOO_MANY_REQUESTS
    description: str | None = None
    retry_after: int | None = None

    def error(self) -> ApiError:
        retry_after = self.retry_after
        if self.status == HTTPStatus.TOO_MANY_REQUESTS and retry_after is None:
            retry_after = 1
        description = self.description or _default_description(self.status, retry_after)
        return ApiError(self.status, description, retry_after)


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    size: int
    data: bytes | None
    file_name: str | None = None
    mime_type: str | None = None

    def as_document(self) -> JsonDict:
        document: JsonDict = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
        }
        if self.file_name:
            document["file_name"] = self.file_name
        if self.mime_type:
            document["mime_type"] = self.mime_type
        return document


@dataclass
class _Pending:
    update: JsonDict
    forced: bool = False  # a redelivery: handed out once whatever the offset

    @property
    def update_id(self) -> int:
        return int(self.update["update_id"])


@dataclass
class _Poller:
    wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    superseded: bool = False


@dataclass(frozen=True)
class _Request:
    params: Params
    files: dict[str, bytes]
    filenames: dict[str, str]


Handler = Callable[[_Request], Awaitable[Any]]


def _default_description(status: int, retry_after: int | None) -> str:
    if status == HTTPStatus.TOO_MANY_REQUESTS:
        return f"Too Many Requests: retry after {retry_after}"
    if status == HTTPStatus.FORBIDDEN:
        return "Forbidden: bot was blocked by the user"
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown error"
