"""A local stand-in for the Telegram Bot API, for tests.

Run it inside the test's event loop and point the real python-telegram-bot stack at it:

    async with BotApiStandin(token="123:ABC") as api:
        app = (
            ApplicationBuilder().token("123:ABC")
            .base_url(api.base_url).base_file_url(api.base_file_url).build()
        )

Feed updates with `user_message()`, `document()`, `callback()`, `poll_answer()` (PTB fetches them
with long polling) or push them to a webhook with `post_webhook()`. Read back what the bot did
with `calls`, `sent()` and `messages`, or wait for it with `wait_for()` and `wait_idle()`.
`fail()` and `drop()` make the next matching requests fail the way Telegram or the network does.

It checks requests the way Telegram does where bots usually go wrong: HTML that Telegram can't
parse, over-long or empty texts, edits that change nothing, oversized callback data and poll
limits, and files too big for getFile. Only HTML is parsed (Markdown texts are taken as they
are). Two deliberate differences: a stray "&" that starts no HTML entity is rejected (Telegram
keeps it as text), and unknown chats are not an error.
"""

from __future__ import annotations

import asyncio
import json
import mimetypes
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import PurePosixPath
from typing import Any

import aiohttp
from aiohttp import web

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


class BotApiStandin:
    """The Telegram Bot API (and its file server) on 127.0.0.1, for one bot token."""

    def __init__(self, token: str = "123:ABC", first_update_id: int = FIRST_UPDATE_ID) -> None:
        bot_id, _, secret = token.partition(":")
        if not bot_id.isdigit() or not secret:
            raise ValueError(f"A bot token looks like '<digits>:<secret>', not {token!r}")
        self.token = token
        self.bot_user: JsonDict = {
            "id": int(bot_id),
            "is_bot": True,
            "first_name": BOT_FIRST_NAME,
            "username": BOT_USERNAME,
        }
        self.calls: list[Call] = []
        self.messages: dict[tuple[int, int], JsonDict] = {}  # the bot's messages, as they stand
        self.incoming: dict[tuple[int, int], JsonDict] = {}  # users' messages (Message objects)
        self.deleted_incoming: set[tuple[int, int]] = set()
        self.commands: dict[tuple[str, str], list[JsonDict]] = {}  # (scope, language) -> list
        self.webhook: JsonDict = {"url": ""}
        self.polls: dict[str, JsonDict] = {}  # poll id -> the bot's message record
        self.port = 0
        self._pending: list[_Pending] = []
        self._pollers: list[_Poller] = []
        self._faults: dict[str, list[_Fault]] = {}
        self._files: dict[str, _StoredFile] = {}
        self._users: dict[int, JsonDict] = {}
        self._chats: dict[int, JsonDict] = {}
        self._last_message_id: dict[int, int] = {}
        self._callback_queries: dict[str, bool] = {}  # id -> answered
        self._consumed: set[int] = set()  # indexes into `calls` already returned by wait_for
        self._listeners: list[Callable[[Call], None]] = []
        self._next_update_id = first_update_id
        self._counter = 0
        self._call_signal = asyncio.Event()
        self._last_activity = 0.0
        self._in_flight = 0
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._methods: dict[str, tuple[str, Handler]] = {
            name.lower(): (name, handler) for name, handler in self._handlers().items()
        }

    # --- lifecycle ------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """For `Bot(base_url=...)`/`ApplicationBuilder().base_url(...)`: PTB appends the token."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    async def start(self) -> BotApiStandin:
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._handle_file)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        self._closing = False
        self._last_activity = _now()
        return self

    async def stop(self) -> None:
        self._closing = True
        self._wake_pollers()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BotApiStandin:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # --- inspection -----------------------------------------------------------------------

    def sent(self, chat_id: int | None = None) -> list[JsonDict]:
        """The bot's messages (in one chat, or all) in sending order, as they stand after edits;
        deleted ones are left out (they stay in `messages` with "deleted": True)."""
        return [
            record
            for record in self.messages.values()
            if not record["deleted"] and (chat_id is None or record["chat_id"] == chat_id)
        ]

    @property
    def pending_updates(self) -> list[JsonDict]:
        """Updates not yet confirmed by a getUpdates offset."""
        return [pending.update for pending in self._pending]

    async def wait_for(
        self,
        method: str,
        predicate: Callable[[Call], bool] | None = None,
        timeout: float = 10.0,
        count: int = 1,
    ) -> list[Call]:
        """Wait until `count` answered `method` calls matching `predicate` are in `calls`.

        Calls handed out by an earlier `wait_for` don't count again, so "feed, wait, feed, wait"
        sees each reply once. Failed calls count too: filter with `lambda c: c.ok` if needed.
        """
        name = self._canonical(method)
        deadline = _now() + timeout
        scanned, matching = 0, []  # calls never change: each is looked at once per waiter
        while True:
            for index in range(scanned, len(self.calls)):
                call = self.calls[index]
                if call.method == name and (predicate is None or predicate(call)):
                    matching.append(index)
            scanned = len(self.calls)
            matching = [index for index in matching if index not in self._consumed]
            if len(matching) >= count:
                taken = matching[:count]
                self._consumed.update(taken)
                return [self.calls[index] for index in taken]
            signal = self._call_signal
            if not await _wait_event(signal, deadline - _now()):
                raise AssertionError(
                    f"Timed out after {timeout}s waiting for {count} {name} call(s), "
                    f"got {len(matching)}. {self._describe_recent_calls()}"
                )

    async def wait_idle(self, quiet: float = 0.3, timeout: float = 10.0) -> None:
        """Return once the bot made no request for `quiet` seconds (getUpdates polls that bring
        nothing don't count, a request still being answered does)."""
        deadline = _now() + timeout
        while True:
            silent_for = _now() - self._last_activity
            if self._in_flight == 0 and silent_for >= quiet:
                return
            if _now() >= deadline:
                raise AssertionError(
                    f"The bot was still busy after {timeout}s. {self._describe_recent_calls()}"
                )
            await asyncio.sleep(max(0.01, min(quiet - silent_for, deadline - _now())))

    # --- fault injection ------------------------------------------------------------------

    def fail(
        self,
        method: str,
        *,
        status: int = HTTPStatus.TOO_MANY_REQUESTS,
        retry_after: int | None = None,
        description: str | None = None,
        times: int = 1,
    ) -> None:
        """The next `times` calls of `method` fail with `status` (429 carries retry_after)."""
        self._add_fault(method, _Fault(False, times, status, description, retry_after))

    def drop(self, method: str, times: int = 1) -> None:
        """The next `times` calls of `method` are read, then the connection closes unanswered."""
        self._add_fault(method, _Fault(True, times))

    def _add_fault(self, method: str, fault: _Fault) -> None:
        self._faults.setdefault(self._canonical(method), []).append(fault)

    def _canonical(self, method: str) -> str:
        """Telegram method names are case-insensitive: "sendmessage" is "sendMessage"."""
        known = self._methods.get(method.lower())
        return known[0] if known else method

    def _take_fault(self, method: str) -> _Fault | None:
        faults = self._faults.get(method)
        if not faults:
            return None
        fault = faults[0]
        fault.remaining -= 1
        if fault.remaining <= 0:
            faults.pop(0)
        return fault

    # --- files ----------------------------------------------------------------------------

    def add_file(
        self, file_id: str, data: bytes, size: int | None = None, *, file_name: str | None = None
    ) -> None:
        """Make `file_id` known to getFile and downloadable; `size` may claim more than `data`."""
        stored = self._files.get(file_id)
        name = file_name or (stored.file_name if stored else None)
        self._files[file_id] = self._new_file(
            "documents", name, data, len(data) if size is None else size, file_id=file_id
        )

    def _new_file(
        self,
        folder: str,
        file_name: str | None,
        data: bytes | None,
        size: int,
        *,
        file_id: str | None = None,
        mime_type: str | None = None,
    ) -> _StoredFile:
        number = self._next_number()
        suffix = PurePosixPath(file_name).suffix if file_name else ""
        return _StoredFile(
            file_id=file_id or f"BQACAgIAAx{number:010d}",
            file_unique_id=f"AgAD{number:06d}",
            file_path=f"{folder}/file_{number}{suffix}",
            size=size,
            data=data,
            file_name=file_name,
            mime_type=mime_type or (mimetypes.guess_type(file_name)[0] if file_name else None),
        )

    # --- feeding updates ------------------------------------------------------------------

    def user_message(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        chat_type: str = "private",
        first_name: str = "Ann",
        language_code: str = "zh",
        reply_to: JsonDict | None = None,
        entities: list[JsonDict] | None = None,
        username: str | None = None,
    ) -> JsonDict:
        """A user's text message. Commands and @mentions of the bot get their entities."""
        replied = self._reply_target(reply_to) if reply_to is not None else None
        user = self._remember_user(user_id, first_name, language_code, username)
        chat = self._remember_chat(user, chat_id, chat_type)
        message = self._incoming_message(user, chat)
        message["text"] = text
        found = _command_and_mention_entities(text) if entities is None else entities
        if found:
            message["entities"] = found
        if replied is not None:
            message["reply_to_message"] = replied
        return self._queue({"message": message})

    def document(
        self,
        user_id: int,
        file_id: str,
        file_name: str,
        size: int,
        *,
        mime_type: str | None = None,
        caption: str | None = None,
    ) -> JsonDict:
        """A user sends a file in a private chat. Add its bytes with `add_file` to download it."""
        user = self._known_user(user_id)
        chat = self._remember_chat(user, None, "private")
        stored = self._files.get(file_id)
        if stored is None:
            stored = self._new_file("documents", file_name, None, size, file_id=file_id)
            self._files[file_id] = stored
        stored.file_name = file_name
        stored.mime_type = mime_type or stored.mime_type or mimetypes.guess_type(file_name)[0]
        if not PurePosixPath(stored.file_path).suffix:
            stored.file_path += PurePosixPath(file_name).suffix
        message = self._incoming_message(user, chat)
        message["document"] = {**stored.as_document(), "file_size": size}
        if caption is not None:
            message["caption"] = caption
        return self._queue({"message": message})

    def callback(self, user_id: int, message: JsonDict, data: str) -> JsonDict:
        """A user presses an inline button with `data` under the bot's `message` record."""
        user = self._known_user(user_id)
        query_id = str(4_000_000_000_000 + self._next_number())
        self._callback_queries[query_id] = False
        target = self._reply_target(message)
        chat_id = int(target["chat"]["id"])
        query = {
            "id": query_id,
            "from": user,
            "message": target,
            "chat_instance": str(8_000_000_000_000 + abs(chat_id)),
            "data": data,
        }
        return self._queue({"callback_query": query})

    def poll_answer(self, user_id: int, poll_id: str, option_ids: list[int]) -> JsonDict:
        """A user votes in a non-anonymous poll (an empty `option_ids` retracts the vote)."""
        user = self._known_user(user_id)
        record = self.polls.get(poll_id)
        if record is not None:
            options = record["poll"]["options"]
            for index in option_ids:
                options[index]["voter_count"] += 1
            record["poll"]["total_voter_count"] += 1 if option_ids else 0
        answer = {
            "poll_id": poll_id,
            "user": user,
            "option_ids": list(option_ids),
            "option_persistent_ids": [str(index) for index in option_ids],
        }
        return self._queue({"poll_answer": answer})

    def redeliver(self, update: JsonDict) -> JsonDict:
        """Queue the very same update (same update_id) again, as Telegram does after a bot
        failed to confirm it; it is handed out once even if an offset already confirmed it."""
        self._pending.append(_Pending(update, forced=True))
        self._updates_changed()
        return update

    async def post_webhook(
        self, url: str, update: JsonDict, secret_token: str | None = None
    ) -> int:
        """POST `update` to a bot's webhook, as Telegram does; returns the HTTP status."""
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret_token} if secret_token else {}
        self._pending = [p for p in self._pending if p.update is not update]
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            async with session.post(url, json=update, headers=headers) as response:
                await response.read()
                return response.status

    def _queue(self, payload: JsonDict) -> JsonDict:
        update = {"update_id": self._next_update_id, **payload}
        self._next_update_id += 1
        self._pending.append(_Pending(update))
        self._updates_changed()
        return update

    def _updates_changed(self) -> None:
        self._last_activity = _now()
        self._wake_pollers()

    def _wake_pollers(self) -> None:
        for poller in self._pollers:
            poller.wakeup.set()

    def _remember_user(
        self, user_id: int, first_name: str, language_code: str, username: str | None
    ) -> JsonDict:
        user: JsonDict = {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name,
            "language_code": language_code,
        }
        if username:
            user["username"] = username
        self._users[user_id] = user
        return user

    def _known_user(self, user_id: int) -> JsonDict:
        return self._users.get(user_id) or self._remember_user(user_id, "Ann", "zh", None)

    def _remember_chat(self, user: JsonDict, chat_id: int | None, chat_type: str) -> JsonDict:
        if chat_type == "private":
            chat = {
                "id": chat_id or user["id"],
                "type": "private",
                "first_name": user["first_name"],
            }
            if "username" in user:
                chat["username"] = user["username"]
        else:
            chat = {"id": chat_id or DEFAULT_GROUP_CHAT_ID, "type": chat_type, "title": GROUP_TITLE}
        self._chats[int(chat["id"])] = chat
        return chat

    def _chat(self, chat_id: int) -> JsonDict:
        known = self._chats.get(chat_id)
        if known is not None:
            return known
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "Ann"}
        return {"id": chat_id, "type": "group", "title": GROUP_TITLE}

    def _incoming_message(self, user: JsonDict, chat: JsonDict) -> JsonDict:
        chat_id = int(chat["id"])
        message = {
            "message_id": self._next_message_id(chat_id),
            "date": int(time.time()),
            "chat": chat,
            "from": user,
        }
        self.incoming[(chat_id, message["message_id"])] = message
        return message

    def _reply_target(self, message: JsonDict) -> JsonDict:
        """A Message object for a bot record (from `sent()`) or a user's Message object."""
        chat_id = int(message["chat_id"] if "chat_id" in message else message["chat"]["id"])
        key = (chat_id, int(message["message_id"]))
        if key in self.messages:
            return self._message_object(self.messages[key], nested=False)
        if key in self.incoming:
            return {k: v for k, v in self.incoming[key].items() if k != "reply_to_message"}
        raise KeyError(f"No message {key[1]} in chat {chat_id}")

    def _next_message_id(self, chat_id: int) -> int:
        self._last_message_id[chat_id] = self._last_message_id.get(chat_id, 0) + 1
        return self._last_message_id[chat_id]

    def _next_number(self) -> int:
        self._counter += 1
        return self._counter

    # --- HTTP -----------------------------------------------------------------------------

    async def _handle_method(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _json_response(ApiError(HTTPStatus.UNAUTHORIZED, "Unauthorized").payload())
        requested = request.match_info["method"]
        known = self._methods.get(requested.lower())
        name, handler = known if known else (requested, None)
        busy = name != "getUpdates"  # a long poll waiting for updates is not the bot at work
        if busy:
            self._in_flight += 1
            self._last_activity = _now()
        try:
            return await self._answer(request, name, handler)
        finally:
            if busy:
                self._in_flight -= 1
                self._last_activity = _now()

    async def _answer(
        self, request: web.Request, name: str, handler: Handler | None
    ) -> web.StreamResponse:
        try:
            req = await _read_request(request)
        except ApiError as error:
            self._record(Call(name, {}, {}, status=error.status))
            return _json_response(error.payload())
        fault = self._take_fault(name) if handler is not None else None
        if fault is not None and fault.drop:
            self._record(Call(name, req.params, req.files, req.filenames, status=0))
            return _hang_up(request)
        try:
            if handler is None:
                raise ApiError(HTTPStatus.NOT_FOUND, "Not Found")
            if fault is not None:
                raise fault.error()
            result = await handler(req)
        except ApiError as error:
            self._record(Call(name, req.params, req.files, req.filenames, error.status))
            return _json_response(error.payload())
        self._record(Call(name, req.params, req.files, req.filenames, result=result))
        if name == "getUpdates" and result:
            self._last_activity = _now()  # the bot is about to handle these
        return _json_response({"ok": True, "result": result})

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _json_response(ApiError(HTTPStatus.UNAUTHORIZED, "Unauthorized").payload())
        path = request.match_info["file_path"]
        for stored in self._files.values():
            if stored.file_path == path and stored.data is not None:
                return web.Response(body=stored.data, content_type="application/octet-stream")
        return _json_response(ApiError(HTTPStatus.NOT_FOUND, "Not Found").payload())

    def on_call(self, listener: Callable[[Call], None]) -> None:
        """Call `listener` with every call as it is answered (for many waiters at once)."""
        self._listeners.append(listener)

    def _record(self, call: Call) -> None:
        self.calls.append(call)
        for listener in self._listeners:
            listener(call)
        self._call_signal.set()
        self._call_signal = asyncio.Event()

    def _describe_recent_calls(self, limit: int = 12) -> str:
        if not self.calls:
            return "The bot made no calls."
        lines = [
            f"  {call.method} -> {call.status or 'dropped'} {_abbreviate(call.params)}"
            for call in self.calls[-limit:]
        ]
        return "Recent calls:\n" + "\n".join(lines)

    # --- methods --------------------------------------------------------------------------

    def _handlers(self) -> dict[str, Handler]:
        trivially_ok = ("setChatMenuButton", "logOut", "close", "setMyDescription")
        return {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "sendChatAction": self._send_chat_action,
            "sendDocument": self._send_document,
            "sendPhoto": self._send_photo,
            "getFile": self._get_file,
            "sendPoll": self._send_poll,
            "stopPoll": self._stop_poll,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "getChatMenuButton": self._get_chat_menu_button,
            **{name: self._ok for name in trivially_ok},
        }

    async def _ok(self, req: _Request) -> bool:
        return True

    async def _get_me(self, req: _Request) -> JsonDict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _get_updates(self, req: _Request) -> list[JsonDict]:
        if self.webhook["url"]:
            raise ApiError(
                HTTPStatus.CONFLICT,
                "Conflict: can't use getUpdates method while webhook is active;"
                " use deleteWebhook to delete the webhook first",
            )
        offset = _as_int(req.params.get("offset", 0), "offset")
        limit = min(max(_as_int(req.params.get("limit", 100), "limit"), 1), 100)
        timeout = max(float(req.params.get("timeout", 0)), 0.0)
        self._confirm(offset)
        for other in self._pollers:  # like Telegram: the newest request wins
            other.superseded = True
            other.wakeup.set()
        poller = _Poller()
        self._pollers.append(poller)
        deadline = _now() + timeout
        try:
            while True:
                poller.wakeup.clear()
                if poller.superseded:
                    raise ApiError(
                        HTTPStatus.CONFLICT,
                        "Conflict: terminated by other getUpdates request;"
                        " make sure that only one bot instance is running",
                    )
                ready = self._ready(offset)[:limit]
                if (
                    ready
                    or self._closing
                    or not await _wait_event(poller.wakeup, deadline - _now())
                ):
                    break
        finally:
            self._pollers.remove(poller)
        for pending in ready:
            pending.forced = False
        return [pending.update for pending in ready]

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            keep = self._pending[offset:]
            self._pending = [p for p in self._pending if p.forced or p in keep]
        elif offset > 0:
            self._pending = [p for p in self._pending if p.forced or p.update_id >= offset]

    def _ready(self, offset: int) -> list[_Pending]:
        ready = [p for p in self._pending if p.forced or p.update_id >= offset or offset < 0]
        return sorted(ready, key=lambda pending: pending.update_id)

    async def _set_webhook(self, req: _Request) -> bool:
        url = str(req.params.get("url", ""))
        if url:
            _check_webhook_url(url)
        secret = req.params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise bad_request("secret token contains unallowed characters")
        if _as_bool(req.params.get("drop_pending_updates")):
            self._pending.clear()
        self.webhook = {
            "url": url,
            "secret_token": secret,
            "allowed_updates": req.params.get("allowed_updates"),
            "max_connections": req.params.get("max_connections", 40),
            "has_custom_certificate": "certificate" in req.files,
        }
        return True

    async def _delete_webhook(self, req: _Request) -> bool:
        if _as_bool(req.params.get("drop_pending_updates")):
            self._pending.clear()
        self.webhook = {"url": ""}
        return True

    async def _get_webhook_info(self, req: _Request) -> JsonDict:
        info: JsonDict = {
            "url": self.webhook["url"],
            "has_custom_certificate": bool(self.webhook.get("has_custom_certificate")),
            "pending_update_count": len(self._pending),
        }
        if self.webhook["url"]:
            info["max_connections"] = self.webhook["max_connections"]
            if self.webhook.get("allowed_updates") is not None:
                info["allowed_updates"] = self.webhook["allowed_updates"]
        return info

    async def _send_message(self, req: _Request) -> JsonDict:
        params = req.params
        chat_id = _chat_id(params)
        text = params.get("text")
        if text is None:
            raise bad_request("message text is empty")
        parse_mode = _parse_mode(params.get("parse_mode"))
        plain, entities = _render(str(text), parse_mode, params.get("entities"))
        _check_length(plain, MAX_MESSAGE_CHARS, "message text is empty", "message is too long")
        markup = _check_reply_markup(params.get("reply_markup"))
        record = self._new_record("sendMessage", chat_id, params)
        record.update(text=str(text), parse_mode=parse_mode, plain_text=plain, entities=entities)
        record["reply_markup"] = markup
        return self._store(record)

    async def _edit_message_text(self, req: _Request) -> JsonDict:
        params = req.params
        record = self._editable(params)
        if record["text"] is None:
            raise bad_request("there is no text in the message to edit")
        text = params.get("text")
        if text is None:
            raise bad_request("message text is empty")
        parse_mode = _parse_mode(params.get("parse_mode"))
        plain, entities = _render(str(text), parse_mode, params.get("entities"))
        _check_length(plain, MAX_MESSAGE_CHARS, "message text is empty", "message is too long")
        markup = _check_reply_markup(params.get("reply_markup"))  # absent: keyboard goes away
        before = (record["plain_text"], record["entities"], record["reply_markup"])
        if before == (plain, entities, markup):
            raise bad_request(NOT_MODIFIED.removeprefix("Bad Request: "))
        record.update(text=str(text), parse_mode=parse_mode, plain_text=plain, entities=entities)
        record["reply_markup"] = markup
        return self._edited(record)

    async def _edit_message_reply_markup(self, req: _Request) -> JsonDict:
        record = self._editable(req.params)
        markup = _check_reply_markup(req.params.get("reply_markup"))
        if markup == record["reply_markup"] or (not markup and not record["reply_markup"]):
            raise bad_request(NOT_MODIFIED.removeprefix("Bad Request: "))
        record["reply_markup"] = markup
        return self._edited(record)

    async def _delete_message(self, req: _Request) -> bool:
        key = (_chat_id(req.params), _as_int(req.params.get("message_id"), "message_id"))
        record = self.messages.get(key)
        if record is not None and not record["deleted"]:
            record["deleted"] = True
            return True
        if key in self.incoming and key not in self.deleted_incoming:
            self.deleted_incoming.add(key)  # bots may delete what users sent them
            return True
        raise bad_request("message to delete not found")

    async def _answer_callback_query(self, req: _Request) -> bool:
        query_id = str(req.params.get("callback_query_id", ""))
        if self._callback_queries.get(query_id, True):
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        if len(str(req.params.get("text", ""))) > MAX_CALLBACK_ANSWER_CHARS:
            raise bad_request("MESSAGE_TOO_LONG")
        self._callback_queries[query_id] = True
        return True

    async def _send_chat_action(self, req: _Request) -> bool:
        _chat_id(req.params)
        if req.params.get("action") not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    async def _send_document(self, req: _Request) -> JsonDict:
        stored = self._media_file(req, "document", "documents")
        record = self._captioned_record("sendDocument", req)
        record.update(document=stored.as_document(), filename=stored.file_name, data=stored.data)
        return self._store(record)

    async def _send_photo(self, req: _Request) -> JsonDict:
        stored = self._media_file(req, "photo", "photos")
        photo = [
            {
                "file_id": f"{stored.file_id}_{width}",
                "file_unique_id": f"{stored.file_unique_id}_{width}",
                "width": width,
                "height": width * 3 // 4,
                "file_size": stored.size,
            }
            for width in (320, 800)
        ]
        record = self._captioned_record("sendPhoto", req)
        record.update(photo=photo, filename=stored.file_name, data=stored.data)
        return self._store(record)

    async def _get_file(self, req: _Request) -> JsonDict:
        stored = self._files.get(str(req.params.get("file_id", "")))
        if stored is None:
            raise bad_request("invalid file_id")
        if stored.size > MAX_DOWNLOAD_BYTES:
            raise bad_request("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
            "file_path": stored.file_path,
        }

    async def _send_poll(self, req: _Request) -> JsonDict:
        params = req.params
        chat_id = _chat_id(params)
        question = str(params.get("question", ""))
        if not 1 <= len(question) <= MAX_POLL_QUESTION_CHARS:
            raise bad_request(f"poll question must be 1-{MAX_POLL_QUESTION_CHARS} characters long")
        texts = [_option_text(option) for option in params.get("options") or []]
        low, high = POLL_OPTIONS_RANGE
        if not low <= len(texts) <= high:
            raise bad_request(f"poll must have {low}-{high} options, got {len(texts)}")
        if any(not 1 <= len(text) <= MAX_POLL_OPTION_CHARS for text in texts):
            raise bad_request(f"poll options must be 1-{MAX_POLL_OPTION_CHARS} characters long")
        explanation = params.get("explanation")
        if explanation is not None and len(str(explanation)) > MAX_POLL_EXPLANATION_CHARS:
            raise bad_request(
                f"poll explanation must be at most {MAX_POLL_EXPLANATION_CHARS} characters long"
            )
        poll_type = str(params.get("type") or "regular")
        correct = _correct_option_ids(params)
        if poll_type == "quiz" and (not correct or any(not 0 <= i < len(texts) for i in correct)):
            raise bad_request("wrong correct option ids specified for the quiz")
        poll_id = str(5_000_000_000_000_000 + self._next_number())
        poll: JsonDict = {
            "id": poll_id,
            "question": question,
            "options": [
                {"text": text, "voter_count": 0, "persistent_id": str(index)}
                for index, text in enumerate(texts)
            ],
            "total_voter_count": 0,
            "is_closed": _as_bool(params.get("is_closed")),
            "is_anonymous": _as_bool(params.get("is_anonymous", True)),
            "type": poll_type,
            "allows_multiple_answers": _as_bool(params.get("allows_multiple_answers")),
            "allows_revoting": _as_bool(params.get("allows_revoting", poll_type != "quiz")),
            "members_only": _as_bool(params.get("members_only")),
        }
        if poll_type == "quiz":
            poll["correct_option_ids"] = correct
        if explanation is not None:
            poll["explanation"] = str(explanation)
        record = self._new_record("sendPoll", chat_id, params)
        record.update(poll=poll, reply_markup=_check_reply_markup(params.get("reply_markup")))
        self.polls[poll_id] = record
        return self._store(record)

    async def _stop_poll(self, req: _Request) -> JsonDict:
        record = self._editable(req.params)
        poll = record.get("poll")
        if poll is None:
            raise bad_request("message with poll to stop not found")
        if poll["is_closed"]:
            raise bad_request("poll has already been closed")
        poll["is_closed"] = True
        if "reply_markup" in req.params:
            record["reply_markup"] = _check_reply_markup(req.params["reply_markup"])
        return dict(poll)

    async def _set_my_commands(self, req: _Request) -> bool:
        commands = req.params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("can't parse commands JSON object")
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(command.get("command", ""))):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad_request("command description must be 1-256 characters long")
        self.commands[self._commands_key(req.params)] = [
            {"command": str(c["command"]), "description": str(c["description"])} for c in commands
        ]
        return True

    async def _get_my_commands(self, req: _Request) -> list[JsonDict]:
        return self.commands.get(self._commands_key(req.params), [])

    async def _delete_my_commands(self, req: _Request) -> bool:
        self.commands.pop(self._commands_key(req.params), None)
        return True

    async def _get_chat_menu_button(self, req: _Request) -> JsonDict:
        return {"type": "commands"}

    @staticmethod
    def _commands_key(params: Params) -> tuple[str, str]:
        """("default" | "all_private_chats" | "chat:<id>" | ..., language code or "")."""
        scope = params.get("scope") or {"type": "default"}
        parts = [str(scope.get("type", "default"))]
        parts += [str(scope[key]) for key in ("chat_id", "user_id") if key in scope]
        return ":".join(parts), str(params.get("language_code") or "")

    # --- message records ------------------------------------------------------------------

    def _new_record(self, method: str, chat_id: int, params: Params) -> JsonDict:
        reply_to = self._reply_to_message_id(chat_id, params)
        return {
            "chat_id": chat_id,
            "message_id": 0,  # assigned when stored, once the request proved valid
            "date": int(time.time()),
            "method": method,
            "text": None,
            "parse_mode": None,
            "plain_text": None,
            "entities": [],
            "caption": None,
            "reply_markup": None,
            "reply_to_message_id": reply_to,
            "edits": 0,
            "edit_date": None,
            "deleted": False,
        }

    def _captioned_record(self, method: str, req: _Request) -> JsonDict:
        params = req.params
        record = self._new_record(method, _chat_id(params), params)
        caption = params.get("caption")
        if caption is not None:
            parse_mode = _parse_mode(params.get("parse_mode"))
            plain, entities = _render(str(caption), parse_mode, params.get("caption_entities"))
            _check_length(plain, MAX_CAPTION_CHARS, None, "message caption is too long")
            record.update(caption=str(caption), parse_mode=parse_mode, plain_text=plain)
            record["entities"] = entities
        record["reply_markup"] = _check_reply_markup(params.get("reply_markup"))
        return record

    def _media_file(self, req: _Request, field_name: str, folder: str) -> _StoredFile:
        """The uploaded file (stored so getFile finds it), or a file_id sent earlier."""
        value = req.params.get(field_name)
        part = field_name
        if isinstance(value, str) and value.startswith("attach://"):
            part = value.removeprefix("attach://")
        if part in req.files:
            data = req.files[part]
            if len(data) > MAX_UPLOAD_BYTES:
                raise ApiError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "Request Entity Too Large")
            stored = self._new_file(folder, req.filenames.get(part), data, len(data))
            self._files[stored.file_id] = stored
            return stored
        if isinstance(value, str) and value in self._files:
            return self._files[value]
        if isinstance(value, str) and re.match(r"https?://", value):
            name = PurePosixPath(value.split("?")[0]).name or None
            return self._new_file(folder, name, None, 0)
        raise bad_request("wrong file identifier/HTTP URL specified")

    def _reply_to_message_id(self, chat_id: int, params: Params) -> int | None:
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow_missing = _as_bool(reply.get("allow_sending_without_reply"))
        else:
            message_id = params.get("reply_to_message_id")
            allow_missing = _as_bool(params.get("allow_sending_without_reply"))
        if message_id is None:
            return None
        key = (chat_id, _as_int(message_id, "message_id"))
        if key in self.messages or key in self.incoming:
            return key[1]
        if allow_missing:
            return None
        raise bad_request("message to be replied not found")

    def _store(self, record: JsonDict) -> JsonDict:
        chat_id = record["chat_id"]
        record["message_id"] = self._next_message_id(chat_id)
        self.messages[(chat_id, record["message_id"])] = record
        return self._message_object(record)

    def _editable(self, params: Params) -> JsonDict:
        if "inline_message_id" in params:
            raise bad_request("inline messages are not supported by this stand-in")
        key = (_chat_id(params), _as_int(params.get("message_id"), "message_id"))
        record = self.messages.get(key)
        if record is None or record["deleted"]:
            if key in self.incoming:
                raise bad_request("message can't be edited")
            raise bad_request("message to edit not found")
        return record

    def _edited(self, record: JsonDict) -> JsonDict:
        record["edits"] += 1
        record["edit_date"] = int(time.time())
        return self._message_object(record)

    def _message_object(self, record: JsonDict, *, nested: bool = True) -> JsonDict:
        """The Bot API Message for one of the bot's records."""
        chat_id = record["chat_id"]
        message: JsonDict = {
            "message_id": record["message_id"],
            "date": record["date"],
            "chat": self._chat(chat_id),
            "from": self.bot_user,
        }
        text_key, entities_key = ("text", "entities")
        if record["caption"] is not None:
            text_key, entities_key = ("caption", "caption_entities")
        if record["plain_text"] is not None:
            message[text_key] = record["plain_text"]
            if record["entities"]:
                message[entities_key] = record["entities"]
        for media in ("document", "photo", "poll"):
            if media in record:
                message[media] = record[media]
        markup = record["reply_markup"]
        if markup and "inline_keyboard" in markup:  # Telegram only echoes inline keyboards
            message["reply_markup"] = markup
        if record["edit_date"] is not None:
            message["edit_date"] = record["edit_date"]
        reply_to = record["reply_to_message_id"]
        if nested and reply_to is not None:
            message["reply_to_message"] = self._reply_target(
                {"chat_id": chat_id, "message_id": reply_to}
            )
        return message


