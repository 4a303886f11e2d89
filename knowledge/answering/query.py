"""What a question asks for: its concepts (in both languages) and the kind of answer it wants."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from knowledge.answering.glossary import Glossary, form_pattern
from knowledge.answering.text import terms, words
from knowledge.vocabulary import has_cjk


@dataclass(frozen=True)
class Concept:
    """One thing the question mentions; found in a text by any of its forms or terms."""

    pattern: re.Pattern[str] | None  # any glossary form, in either language
    terms: frozenset[str]
    weight: float
    known: bool = True  # False: no passage in the materials has this term at all
    label: str = ""  # as the question words it (the glossary form found, or the term)

    def found_in(self, text: str, text_terms: frozenset[str]) -> bool:
        if self.terms & text_terms:
            return True
        return bool(self.pattern and self.pattern.search(text))


# A question's wording tells what shape of answer it wants: a duration, a date, a number, a
# standard, a body. A sentence of that shape is more likely the answer than one that only
# repeats the question's words.
_EN_NUMBER = (
    r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|"
    r"forty|fifty|sixty|ninety|hundred|thousand)\b"
)
_ANSWER_SHAPES = [
    (
        r"多久|多长|期限|周期|最早|最迟|最晚|几天|how long|how often|how soon|earliest|latest|"
        r"how many (days|weeks|months|years)",
        # "7 days", "seven calendar days", "three consecutive months"
        rf"(\d+|{_EN_NUMBER})[\s-]*([a-z]+\s+)?(weeks?|months?|years?|days?)\b|"
        # not a year or a date: "2002年5月1日" is when, not how long
        r"(?<![\d年月])(\d{1,3}|[一二三四五六七八九十两]+)\s*(周|个月|年|日|天)(?!\d)",
    ),
    (
        r"哪年|哪一年|什么时候|何时|哪天|日期|时间|\bwhen\b|\bwhat year|since when|\bdates?\b",
        r"\b(1[89]|20)\d\d\b|(1[89]|20)\d\d年|\d+月\d+日",
    ),
    (
        r"多少|几个|几家|几类|几名|几项|几种|几|how many|how much|number of|minimum|maximum",
        rf"\d|[一二三四五六七八九十两百千]|{_EN_NUMBER}|\b(half|third|quarter|majority)\b",
    ),
    (
        r"哪个标准|哪项标准|什么标准|which standard|what standard",
        r"(ISO|IEC|GB)(/[A-Z]+)?\s*\d",
    ),
    (
        r"谁|哪个部门|哪些单位|哪几家|哪个机构|\bwho\b|\bwhom\b|"
        r"which (body|organi[sz]ation|authority)",
        r"委员会|部门|机构|国务院|大学|学院|Council|Administration|University|committee|"
        r"secretariat|body|bodies",
    ),
]
_SHAPES = [(re.compile(q, re.I), re.compile(a, re.I)) for q, a in _ANSWER_SHAPES]
# What the writer also looks for, beside the shapes above, and the gate does not: a question
# after several things ("what kinds", "which statuses", 哪些) is answered by an enumeration
# ("one of "Yes", "No Objection" and …", "A、B", "a, b, and c", a lead-in to a list). That is
# no sign that the asked detail is there, so the gate keeps to the shapes above. (A "when"
# answered by an event, "it terminates when…", was tried: held-out key facts fell.)
_WRITER_SHAPES = [
    (
        r"哪些|哪几(?![年天])|有哪|包括什么|什么类型|几种|几类|"
        r"\bwhat (kinds?|types?|sorts?|categories) of\b|\bwhich (kinds?|types?)\b|"
        r"\b(what|which) (\w+ )?\w+s (can|could|may|must|should|are|were|do|does)\b",
        r"、|(\"[^\"]{1,40}\",?\s+(and |or )?){2}|"
        r"\b(one of|include|includes|including|such as|the following|namely)\b|"
        r"\w+(, [\w-]+( [\w-]+)?){2,} (and|or) \w+|\w+(, [\w-]+( [\w-]+)?)+, (and|or) \w+|"
        r"[:：]\s*$",
    ),
]
_HINTS = [(re.compile(q, re.I), re.compile(a, re.I)) for q, a in _WRITER_SHAPES]
_CLAUSES = re.compile(
    r"[?？;；]|[，,]\s*(?=还|那|以及|另外|and\b|also\b)|\band\b(?= (what|how|who|when|which|why)\b)"
)


@dataclass(frozen=True)
class Query:
    text: str
    concepts: list[Concept]
    shapes: list[re.Pattern[str]]  # what an answering sentence probably looks like
    clauses: list[list[Concept]]  # the concepts of each part of a multi-part question
    hints: tuple[re.Pattern[str], ...] = ()  # shapes the writer also looks for (not the gate)

    @property
    def total(self) -> float:
        return sum(c.weight for c in self.concepts) or 1.0

    def coverage(self, text: str, text_terms: frozenset[str]) -> float:
        """Share of the question's weight that `text` contains, in either language."""
        return sum(c.weight for c in self.concepts if c.found_in(text, text_terms)) / self.total

    @property
    def unknown(self) -> float:
        """Share of the question's weight that appears nowhere in the materials."""
        return sum(c.weight for c in self.concepts if not c.known) / self.total

    def shape_match(self, text: str) -> bool:
        return any(shape.search(text) for shape in self.shapes)

    def fits(self, text: str) -> float:
        """For the writer: +1 a sentence of the asked shape (or of a hint's), -1 one of
        another, 0 when the question asks no shape."""
        if self.shape_match(text) or any(hint.search(text) for hint in self.hints):
            return 1.0
        return -1.0 if self.shapes or self.hints else 0.0


