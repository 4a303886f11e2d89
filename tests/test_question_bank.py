"""The bundled question bank: imports cleanly and covers every competency at every level."""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from ingest.questions import import_file
from knowledge.answering.glossary import pack_dir
from knowledge.learning.questions import EXPLANATION_CHARS, Question

BANK = Path(__file__).resolve().parents[1] / "knowledge" / "learning" / "bank"
# the highest level any talent category targets, per competency of the model
MAX_TARGET = {
    "cn-standards-system": 4,
    "standard-lifecycle": 4,
    "iso-iec-process": 5,
    "intl-participation": 5,
    "drafting": 5,
    "conformity-assessment": 4,
    "alliance-outlook": 4,
}


def pack_docs() -> set[str]:
    return {p.name for p in pack_dir().glob("*.md")}


@cache
def bank() -> tuple[Question, ...]:
    questions: list[Question] = []
    for path in sorted(BANK.glob("*.yaml")):
        report = import_file(path, set(MAX_TARGET), pack_docs())
        assert report.errors == [], report.errors
        questions += report.questions
    return tuple(questions)


def test_bank_imports_without_errors():
    assert len(list(BANK.glob("*.yaml"))) == len(MAX_TARGET)
    assert len(bank()) >= 84


def test_enough_published_questions_in_both_languages():
    published = [q for q in bank() if q.status == "published"]
    assert len(published) >= 80
    langs = Counter(q.lang for q in published)
    assert set(langs) == {"zh", "en"} and min(langs.values()) >= len(published) * 0.4, langs


def test_kinds_are_mixed_and_mostly_single():
    kinds = Counter(q.kind for q in bank())
    assert kinds["single"] > len(bank()) / 2
    assert all(kinds[k] >= 3 for k in ("multiple", "truefalse", "short")), kinds


@pytest.mark.parametrize("competency", sorted(MAX_TARGET))
def test_every_level_up_to_the_target_has_two_questions(competency: str):
    levels = Counter(q.level for q in bank() if competency in q.competencies)
    assert all(levels[n] >= 2 for n in range(1, MAX_TARGET[competency] + 1)), levels


def test_sources_are_pack_files_and_clauses_are_their_headings():
    docs = pack_docs()
    for q in bank():
        assert q.source_doc in docs, q.id
        text = (pack_dir() / q.source_doc).read_text(encoding="utf-8")
        headings = set(re.findall(r"^## (.+?)\s*$", text, re.M))
        assert q.clause in headings, (q.id, q.clause)


def test_ids_are_unique_and_explanations_short():
    ids = [q.id for q in bank()]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"k[1-7]-\d{3}", i) for i in ids)
    assert all(0 < len(q.explanation) <= EXPLANATION_CHARS for q in bank())


def test_choice_questions_fit_a_quiz_poll():
    assert all(q.fits_poll for q in bank() if q.kind in ("single", "truefalse"))


def test_levels_have_realistic_bloom_levels():
    for q in bank():
        if q.level == 1:
            assert q.bloom == "remember", q.id
        elif q.level >= 4:
            assert q.bloom in ("apply", "analyze", "evaluate"), q.id
