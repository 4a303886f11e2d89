"""The bot's messages as the stand-in keeps them ("records"), and the Message objects it
answers with.

`RecordsMixin` is part of `BotApiStandin` (see server.py), whose state it uses.
"""

from __future__ import annotations

import re
import time
from http import HTTPStatus
from pathlib import PurePosixPath

from .checks import (
    _as_bool,
    _as_int,
    _chat_id,
    _check_length,
    _check_reply_markup,
    _parse_mode,
    _render,
)
from .objects import (
    MAX_CAPTION_CHARS,
    MAX_UPLOAD_BYTES,
    ApiError,
    JsonDict,
    Params,
    _Request,
    _StoredFile,
    bad_request,
)


class RecordsMixin:
    """Creating, storing, editing and rendering the messages the bot sends."""

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