def asks(question: str) -> frozenset[int]:
    """Which of the answer shapes (a duration, a date, a number, …) the question asks for."""
    return frozenset(i for i, (asked, _) in enumerate(_SHAPES) if asked.search(question))


def analyse(
    question: str, glossary: Glossary, idf: Callable[[str], float], df: Callable[[str], int]
) -> Query:
    concepts = _concepts(question, glossary, idf, df)
    shapes = [_SHAPES[i][1] for i in sorted(asks(question))]
    clauses = []
    for part in _CLAUSES.split(question):
        if part and part.strip():
            part_concepts = _concepts(part, glossary, idf, df)
            if part_concepts:
                clauses.append(part_concepts)
    hints = tuple(answer for asked, answer in _HINTS if asked.search(question))
    return Query(question, concepts, shapes, clauses or [concepts], hints)


def _concepts(
    text: str, glossary: Glossary, idf: Callable[[str], float], df: Callable[[str], int]
) -> list[Concept]:
    found, rest = glossary.matches(text)
    concepts = []
    for term, form in found:
        forms = [term.zh, *term.en]
        weight = max((idf(t) for f in forms for t in terms(f)), default=1.0)
        concepts.append(Concept(_any_form(forms), frozenset(), weight, label=form))
    written = dict(reversed(list(zip(terms(rest), words(rest), strict=True))))
    for t in dict.fromkeys(terms(rest)):
        # A lone Chinese character is mostly grammar (出, 过, 再); it weighs little.
        weight = idf(t) * (0.3 if len(t) == 1 and not t.isascii() else 1.0)
        label = written.get(t, t)
        concepts.append(Concept(None, frozenset([t]), weight, known=df(t) > 0, label=label))
    return concepts


def _any_form(forms: list[str]) -> re.Pattern[str]:
    """Chinese forms match anywhere; Latin ones only as whole words ("tc" is not in "etc"), and
    acronyms only in capitals ("IS" is not "is")."""
    parts = [
        re.escape(f) if has_cjk(f) else rf"(?<![A-Za-z0-9]){form_pattern(f)}(?![A-Za-z0-9])"
        for f in forms
    ]
    return re.compile("|".join(parts), re.I)
