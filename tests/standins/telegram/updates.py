"""Feeding the bot updates: users' messages, documents, button presses and poll answers.

`UpdatesMixin` is part of `BotApiStandin` (see server.py), whose state it uses.
"""

from __future__ import annotations

import mimetypes
import re
import time
from pathlib import PurePosixPath

import aiohttp

from .html import _utf16_len
from .objects import (
    BOT_USERNAME,
    DEFAULT_GROUP_CHAT_ID,
    GROUP_TITLE,
    JsonDict,
    _Pending,
    _StoredFile,
)
from .wire import _now


class UpdatesMixin:
    """Known files, users and chats, and the queue of updates for getUpdates or a webhook."""

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
