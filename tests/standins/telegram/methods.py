"""The Bot API methods the stand-in answers, each checked the way Telegram checks it.

`MethodsMixin` is part of `BotApiStandin` (see server.py), whose state it uses.
"""

from __future__ import annotations

import re
from http import HTTPStatus

from .checks import (
    _as_bool,
    _as_int,
    _chat_id,
    _check_length,
    _check_reply_markup,
    _check_webhook_url,
    _correct_option_ids,
    _option_text,
    _parse_mode,
    _render,
)
from .objects import (
    CHAT_ACTIONS,
    MAX_CALLBACK_ANSWER_CHARS,
    MAX_DOWNLOAD_BYTES,
    MAX_MESSAGE_CHARS,
    MAX_POLL_EXPLANATION_CHARS,
    MAX_POLL_OPTION_CHARS,
    MAX_POLL_QUESTION_CHARS,
    NOT_MODIFIED,
    POLL_OPTIONS_RANGE,
    ApiError,
    Handler,
    JsonDict,
    Params,
    _Pending,
    _Poller,
    _Request,
    bad_request,
)
from .wire import _now, _wait_event


class MethodsMixin:
    """One handler per Bot API method; `_handlers()` maps method names to them."""

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
        text, parse_mode, plain, entities = _message_text(params)
        markup = _check_reply_markup(params.get("reply_markup"))
        record = self._new_record("sendMessage", chat_id, params)
        record.update(text=text, parse_mode=parse_mode, plain_text=plain, entities=entities)
        record["reply_markup"] = markup
        return self._store(record)

    async def _edit_message_text(self, req: _Request) -> JsonDict:
        params = req.params
        record = self._editable(params)
        if record["text"] is None:
            raise bad_request("there is no text in the message to edit")
        text, parse_mode, plain, entities = _message_text(params)
        markup = _check_reply_markup(params.get("reply_markup"))  # absent: keyboard goes away
        before = (record["plain_text"], record["entities"], record["reply_markup"])
        if before == (plain, entities, markup):
            raise bad_request(NOT_MODIFIED.removeprefix("Bad Request: "))
        record.update(text=text, parse_mode=parse_mode, plain_text=plain, entities=entities)
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


def _message_text(params: Params) -> tuple[str, str | None, str, list]:
    """(text, parse mode, plain text, entities) of a message, checked as Telegram checks it."""
    text = params.get("text")
    if text is None:
        raise bad_request("message text is empty")
    parse_mode = _parse_mode(params.get("parse_mode"))
    plain, entities = _render(str(text), parse_mode, params.get("entities"))
    _check_length(plain, MAX_MESSAGE_CHARS, "message text is empty", "message is too long")
    return str(text), parse_mode, plain, entities
