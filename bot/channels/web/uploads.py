"""Uploads in progress: each batch's files and how far each has got, kept in memory for the
person who uploaded them and no one else. Bounded: past `keep` batches the oldest go, finished
ones first (a batch still at work carries on; only its record is dropped)."""

from __future__ import annotations

import asyncio
import secrets
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.channels.web.texts import W
from bot.texts import say
from knowledge.vocabulary import Lang

State = Literal["waiting", "reading", "indexing", "done", "refused"]
Said = tuple[str, tuple[str, ...]]  # a result's line, and a question file's refused questions
LANGS: tuple[Lang, ...] = ("zh", "en")


@dataclass
class FileState:
    """One file of a batch; once done or refused, its result in each language (the reader's
    is shown, whoever they are by then)."""

    name: str
    state: State = "waiting"
    done: int = 0  # passages indexed so far ...
    total: int = 0  # ... of this many
    said: dict[Lang, Said] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        return self.state in ("done", "refused")

    @property
    def kind(self) -> str:
        """The line's class on the page: ok, bad, or working."""
        return {"done": "ok", "refused": "bad"}.get(self.state, "working")

    def finish(self, ok: bool, result: Callable[[Lang], Said]) -> None:
        self.said = {lang: result(lang) for lang in LANGS}
        self.state = "done" if ok else "refused"

    def line(self, lang: Lang) -> str:
        if self.finished:
            return self.said[lang][0]
        return say(f"state_{self.state}", lang, W, name=self.name, done=self.done, total=self.total)

    def details(self, lang: Lang) -> tuple[str, ...]:
        return self.said[lang][1] if self.finished else ()

    def as_json(self, lang: Lang) -> dict[str, Any]:
        return {
            "name": self.name, "state": self.state, "kind": self.kind, "done": self.done,
            "total": self.total, "text": self.line(lang), "details": list(self.details(lang)),
        }  # fmt: skip


@dataclass
class Batch:
    id: str
    owner: int  # the user id of who uploaded it
    files: list[FileState]
    task: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def finished(self) -> bool:
        return all(f.finished for f in self.files)

    def as_json(self, lang: Lang) -> dict[str, Any]:
        return {"finished": self.finished, "files": [f.as_json(lang) for f in self.files]}


class Uploads:
    def __init__(self, keep: int = 50) -> None:
        self.keep = keep
        self._batches: OrderedDict[str, Batch] = OrderedDict()

    def new(self, owner: int, files: list[FileState]) -> Batch:
        batch = Batch(secrets.token_urlsafe(12), owner, files)
        self._batches[batch.id] = batch
        while len(self._batches) > self.keep:
            older = [b for b in self._batches.values() if b is not batch]
            self._batches.pop(next((b for b in older if b.finished), older[0]).id)
        return batch

    def get(self, batch_id: str, owner: int) -> Batch | None:
        """The batch, if it is `owner`'s (another person's is as good as none)."""
        batch = self._batches.get(batch_id)
        return batch if batch is not None and batch.owner == owner else None

    async def close(self) -> None:
        """Stop the work still going (the application is shutting down)."""
        tasks = [b.task for b in self._batches.values() if b.task and not b.task.done()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