# --- request parsing ------------------------------------------------------------------------


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


def _default_description(status: int, retry_after: int | None) -> str:
    if status == HTTPStatus.TOO_MANY_REQUESTS:
        return f"Too Many Requests: retry after {retry_after}"
    if status == HTTPStatus.FORBIDDEN:
        return "Forbidden: bot was blocked by the user"
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown error"


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


# --- parameter checks -----------------------------------------------------------------------


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


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _command_and_mention_entities(text: str) -> list[JsonDict]:
    entities: list[JsonDict] = []
    command_end = 0
    command = re.match(r"/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?", text)
    if command:
        command_end = command.end()
        entities.append({"type": "bot_command", "offset": 0, "length": _utf16_len(command[0])})
    for mention in re.finditer(rf"@{BOT_USERNAME}\b", text, flags=re.IGNORECASE):
        if mention.start() >= command_end:
            offset = _utf16_len(text[: mention.start()])
            entities.append({"type": "mention", "offset": offset, "length": _utf16_len(mention[0])})
    return entities


# --- Telegram's HTML dialect ----------------------------------------------------------------

_HTML_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "tg-emoji": "custom_emoji",
}
_NAMED_CHARACTERS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_CHARACTER_REFERENCE = re.compile(r"&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z]+));")
_TAG_NAME = re.compile(r"[^\s>]*")
_ATTRIBUTE = re.compile(
    r"\s*([^\s=>]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>\"']+)))?", flags=re.DOTALL
)


