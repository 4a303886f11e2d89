"""Transport-neutral events in and replies out: what every channel translates to and from."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from knowledge.answering.models import Citation
from knowledge.vocabulary import Lang


@dataclass(frozen=True)
class Upload:
    """A file a user sent; `fetch(path)` downloads it there (only once it is accepted)."""

    name: str
    size: int | None
    fetch: Callable[[Path], Awaitable[None]]


@dataclass(frozen=True)
class PollAnswer:
    """A trainee's choice in a quiz poll the bot sent."""

    poll_id: str
    options: tuple[int, ...]


NEWCOMER = -1  # the user_id of an event whose person the records don't know yet


@dataclass(frozen=True)
class Incoming:
    """Something a user did: typed text, a command, pressed a button or sent a file.

    `user_id` is the person's user id in the records: a channel resolves its own id of them
    (a Telegram user id) through their identity first. For a person it finds no user for,
    `user_id` is NEWCOMER and `identity` says who they are on the channel (channel, external
    id), for the core to enrol them by. `chat_id` is a group's chat, or None (or the user id)
    for the person's own private chat. `pressed` is the message whose button was pressed, as
    the channel names it (its chat, message id): work the press begins (a Replace) notes it,
    so a restart after a crash edits it instead of leaving its buttons live."""

    user_id: int
    text: str = ""
    command: str | None = None  # "help", "start", ... without the slash
    args: tuple[str, ...] = ()
    lang: Lang | None = None  # the user's interface language, when the channel knows it
    name: str = ""
    chat_id: int | None = None
    button: str | None = None  # the data of a pressed button (ids only, at most 64 bytes)
    upload: Upload | None = None
    poll_answer: PollAnswer | None = None
    media: str | None = None  # "photo", "sticker", "voice", ...: something that isn't text
    identity: tuple[str, str] | None = None  # a newcomer's (channel, external id)
    pressed: tuple[int, int] | None = None  # the pressed button's message (chat, message id)


@dataclass(frozen=True)
class Button:
    label: str
    data: str  # at most 64 bytes: ids, never content


Kind = Literal["answer", "canonical", "info", "error", "sources", "toast"]


@dataclass(frozen=True)
class Reply:
    """Something to show the user: text, with the sources its [n] marks point to.

    kind "sources" shows the citations in full; "toast" is a short notice for a button press;
    `edit` replaces the message whose button was pressed instead of sending a new one.
    """

    text: str
    citations: list[Citation] = field(default_factory=list)
    lang: Lang = "zh"
    kind: Kind = "answer"
    buttons: tuple[tuple[Button, ...], ...] = ()
    edit: bool = False
    markdown: bool = False  # the text was written by an LLM and may carry Markdown


@dataclass(frozen=True)
class Partial:
    """The answer so far, while it is being written (channels may show it by editing). `work`:
    the question in flight it belongs to (set by the core); a channel that shows it in a
    message tells the core which (`ChatCore.status_shown`), so a restart after a crash can
    edit the half-written answer to say it was cut off."""

    text: str
    work: int | None = None


@dataclass(frozen=True)
class Progress:
    """How far long work has got (channels show it by updating one status message). `work`:
    the work in flight it belongs to (set by the core); a channel that shows it in a message
    tells the core which (`ChatCore.status_shown`), so a restart after a crash can edit it."""

    text: str
    work: int | None = None


@dataclass(frozen=True)
class Typing:
    """Work on an answer has begun (channels may show a "typing…" indicator)."""


@dataclass(frozen=True)
class QuizPrompt:
    """A quiz question. Channels show it as a native quiz poll when `poll` is true, else with
    `buttons` (one per option; for several right answers, toggles and a "done" button)."""

    session_id: int
    item_id: str
    text: str  # the question (with its number and competencies), as a poll shows it
    body: str  # the same with the options written out and any hint, for button channels
    options: tuple[str, ...]
    buttons: tuple[tuple[Button, ...], ...]
    poll: bool = False
    correct: tuple[int, ...] = ()  # for the poll: Telegram marks the right option itself
    explanation: str = ""  # for the poll: shown when the trainee answers
    lang: Lang = "zh"


@dataclass(frozen=True)
class Photo:
    """A picture (PNG) with a caption."""

    png: bytes
    caption: str
    lang: Lang = "zh"


@dataclass(frozen=True)
class Document:
    """A file to hand over (an export)."""

    name: str
    data: bytes
    caption: str
    lang: Lang = "zh"


@dataclass(frozen=True)
class Notice:
    """A line for another person than the one acting (told in their private chat)."""

    user_id: int
    text: str
    lang: Lang = "zh"


Out = Typing | Partial | Progress | Reply | QuizPrompt | Photo | Document | Notice
