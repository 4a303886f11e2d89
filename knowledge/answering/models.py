"""The small value objects that cross module boundaries."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from knowledge.vocabulary import Lang


@dataclass(frozen=True)
class Chunk:
    """One retrievable passage of a document, as stored in the index."""

    id: str
    doc_id: str
    doc: str  # the source file's name as ingested
    title: str
    section: str  # heading path joined with " > "
    page: int | None
    lang: Lang
    text: str
    ordinal: int  # position within the document
    role: str = "text"  # "glossary": a term table, used only for terminology questions

    def embedding_text(self) -> str:
        """What the embedder sees: headings give a short passage its context."""
        heading = " > ".join(part for part in (self.title, self.section) if part)
        return f"{heading}\n{self.text}" if heading else self.text


@dataclass(frozen=True)
class Passage:
    """A chunk found for a question, with how well it matched."""

    chunk: Chunk
    score: float  # fused rank score, higher is better
    dense: float  # cosine similarity to the (expanded) question
    lexical: float  # share of the question's term weight found in the passage
    second: float = 0.0  # cosine similarity under the second (cross-language) encoder


@dataclass(frozen=True)
class Citation:
    n: int
    doc: str
    title: str
    section: str
    page: int | None
    snippet: str


@dataclass(frozen=True)
class Answer:
    """An answer as made: immutable once the pipeline returns it."""

    question: str
    answer: str
    abstained: bool
    lang: Lang
    citations: tuple[Citation, ...] = ()
    ms: float = 0.0
    written_by: str = "extracts"  # "llm" (may carry Markdown), "small_talk", "extracts"
    passages: tuple[Passage, ...] = field(default=(), repr=False)  # what the writer was given
    probability: float | None = None  # the gate's belief that the evidence answers it

    def to_json(self) -> dict[str, Any]:
        """The public JSON shape of an answer (`stdtutor ask --json`)."""
        return {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "lang": self.lang,
            "citations": [asdict(c) for c in self.citations],
            "ms": round(self.ms, 1),
        }


@dataclass(frozen=True)
class DocumentInfo:
    """One loaded document, as `stdtutor materials` lists it."""

    doc_id: str
    doc: str
    title: str
    lang: Lang
    chunks: int
    loaded_at: str  # ISO 8601, UTC
    source_hash: str
    version: str
    # Who loaded it: a person's user id and their name then; id 0 with "cli" is the server's
    # command line (`stdtutor ingest`), and "" a document loaded before this was recorded.
    loaded_by_id: int = 0
    loaded_by: str = ""

    @property
    def from_cli(self) -> bool:
        return self.loaded_by_id == 0 and self.loaded_by == CLI_LOADER


CLI_LOADER = "cli"  # `DocumentInfo.loaded_by` of a document loaded on the command line
