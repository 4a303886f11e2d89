"""A bilingual zh/en glossary, used to carry a question's key terms into the other language."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from knowledge.answering.text import STOPWORDS
from knowledge.vocabulary import has_cjk


@dataclass(frozen=True)
class Term:
    zh: str
    en: tuple[str, ...]


def pack_dir() -> Path:
    """The bundled course pack shipped inside the package."""
    return Path(str(resources.files("knowledge") / "pack"))


def pack_files() -> set[str]:
    """The file names of the bundled course pack's documents."""
    return {path.name for path in pack_dir().glob("*.md")}


def load_glossary(path: Path | None = None) -> Glossary:
    """Read the `| 中文 | English | ... |` table of a Markdown glossary."""
    path = path or pack_dir() / "glossary.md"
    terms: list[Term] = []
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) < 2 or not has_cjk(cells[0]) or cells[0] == "中文":
                continue
            english = tuple(_english_forms(cells[1]))
            if english:
                terms.append(Term(cells[0], english))
    return Glossary(terms)


def _english_forms(cell: str) -> list[str]:
    """'technical committee (TC) / TC' -> ['technical committee', 'TC'];
    'new work item proposal (NP / NWIP)' -> ['new work item proposal', 'NP', 'NWIP']."""
    bracketed = " / ".join(re.findall(r"\(([^)]+)\)", cell))
    plain = re.sub(r"\([^)]*\)", " ", cell)
    forms: list[str] = []
    for form in (*plain.split("/"), *bracketed.split("/")):
        form = " ".join(form.split())
        if len(form) > 1 and form.lower() not in (f.lower() for f in forms):
            forms.append(form)
    return forms


def is_acronym(form: str) -> bool:
    """'IS', 'TC', 'FDIS': matched in capitals only ("is" and "cd" are ordinary words)."""
    return form.isascii() and form.isalpha() and form.isupper() and len(form) <= 6


def form_pattern(form: str) -> str:
    """A form as a regex for case-insensitive search: acronyms keep their case."""
    escaped = re.escape(form)
    return f"(?-i:{escaped})" if is_acronym(form) else escaped


class Glossary:
    def __init__(self, terms: list[Term]) -> None:
        self.terms = terms
        # A one-character term (可 "may", 能 "can") or a form that is a stop word is drafting
        # vocabulary, not a topic: matched in questions it would cut "可以" in two.
        self._zh = sorted((t for t in terms if len(t.zh) > 1), key=lambda t: -len(t.zh))
        english = [
            (form, t)
            for t in terms
            for form in t.en
            if is_acronym(form) or form.lower() not in STOPWORDS
        ]
        english.sort(key=lambda pair: -len(pair[0]))
        self._en = [
            (re.compile(rf"(?<![\w-]){form_pattern(f)}(?![\w-])", re.I), t) for f, t in english
        ]

    def zh_words(self) -> list[str]:
        return [t.zh for t in self.terms]

    def matches(self, text: str) -> tuple[list[tuple[Term, str]], str]:
        """Glossary terms in `text` with the form found (longest first), and the text left over."""
        found: list[tuple[Term, str]] = []
        rest = text
        if has_cjk(text):
            for term in self._zh:
                if term.zh in rest:
                    rest = rest.replace(term.zh, " ")
                    found.append((term, term.zh))
        for pattern, term in self._en:
            match = pattern.search(rest)
            if match:
                rest = pattern.sub(" ", rest)
                found.append((term, match.group(0)))
        return found, rest

    def translations(self, text: str) -> list[str]:
        """The other-language forms of the glossary terms found in `text`."""
        out: list[str] = []
        for term, form in self.matches(text)[0]:
            out.extend(term.en[:2] if form == term.zh else [term.zh])
        return list(dict.fromkeys(out))

    def expand(self, text: str) -> str:
        """The question followed by its key terms in the other language."""
        extra = self.translations(text)
        return f"{text} {' '.join(extra)}" if extra else text