@dataclass
class _OpenTag:
    name: str
    offset: int  # UTF-16 offset of the tag's text
    attributes: dict[str, str]


class HtmlError(ApiError):
    def __init__(self, detail: str) -> None:
        super().__init__(HTTPStatus.BAD_REQUEST, f"Bad Request: can't parse entities: {detail}")


def parse_html(source: str) -> tuple[str, list[JsonDict]]:
    """Parse Telegram-flavoured HTML into plain text and entities, or raise `HtmlError` with
    Telegram's wording ("Unsupported start tag "br" at byte offset 3", ...)."""
    out: list[str] = []
    length = 0  # of `out`, in UTF-16 code units
    stack: list[_OpenTag] = []
    entities: list[JsonDict] = []

    def at(index: int) -> str:
        return f"at byte offset {len(source[:index].encode())}"

    i = 0
    while i < len(source):
        char = source[i]
        if char == "&":
            reference = _CHARACTER_REFERENCE.match(source, i)
            decoded = _decode_reference(reference) if reference else None
            if reference is None or decoded is None:
                raise HtmlError(f'Character "&" {at(i)} must be escaped as "&amp;"')
            out.append(decoded)
            length += _utf16_len(decoded)
            i = reference.end()
        elif char != "<":
            out.append(char)
            length += _utf16_len(char)
            i += 1
        elif source.startswith("</", i):
            if not stack:
                raise HtmlError(f"Unexpected end tag {at(i)}")
            end = source.find(">", i)
            name = source[i + 2 : end].rstrip().lower()
            if end == -1 or any(c.isspace() for c in name):
                raise HtmlError(f"Unclosed end tag {at(i)}")
            tag = stack.pop()
            if name and name != tag.name:
                raise HtmlError(
                    f'Unmatched end tag {at(i)}, expected "</{tag.name}>", found "</{name}>"'
                )
            entity = _html_entity(tag, length, stack)
            if entity is not None:
                entities.append(entity)
            i = end + 1
        else:
            tag, i = _read_start_tag(source, i, at)
            tag.offset = length
            stack.append(tag)
    if stack:
        raise HtmlError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    return _trim("".join(out), sorted(entities, key=lambda e: (e["offset"], -e["length"])))


