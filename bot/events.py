"""Transport-neutral events in and replies out: what every channel translates to and from."""

from __future__ import annotations

from dataclasses import dataclass, field

from knowledge.models import Citation, Lang


@dataclass(frozen=True)
class Incoming:
    """Something a user did: typed text or a command."""

    user_id: str
    text: str = ""
    command: str | None = None  # "help", "start", ... without the slash
    args: tuple[str, ...] = ()
    lang: Lang | None = None  # the user's interface language, when the channel knows it


@dataclass(frozen=True)
class Reply:
    """Something to show the user: text, with the sources its [n] marks point to."""

    text: str
    citations: list[Citation] = field(default_factory=list)
    abstained: bool = False
    lang: Lang = "zh"
    kind: str = "answer"  # "answer", "info" or "error"


@dataclass(frozen=True)
class Partial:
    """The answer so far, while it is being written (channels may show it by editing)."""

    text: str
