"""What a conversation carries from one message to the next, as typed values with one codec each.

- `Press`: what a button says when pressed. A kind naming its route ("src") and its
  arguments ("42"), written "src:42" (Telegram allows 64 bytes of callback data).
- `Step`: the unfinished step a person is in the middle of (a typed quiz answer is awaited, an
  instructor is writing a canonical answer), kept in their record so every worker sees it.

The core, the flows and every channel format and parse these here, nowhere else.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

MAX_PRESS_BYTES = 64  # Telegram's limit on a button's callback data


@dataclass(frozen=True)
class Press:
    kind: str
    args: tuple[str, ...] = ()

    def data(self) -> str:
        data = ":".join((self.kind, *self.args)) if self.args else f"{self.kind}:"
        if len(data.encode()) > MAX_PRESS_BYTES:
            raise ValueError(f"button data over {MAX_PRESS_BYTES} bytes: {data[:80]!r}")
        return data

    @classmethod
    def parse(cls, data: str) -> Press:
        kind, _, rest = data.partition(":")
        return cls(kind, tuple(rest.split(":")) if rest else ())

    def text(self, index: int = 0) -> str:
        """The argument at `index`; "" when there is none."""
        return self.args[index] if index < len(self.args) else ""

    def number(self, index: int = 0) -> int:
        """The argument at `index` as a record id; -1 (which names nothing) if not a number."""
        return number(self.text(index))


def number(text: str) -> int:
    """A record id from text; -1 (which names nothing) when it isn't a number."""
    return int(text) if text.isdigit() else -1


def press(kind: str, *args: object) -> str:
    """A button's data: `press("src", 42)` is "src:42"."""
    return Press(kind, tuple(str(a) for a in args)).data()


@dataclass(frozen=True)
class AwaitingQuizAnswer:
    """The current question of quiz session `session_id` is answered by typing."""

    session_id: int


@dataclass(frozen=True)
class WritingCanonical:
    """An instructor's next message is the canonical answer to question `question_id`."""

    question_id: int


Step = AwaitingQuizAnswer | WritingCanonical
_STEP_KEYS: dict[str, type[AwaitingQuizAnswer] | type[WritingCanonical]] = {
    "quiz": AwaitingQuizAnswer,
    "canonical_for": WritingCanonical,
}


def dump_step(step: Step | None) -> str | None:
    """The step as stored in the person's record (None: no step)."""
    if step is None:
        return None
    if isinstance(step, AwaitingQuizAnswer):
        return json.dumps({"quiz": step.session_id})
    return json.dumps({"canonical_for": step.question_id})


def load_step(stored: str | None) -> Step | None:
    """The stored step; None for none, or for anything that is not a step this version knows."""
    try:
        fields = json.loads(stored) if stored else None
    except ValueError:
        return None
    if not isinstance(fields, dict) or len(fields) != 1:
        return None
    ((key, value),) = fields.items()
    kind = _STEP_KEYS.get(key)
    if kind is None or not isinstance(value, int) or isinstance(value, bool):
        return None
    return kind(value)