def _read_start_tag(source: str, begin: int, at: Callable[[int], str]) -> tuple[_OpenTag, int]:
    name_match = _TAG_NAME.match(source, begin + 1)
    assert name_match is not None  # the pattern matches the empty string
    name = name_match[0].lower()
    i = name_match.end()
    if i >= len(source):
        raise HtmlError(f"Unclosed start tag {at(begin)}")
    if name not in _HTML_ENTITY_TYPES:
        raise HtmlError(f'Unsupported start tag "{name}" {at(begin)}')
    attributes: dict[str, str] = {}
    while True:
        while i < len(source) and source[i].isspace():
            i += 1
        if i >= len(source):
            raise HtmlError(f"Unclosed start tag {at(begin)}")
        if source[i] == ">":
            break
        attribute = _ATTRIBUTE.match(source, i)
        if attribute is None:
            raise HtmlError(f'Empty attribute name in the tag "{name}" {at(begin)}')
        value = next((v for v in attribute.groups()[1:] if v is not None), None)
        if value is None and not (name == "blockquote" and attribute[1] == "expandable"):
            raise HtmlError(
                f'Expected equal sign in declaration of an attribute of the tag "{name}" '
                f"{at(begin)}"
            )
        attributes[attribute[1].lower()] = _decode_references(value or "")
        i = attribute.end()
    if name == "span" and attributes.get("class") != "tg-spoiler":
        raise HtmlError(f'Tag "span" must have class "tg-spoiler" {at(begin)}')
    return _OpenTag(name, 0, attributes), i + 1


