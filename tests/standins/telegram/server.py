"""`BotApiStandin`: the HTTP server, recording of calls, waiting, and fault injection.

Feeding updates, the method handlers and message records live in the mixins it is built
from (updates.py, methods.py, records.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from http import HTTPStatus

from aiohttp import web

from .methods import MethodsMixin
from .objects import (
    BOT_FIRST_NAME,
    BOT_USERNAME,
    FIRST_UPDATE_ID,
    MAX_UPLOAD_BYTES,
    ApiError,
    Call,
    Handler,
    JsonDict,
    _Fault,
    _Pending,
    _Poller,
    _StoredFile,
)
from .records import RecordsMixin
from .updates import UpdatesMixin
from .wire import _abbreviate, _hang_up, _json_response, _now, _read_request, _wait_event


class BotApiStandin(UpdatesMixin, MethodsMixin, RecordsMixin):
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
