"""Instructors' canonical answers, served ahead of retrieval for a question and its paraphrases.

A paraphrase must be very close in meaning (cosine of the bundled query embeddings) and share
most of its terms: "ISO标准制定有几个阶段？" must not match "IEC标准制定有几个阶段？" (0.94),
while "ISO 标准的制定分为哪几个阶段" does (0.99). Thresholds measured on such pairs. Numbers
must be the same: "ISO 9001 证书有效期多久？" is not "ISO 14001 证书有效期多久？", however close.

Across the two languages no similarity tells a translation from a near question that asks
something else ("IEC" for "ISO", 推荐性 for mandatory), so a question in the other language is a
paraphrase only when what can be compared exactly is the same: its numbers, its Latin-script
codes (GB/T, NP), what it asks for (a duration, a date, a list: query.py's patterns) and its
glossary terms, each found on both sides in its own language; and then the cross-language
encoder (USE) must put the two close. Measured by `python -m bench.canonical_pairs`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from knowledge.answering.embeddings import Embedder
from knowledge.answering.glossary import Glossary, is_acronym, load_glossary
from knowledge.answering.query import asks
from knowledge.answering.text import STOPWORDS, _stem, terms
from knowledge.records import Canonical
from knowledge.vocabulary import Lang, detect_lang

MIN_COSINE = 0.975
MIN_SHARED_TERMS = 0.5  # Jaccard overlap of the two questions' terms
MIN_CROSS_COSINE = 0.82  # USE cosine across languages: the lowest serving no near pair of the bench
_NUMBER = re.compile(r"\d+(?:[.:-]\d+)*")
_LATIN = re.compile(r"[A-Za-z]+")
_CODE = re.compile(r"[A-Za-z]+(?:/[A-Za-z]+)*")


@dataclass(frozen=True)
class Wording:
    """A question as the paraphrase rule compares it: its query embedding and its terms."""

    vector: np.ndarray
    terms: frozenset[str]
    numbers: frozenset[str] = frozenset()  # a standard's number, a year, a clause
    lang: Lang = "en"
    found: Found | None = None  # what the cross-language rule compares; None: not compared


@dataclass(frozen=True)
class Found:
    """What a question names and asks, comparable across the languages."""

    concepts: frozenset[str]  # glossary terms (by their Chinese form), found in either language
    codes: frozenset[str]  # Latin-script codes that are no glossary term: "GB/T", "DB"
    asks: frozenset[int]  # which of query.py's answer shapes the wording asks for


def wording(embedder: Embedder, question: str, vocabulary: Vocabulary | None = None) -> Wording:
    numbers = frozenset(_NUMBER.findall(question))
    found = vocabulary.find(question) if vocabulary else None
    vector = embedder.embed_query(question)
    return Wording(vector, frozenset(terms(question)), numbers, detect_lang(question), found)


class Vocabulary:
    """The glossary's terms found in a question: Chinese forms as written, English ones by
    their stemmed words ("group standards" is "group standard"), acronyms in capitals only."""

    def __init__(self, glossary: Glossary) -> None:
        zh: list[tuple[str, str]] = []
        latin: list[tuple[tuple[str, ...], bool, str]] = []
        for term in glossary.terms:
            zh.extend((f.strip(), term.zh) for f in term.zh.split(" / ") if len(f.strip()) > 1)
            for form in term.en:
                if form in term.zh:  # "ISO" of "ISO/IEC导则": the organisation's, not this one
                    continue
                if is_acronym(form):
                    latin.append(((form,), True, term.zh))
                elif form.lower() not in STOPWORDS:
                    words = tuple(_stem(w.lower()) for w in _LATIN.findall(form))
                    if words:
                        latin.append((words, False, term.zh))
        self._zh = sorted(zh, key=lambda pair: -len(pair[0]))
        self._latin = sorted(latin, key=lambda item: -len(item[0]))

    def find(self, question: str) -> Found:
        concepts: set[str] = set()
        rest = question
        for form, key in self._zh:
            if form in rest:
                rest = rest.replace(form, " ")
                concepts.add(key)
        words = list(_LATIN.finditer(rest))
        written = [w[0] for w in words]
        stems = [_stem(w.lower()) for w in written]
        used = [False] * len(words)
        for sequence, acronym, key in self._latin:
            n, seen = len(sequence), written if acronym else stems
            for at in range(len(words) - n + 1):
                if not any(used[at : at + n]) and tuple(seen[at : at + n]) == sequence:
                    used[at : at + n] = [True] * n
                    concepts.add(key)
        left = list(rest)
        for word, taken in zip(words, used, strict=True):
            if taken:
                left[word.start() : word.end()] = [" "] * (word.end() - word.start())
        cjk = detect_lang(question) == "zh"  # Latin letters among Chinese: a code or a name
        codes = {
            code.upper()
            for code in _CODE.findall("".join(left))
            if cjk or "/" in code or (len(code) > 1 and code.isupper())
        }
        return Found(frozenset(concepts), frozenset(codes), asks(question))


def paraphrase(a: Wording, b: Wording) -> float | None:
    """The cosine of two questions when one paraphrases the other (the rule canonical answers
    are matched by, in one place); None when they ask different things."""
    if a.numbers != b.numbers:
        return None
    cosine = float(np.dot(a.vector, b.vector))
    shared = len(a.terms & b.terms) / max(1, len(a.terms | b.terms))
    return cosine if cosine >= MIN_COSINE and shared >= MIN_SHARED_TERMS else None


def comparable(a: Wording, b: Wording) -> bool:
    """Whether a question in one language may be a translation of one in the other: the
    same numbers, codes, asked shapes and glossary terms (the cosine is checked after)."""
    return (
        a.lang != b.lang and a.found is not None and a.found == b.found and a.numbers == b.numbers
    )


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b) / ((np.linalg.norm(a) * np.linalg.norm(b)) or 1.0))


def group_paraphrases(embedder: Embedder, questions: Sequence[str]) -> list[list[int]]:
    """The questions' indices grouped by what they ask, in order: each question joins the
    first group whose first question it paraphrases, or starts a group of its own."""
    heads: list[Wording] = []
    groups: list[list[int]] = []
    for i, question in enumerate(questions):
        this = wording(embedder, question)
        for head, group in zip(heads, groups, strict=True):
            if paraphrase(this, head) is not None:
                group.append(i)
                break
        else:
            heads.append(this)
            groups.append([i])
    return groups


class CanonicalIndex:
    """The canonical answers in force. With `second` (the cross-language encoder) an answer
    also serves its question's translation, by `comparable` and MIN_CROSS_COSINE."""

    def __init__(
        self,
        embedder: Embedder,
        second: Embedder | None = None,
        glossary: Glossary | None = None,
    ) -> None:
        self.embedder, self.second = embedder, second
        self.vocabulary = Vocabulary(glossary or load_glossary()) if second else None
        self._items: list[tuple[Canonical, Wording, np.ndarray | None]] = []
        self._lock = threading.Lock()

    def load(self, canonicals: Iterable[Canonical]) -> None:
        items = [self._entry(c) for c in canonicals]
        with self._lock:
            self._items = items

    def add(self, canonical: Canonical) -> None:
        entry = self._entry(canonical)
        with self._lock:
            self._items = [*self._items, entry]

    def replace(self, canonical: Canonical) -> None:
        """Serve a reworded canonical answer in place of the one of its id (or after the
        others, if it wasn't served)."""
        entry = self._entry(canonical)
        with self._lock:
            ids = [item[0].id for item in self._items]
            if canonical.id in ids:
                at = ids.index(canonical.id)
                self._items = [*self._items[:at], entry, *self._items[at + 1 :]]
            else:
                self._items = [*self._items, entry]

    def remove(self, canonical_id: int) -> None:
        """Stop serving a canonical answer."""
        with self._lock:
            self._items = [item for item in self._items if item[0].id != canonical_id]

    def match(self, question: str) -> Canonical | None:
        """The newest canonical answer whose question this one paraphrases, if any; one in
        the other language only when none in the asker's does."""
        items = self._items
        if not items:
            return None
        asked = wording(self.embedder, question, self.vocabulary)
        best: tuple[float, Canonical] | None = None
        for canonical, other, _ in items:
            score = paraphrase(asked, other)
            if score is not None and (best is None or score >= best[0]):
                best = (score, canonical)
        if best is not None or self.second is None:
            return best[1] if best else None
        across = [(c, v) for c, other, v in items if v is not None and comparable(asked, other)]
        if not across:
            return None
        vector = self.second.embed_query(question)  # only when a translation is possible
        for canonical, other_vector in across:
            score = cosine(vector, other_vector)
            if score >= MIN_CROSS_COSINE and (best is None or score >= best[0]):
                best = (score, canonical)
        return best[1] if best else None

    def _entry(self, canonical: Canonical) -> tuple[Canonical, Wording, np.ndarray | None]:
        question = canonical.question
        vector = self.second.embed_query(question) if self.second else None
        return canonical, wording(self.embedder, question, self.vocabulary), vector