def _html_entity(tag: _OpenTag, end: int, stack: list[_OpenTag]) -> JsonDict | None:
    kind = _HTML_ENTITY_TYPES[tag.name]
    if end <= tag.offset:
        return None  # Telegram drops empty entities
    entity: JsonDict = {"type": kind, "offset": tag.offset, "length": end - tag.offset}
    if kind == "text_link":
        url = tag.attributes.get("href", "")
        if not url:
            return None
        entity["url"] = url
    elif kind == "blockquote" and "expandable" in tag.attributes:
        entity["type"] = "expandable_blockquote"
    elif kind == "custom_emoji":
        entity["custom_emoji_id"] = tag.attributes.get("emoji-id", "")
    elif kind == "code" and stack and stack[-1].name == "pre":
        language = tag.attributes.get("class", "").removeprefix("language-")
        if language:
            stack[-1].attributes["language"] = language
        return None  # Telegram folds <pre><code class="language-x"> into one pre entity
    elif kind == "pre" and tag.attributes.get("language"):
        entity["language"] = tag.attributes["language"]
    return entity


def _decode_reference(match: re.Match[str]) -> str | None:
    decimal, hexadecimal, name = match.groups()
    if name is not None:
        return _NAMED_CHARACTERS.get(name)
    code = int(decimal) if decimal is not None else int(hexadecimal, 16)
    if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code)


def _decode_references(value: str) -> str:
    def replace(match: re.Match[str]) -> str:
        return _decode_reference(match) or match[0]

    return _CHARACTER_REFERENCE.sub(replace, value)


def _trim(text: str, entities: list[JsonDict]) -> tuple[str, list[JsonDict]]:
    """Telegram strips surrounding whitespace; entities move and shrink along."""
    stripped = text.strip()
    lead = _utf16_len(text[: len(text) - len(text.lstrip())])
    size = _utf16_len(stripped)
    kept: list[JsonDict] = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, size)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept
