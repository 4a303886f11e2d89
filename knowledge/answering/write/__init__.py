"""Stage 5, write: one protocol, two writers (extractive sentences, or an LLM's text)."""

from __future__ import annotations

from typing import Protocol

from knowledge.answering.models import Answer
from knowledge.answering.retrieval import Retrieved


class Writer(Protocol):
    def write(self, retrieved: Retrieved) -> Answer: ...
