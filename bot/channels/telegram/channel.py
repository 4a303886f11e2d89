"""The Telegram channel: python-telegram-bot handlers that translate updates for the chat core
and render its replies. All the conversation logic lives in `bot.core`."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    Update,
)
from telegram.constants import ChatAction, ChatType
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    PollAnswerHandler,
    TypeHandler,
    filters,
)

from bot.channels.telegram import render
from bot.channels.telegram.menu import set_menus, set_role_menu, staff
from bot.channels.telegram.send import (
    edit,
    quietly,
    send,
    send_document,
    send_photo,
    send_quiz_poll,
)
from bot.core import ChatCore
from bot.events import (
    NEWCOMER,
    Document,
    Incoming,
    Notice,
    Out,
    Partial,
    Photo,
    PollAnswer,
    Progress,
    QuizPrompt,
    Reply,
    Typing,
    Upload,
)
from bot.texts import say
from knowledge.vocabulary import Lang, as_lang

log = logging.getLogger(__name__)
EDIT_INTERVAL = 1.0  # seconds between edits of one message (Telegram's pace for a chat)
_COMMAND = re.compile(r"/(\S*)")
MEDIA = (
    filters.PHOTO
    | filters.Sticker.ALL
    | filters.VOICE
    | filters.AUDIO
    | filters.VIDEO
    | filters.VIDEO_NOTE
    | filters.ANIMATION
)


@dataclass(frozen=True)
class TelegramOptions:
    token: str
    base_url: str | None = None  # a local Bot API server, e.g. http://127.0.0.1:8081/bot
    base_file_url: str | None = None
    max_rate: float = 30.0  # outgoing messages a second overall; 0 turns the limiter off
    concurrency: int = 64  # updates handled at once, of different users
    waiting: int = 10  # a user's updates waiting behind the one in hand; more are skipped


class TelegramChannel:
    def __init__(self, core: ChatCore, options: TelegramOptions) -> None:
        self.core, self.options = core, options
        self.username = ""

    def application(self) -> Application:
        o = self.options
        fair = FairUpdates(o.concurrency, o.waiting, self._skipped)
        builder = ApplicationBuilder().token(o.token).concurrent_updates(fair)
        if o.base_url:
            builder = builder.base_url(o.base_url)
        if o.base_file_url:
            builder = builder.base_file_url(o.base_file_url)
        if o.max_rate:
            limiter = AIORateLimiter(overall_max_rate=o.max_rate, max_retries=3)
            # PTB's builder is typed for a limiter that takes no per-call arguments (None);
            # AIORateLimiter takes an optional retry count (int): the same protocol at run time.
            builder = builder.rate_limiter(limiter)  # type: ignore[arg-type]
        app = builder.build()
        app.add_handler(TypeHandler(Update, self._once), group=-1)
        app.add_handler(MessageHandler(filters.TEXT & ~filters.UpdateType.EDITED, self._on_text))
        app.add_handler(MessageHandler(MEDIA & ~filters.UpdateType.EDITED, self._on_media))
        app.add_handler(MessageHandler(filters.Document.ALL, self._on_document))
        app.add_handler(CallbackQueryHandler(self._on_button))
        app.add_handler(PollAnswerHandler(self._on_poll_answer))
        app.add_error_handler(self._on_error)
        return app

    async def started(self, app: Application) -> None:
        """After the bot is initialised: learn its name, set the menus."""
        self.username = app.bot.username
        self.core.services.bot_username = self.username  # the web console's login widget
        self.core.services.invite_link = lambda code: f"https://t.me/{self.username}?start={code}"
        bot = app.bot

        async def push(target: int, items: AsyncIterator[Out]) -> None:
            chat_id = await self._chat_of(target)
            if chat_id is None:
                log.warning("user %s has no Telegram chat: a later reply is not delivered", target)
                return
            await self._deliver(bot, chat_id, items)

        async def set_menu(user_id: int, role: str | None, lang: Lang) -> None:
            chat_id = await self._chat_of(user_id)
            if chat_id is not None:
                await set_role_menu(bot, chat_id, role, lang)

        async def amend(chat_id: int, message_id: int, text: str) -> bool:
            # no markup: Telegram drops the message's buttons (a pressed Replace's question)
            return await edit(bot, chat_id, message_id, render.escape(text)) is not None

        services = self.core.services
        services.push, services.set_menu, services.amend = push, set_menu, amend
        await set_menus(bot, await staff(self.core))

    # -- who is who ----------------------------------------------------------------------
    # The core speaks of users by our user id; Telegram of users by their Telegram id. Each
    # update's Telegram user is resolved to their user through their identity (the records
    # keep the answers in memory), and a reply for a user goes to the private chat of their
    # Telegram identity. A chat the core names is a group's (Telegram's are negative) or,
    # positive, a user's own chat.
    async def _who(self, update: Update) -> dict:
        user = update.effective_user
        assert user is not None
        code = (user.language_code or "").lower()
        lang = "zh" if code.startswith("zh") else "en" if code else None
        who: dict = {"name": user.full_name, "lang": lang}
        user_id = await self.core.services.records.user_of("telegram", str(user.id))
        if user_id is None:
            return who | {"user_id": NEWCOMER, "identity": ("telegram", str(user.id))}
        return who | {"user_id": user_id}

    async def _chat_of(self, target: int) -> int | None:
        """The Telegram chat of a chat the core names: a group's as it is, a user's private
        chat through their Telegram identity (None when they have none)."""
        if target < 0:
            return target
        telegram = await self.core.services.records.external_id(target, "telegram")
        return int(telegram) if telegram is not None and telegram.isdecimal() else None

    # -- updates in ---------------------------------------------------------------------
    async def _skipped(self, update: Update, first: bool) -> None:
        """An update of a user who already has `waiting` updates in line: not handled. The
        first of a burst gets one line saying so (in a private chat only: in a group it may not
        have been meant for the bot); a press always gets its spinner stopped."""
        who = await self._who(update)
        records = self.core.services.records
        known = None if who.get("identity") else await records.user(who["user_id"])
        lang = as_lang(known.lang if known else None) or as_lang(who["lang"]) or "zh"
        text = say("busy", lang)
        if update.callback_query:
            query = update.callback_query
            await quietly("answerCallbackQuery", lambda: query.answer(text))
        elif first and update.effective_chat and update.effective_chat.type == ChatType.PRIVATE:
            await send(update.get_bot(), update.effective_chat.id, render.escape(text))

    async def _once(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """An update delivered twice (a restart, a redelivery) is handled once."""
        if not await self.core.services.records.claim_update(update.update_id):
            log.info("update %s was already handled", update.update_id)
            raise ApplicationHandlerStop

    async def _on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None and message.text is not None
        group = message.chat.type != ChatType.PRIVATE
        text, command, args = self._parse(message, group)
        if text is None and command is None:
            return  # a group message not meant for the bot
        event = Incoming(
            **await self._who(update), text=text or "", command=command, args=args,
            chat_id=message.chat_id if group else None,
        )  # fmt: skip
        reply_to = message.message_id if group else None
        await self._deliver(context.bot, message.chat_id, self.core.respond(event), reply_to)

    def _parse(self, message: Message, group: bool) -> tuple[str | None, str | None, tuple]:
        """(question text, command, args); (None, None, ()) when a group message isn't ours.

        The text is a message's text or a photo's caption. A bare "/" (or "/@bot") asks for
        help."""
        text = message.text or message.caption or ""
        if text.startswith("/"):
            found = _COMMAND.match(text)
            head = found[1] if found else ""
            command, _, addressee = head.partition("@")
            if addressee and addressee.lower() != self.username.lower():
                return None, None, ()
            args = text[found.end() if found else 1 :].split()
            return None, command.lower() or "help", tuple(args)
        if not group:
            return text, None, ()
        mention = f"@{self.username}".lower()
        if message.caption is not None:
            entities = message.parse_caption_entities([MessageEntity.MENTION]).values()
        else:
            entities = message.parse_entities([MessageEntity.MENTION]).values()
        mentioned = any(e.lower() == mention for e in entities)
        if not (mentioned or _replies_to_bot(message)):
            return None, None, ()
        cleaned = " ".join(w for w in text.split() if w.lower() != mention)
        return cleaned, None, ()

    async def _on_media(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stickers, voice, video, photos: a photo's caption is the question; the rest get a
        line saying the bot reads text (in a group, only when it is replied to)."""
        message = update.effective_message
        assert message is not None
        group = message.chat.type != ChatType.PRIVATE
        text, command, args = self._parse(message, group) if message.caption else (None, None, ())
        if text is None and command is None:
            if group and not _replies_to_bot(message):
                return
            text = ""
        kind = next(
            k for k in ("photo", "sticker", "voice", "audio", "video", "video_note", "animation")
            if getattr(message, k)
        )  # fmt: skip
        event = Incoming(
            **await self._who(update), text=text or "", command=command, args=args,
            chat_id=message.chat_id if group else None, media=kind,
        )  # fmt: skip
        reply_to = message.message_id if group else None
        await self._deliver(context.bot, message.chat_id, self.core.respond(event), reply_to)

    async def _on_document(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None and message.document is not None
        if message.chat.type != ChatType.PRIVATE:
            return  # materials are sent to the bot privately
        document = message.document

        async def fetch(path: Path) -> None:
            file = await context.bot.get_file(document.file_id)
            await file.download_to_drive(path)

        name = document.file_name or "upload"
        upload = Upload(name, document.file_size, fetch)
        event = Incoming(**await self._who(update), upload=upload)  # a private chat
        await self._deliver(context.bot, message.chat_id, self.core.respond(event))

    async def _on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        message = query.message if isinstance(query.message, Message) else None
        chat_id = message.chat_id if message else query.from_user.id
        private = message is None or message.chat.type == ChatType.PRIVATE
        event = Incoming(
            **await self._who(update), button=query.data or "",
            chat_id=None if private else chat_id,
            pressed=(chat_id, message.message_id) if message else None,
        )  # fmt: skip
        toast = ""
        items = []
        async for item in self.core.respond(event):
            if isinstance(item, Notice):  # now, while the person's identity is surely there
                await self._notify(context.bot, item)
            elif isinstance(item, Reply) and item.kind == "toast":
                toast = item.text
            else:
                items.append(item)
        await quietly("answerCallbackQuery", lambda: query.answer(toast or None))
        await self._deliver(context.bot, chat_id, _replay(items), pressed=message)

    async def _on_poll_answer(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        answer = update.poll_answer
        assert answer is not None
        if not answer.option_ids:
            return  # a vote taken back: quiz polls allow none, nothing to do
        chosen = PollAnswer(answer.poll_id, tuple(answer.option_ids))
        event = Incoming(**await self._who(update), poll_answer=chosen)  # a private chat
        assert update.effective_user is not None
        await self._deliver(context.bot, update.effective_user.id, self.core.respond(event))

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("handling an update failed", exc_info=context.error)
        if isinstance(update, Update) and update.effective_chat:
            text = render.escape(
                "Sorry, something went wrong. Please try again. / 抱歉，出错了，请重试。"
            )
            await send(context.bot, update.effective_chat.id, text)

    # -- replies out --------------------------------------------------------------------
    async def _deliver(
        self,
        bot,
        chat_id: int,
        items: AsyncIterator[Out],
        reply_to: int | None = None,
        pressed: Message | None = None,
    ) -> None:
        """Show partials and progress by editing one live message, then the replies."""
        live: Message | None = None
        last_edit = 0.0
        async for item in items:
            if isinstance(item, Notice):
                await self._notify(bot, item)
                continue
            if isinstance(item, Typing):
                await quietly(
                    "sendChatAction", lambda: bot.send_chat_action(chat_id, ChatAction.TYPING)
                )
                continue
            if isinstance(item, QuizPrompt):
                await self._ask(bot, chat_id, item)
                continue
            if isinstance(item, Photo):
                await send_photo(bot, chat_id, item.png, render.escape(item.caption))
                continue
            if isinstance(item, Document):
                await send_document(bot, chat_id, item, render.escape(item.caption))
                continue
            if isinstance(item, Partial | Progress):
                if live is None:
                    live = await send(bot, chat_id, render.escape(item.text), reply_to=reply_to)
                    last_edit = time.monotonic()
                    if live is not None and item.work is not None:  # a crash edits it
                        await self.core.status_shown(item.work, chat_id, live.message_id)
                elif time.monotonic() - last_edit >= EDIT_INTERVAL:
                    await edit(bot, chat_id, live.message_id, render.escape(item.text))
                    last_edit = time.monotonic()
                continue
            parts = render.split_html(_html(item))
            markup = _keyboard(item)
            target = pressed if item.edit and pressed else live
            for i, part in enumerate(parts):
                buttons = markup if i == len(parts) - 1 else None
                if i == 0 and target is not None:
                    if target is live:  # keep to one edit a second, also for the last one
                        await asyncio.sleep(max(0.0, last_edit + EDIT_INTERVAL - time.monotonic()))
                    await edit(bot, chat_id, target.message_id, part, buttons)
                else:
                    await send(bot, chat_id, part, buttons, reply_to)
            live = None

    async def _notify(self, bot, notice: Notice) -> None:
        """A line for another person, in the private chat of their Telegram identity."""
        if (chat_id := await self._chat_of(notice.user_id)) is not None:
            await send(bot, chat_id, render.escape(notice.text))
        else:
            log.warning("user %s has no Telegram chat for a notice", notice.user_id)

    async def _ask(self, bot, chat_id: int, prompt: QuizPrompt) -> None:
        """A native quiz poll when the question fits one, else a message with buttons."""
        if prompt.poll:
            sent = await send_quiz_poll(bot, chat_id, prompt)
            if sent is not None and sent.poll is not None:
                # quiz polls go to private chats only: the chat is the trainee's Telegram id
                user_id = await self.core.services.records.user_of("telegram", str(chat_id))
                if user_id is not None:
                    await self.core.poll_sent(prompt, user_id, sent.poll.id, sent.message_id)
                return
        markup = _keyboard(Reply("", buttons=prompt.buttons))
        await send(bot, chat_id, render.escape(prompt.body), markup)


class FairUpdates(BaseUpdateProcessor):
    """Update scheduling that keeps one user from slowing everyone: each user has one update
    in hand at a time (so their replies stay in order) and at most `waiting` more in line,
    which hold no slot; only the update in hand takes one of the `concurrency` slots. Further
    updates of that user are skipped (`skipped(update, first_of_burst)` tells them)."""

    def __init__(
        self,
        concurrency: int,
        waiting: int,
        skipped: Callable[[Update, bool], Awaitable[None]],
    ) -> None:
        # PTB's own bound only caps the tasks parked here; the real slots are `_slots`.
        super().__init__(max_concurrent_updates=max(4096, concurrency))
        self._slots = asyncio.Semaphore(concurrency)
        self._waiting, self._skipped = waiting, skipped
        self._lanes: dict[int, _Lane] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        if not isinstance(update, Update) or update.effective_user is None:
            async with self._slots:
                await coroutine
            return
        user = update.effective_user
        lane = self._lanes.setdefault(user.id, _Lane())
        if lane.queued > self._waiting:  # one in hand and `waiting` in line already
            close = getattr(coroutine, "close", None)
            if close:
                close()  # never started: nothing to clean up
            first, lane.told = not lane.told, True
            try:
                await self._skipped(update, first)
            except Exception:
                log.exception("telling user %s their update was skipped failed", user.id)
            return
        lane.queued += 1
        try:
            async with lane.turn, self._slots:
                await coroutine
        finally:
            lane.queued -= 1
            if lane.queued == 0:
                del self._lanes[user.id]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to free."""


@dataclass
class _Lane:
    """One user's updates: those in hand or in line, whose turn it is, and whether the current
    burst was already told it is being skipped."""

    queued: int = 0
    turn: asyncio.Lock = field(default_factory=asyncio.Lock)
    told: bool = False


def _replies_to_bot(message: Message) -> bool:
    replied = message.reply_to_message
    return (
        replied is not None
        and replied.from_user is not None
        and replied.from_user.id == message.get_bot().id
    )


def _html(reply: Reply) -> str:
    if reply.kind == "answer":
        return render.answer_html(reply.text, reply.citations, reply.lang, markdown=reply.markdown)
    if reply.kind == "sources":
        return render.sources_html(reply.citations, reply.lang)
    return render.escape(reply.text)


def _keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    rows = [
        [InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in reply.buttons
    ]
    return InlineKeyboardMarkup(rows)


async def _replay(items: list) -> AsyncIterator:
    for item in items:
        yield item
