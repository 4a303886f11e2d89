"""Scoring for `stdtutor eval`: load a question set, score the tutor's answers, print a table.

The caller asks the questions; this module only compares answers with the gold data.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

KINDS = ("fact", "multi", "cross_lang", "out_of_scope")
REQUIRED_KEYS = ("id", "lang", "question", "doc", "answer", "must_contain", "kind")
TOP_CITATIONS = 5

# --- number normalisation -------------------------------------------------------------------
# A gold answer may say "15", "fifteen" or "十五"; a reply may say any of them. Both sides are
# rewritten to Arabic digits so plain substring matching treats them as equal.

_EN_SMALL = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen "
    "fourteen fifteen sixteen seventeen eighteen nineteen"
).split()
_EN_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_EN_VALUES = {w: n for n, w in enumerate(_EN_SMALL)}
_EN_VALUES |= {w: 10 * n for n, w in enumerate(_EN_TENS, 2)}
_ONES = "|".join(_EN_SMALL[1:10])
_SMALL = rf"(?:(?:{'|'.join(_EN_TENS)})(?:[\s-]+(?:{_ONES}))?|{'|'.join(reversed(_EN_SMALL))})"
_JOIN = r"(?:\s+and\s+|[\s-]+)"  # "and" only inside a number: "one hundred and five"
_HUNDREDS = rf"(?:(?:(?:{_ONES})[\s-]+)?hundred(?:{_JOIN}{_SMALL})?|{_SMALL})"
# Letter look-arounds keep whole words only: "often" holds "ten", "someone" holds "one".
_EN_NUMBER = re.compile(
    rf"(?<![a-z])(?:(?:{_HUNDREDS}[\s-]+)?thousand(?:{_JOIN}{_HUNDREDS})?|{_HUNDREDS})(?![a-z])",
    re.IGNORECASE,
)

_ZH_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_ZH_UNITS = {"十": 10, "百": 100, "千": 1000}
# 万 and 亿 are left alone so "300万元" in a source and "三百万元" in a reply both read "300万元".
# Words that merely contain a numeral ("一个" -> "1个", "统一" -> "统1", "百姓" -> "100姓") are
# converted too; that is harmless because both sides of a comparison get the same rewrite.
_ZH_NUMBER = re.compile(f"[{''.join(_ZH_DIGITS)}{''.join(_ZH_UNITS)}]+")
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_THOUSANDS_COMMA = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")


def _english_value(words: str) -> int:
    total = current = 0
    for word in re.findall(r"[a-z]+", words.lower()):
        if word == "hundred":
            current = (current or 1) * 100
        elif word == "thousand":
            total += (current or 1) * 1000
            current = 0
        elif word != "and":
            current += _EN_VALUES[word]
    return total + current


def _chinese_value(run: str) -> int:
    if not any(c in _ZH_UNITS for c in run):  # digit by digit, as in years: 二〇一八 -> 2018
        return int("".join(str(_ZH_DIGITS[c]) for c in run))
    total = digit = 0
    for c in run:
        if c in _ZH_UNITS:
            total += (digit or 1) * _ZH_UNITS[c]
            digit = 0
        else:
            digit = _ZH_DIGITS[c]
    if len(run) > 1 and run[-2] in "百千":  # colloquial 一百五 means 150, not 105
        return total + digit * _ZH_UNITS[run[-2]] // 10
    return total + digit


def normalise_numbers(text: str) -> str:
    """Write numbers as ASCII digits: 'fifteen', '十五', '１５' -> '15'; '9,000' -> '9000'."""
    text = text.translate(_FULLWIDTH_DIGITS)
    text = _THOUSANDS_COMMA.sub("", text)
    text = _EN_NUMBER.sub(lambda m: str(_english_value(m.group())), text)
    return _ZH_NUMBER.sub(lambda m: str(_chinese_value(m.group())), text)


def _comparable(text: str) -> str:
    # NFKC folds full-width letters and punctuation (ＰＲ, ９，０００) before numbers are read.
    text = normalise_numbers(unicodedata.normalize("NFKC", text))
    return re.sub(r"\s+", " ", text).strip().casefold()


def _found(needle: str, haystack: str) -> bool:
    # A number must not match inside a longer one: "10" is not in "100", "45" not in "2045".
    pattern = re.escape(needle)
    if needle[:1].isdigit():
        pattern = r"(?<!\d)" + pattern
    if needle[-1:].isdigit():
        pattern += r"(?!\d)"
    return re.search(pattern, haystack) is not None


def contains_all(answer_text: str, must_contain: list[str]) -> bool:
    """True when every entry is in the answer; an entry 'a|b' needs only one alternative."""
    haystack = _comparable(answer_text)
    return all(
        any(_found(alt, haystack) for alt in map(_comparable, entry.split("|")) if alt)
        for entry in must_contain
    )


# --- loading --------------------------------------------------------------------------------


def load_questions(path: Path) -> list[dict[str, Any]]:
    """Read a JSONL question set; a bad line raises ValueError naming the file and line."""
    questions = []
    for line_no, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}, line {line_no}"
        try:
            question = json.loads(line)
        except json.JSONDecodeError as error:
            raise ValueError(f"{where}: not valid JSON ({error.msg})") from None
        if not isinstance(question, dict):
            raise ValueError(f"{where}: expected a JSON object")
        missing = [key for key in REQUIRED_KEYS if key not in question]
        if missing:
            raise ValueError(f"{where}: missing key(s) {', '.join(missing)}")
        if question["kind"] not in KINDS:
            raise ValueError(f"{where}: unknown kind {question['kind']!r} (use {', '.join(KINDS)})")
        must = question["must_contain"]
        if not isinstance(must, list) or not all(isinstance(m, str) for m in must):
            raise ValueError(f"{where}: must_contain must be a list of strings")
        questions.append(question)
    return questions


# --- scoring --------------------------------------------------------------------------------


@dataclass
class KindScore:
    kind: str
    n: int
    doc_hit: float | None  # gold doc among the first 5 citations; None for out_of_scope
    facts: float | None  # must_contain passed (abstaining fails); None for out_of_scope
    abstained: float
    answered_ms_p50: float | None  # reply time over every question of the row
    answered_ms_p95: float | None
    evidence: dict[int, float | None] = field(default_factory=dict)  # k -> key facts in top k
    context: float | None = None  # key facts in what the writer was given
    citations_ok: float | None = None  # answers whose every [n] resolves to a citation


@dataclass
class EvalReport:
    per_kind: dict[str, KindScore]
    overall: KindScore
    out_of_scope_refused: float | None  # None when the set has no such questions
    in_scope_wrongly_refused: float | None
    failures: list[dict[str, Any]] = field(default_factory=list)  # {"id", "kind", "why"}


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) with linear interpolation between closest ranks."""
    if not values or not 0 <= q <= 100:
        raise ValueError("percentile needs at least one value and q between 0 and 100")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _share(flags: list[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


def _doc_hit(question: dict[str, Any], answer: dict[str, Any]) -> bool:
    # Compare file names only: a citation may carry a path where the gold set has a name.
    cited = [Path(str(c.get("doc") or "")).name for c in answer.get("citations", [])]
    return Path(question["doc"]).name in cited[:TOP_CITATIONS]


EVIDENCE_K = (5, 10, 20)
_CITE = re.compile(r"\[(\d+)\]")


def _evidence(question: dict[str, Any], texts: list[str] | None) -> bool | None:
    if texts is None:
        return None
    return contains_all("\n".join(texts), question["must_contain"])


def _cites_resolve(answer: dict[str, Any]) -> bool:
    numbers = {int(c.get("n", 0)) for c in answer.get("citations", [])}
    return all(int(n) in numbers for n in _CITE.findall(answer.get("answer") or ""))


def _shares(flags: list[bool | None]) -> float | None:
    known = [f for f in flags if f is not None]
    return _share(known) if known else None


def _row(kind: str, pairs: list[tuple[dict[str, Any], dict[str, Any]]]) -> KindScore:
    in_scope = [(q, a) for q, a in pairs if q["kind"] != "out_of_scope"]
    times = [float(a["ms"]) for _, a in pairs if a.get("ms") is not None]
    evidence = {
        k: _shares(
            [_evidence(q, a["retrieved"][:k] if "retrieved" in a else None) for q, a in in_scope]
        )
        for k in EVIDENCE_K
    }
    return KindScore(
        kind=kind,
        n=len(pairs),
        doc_hit=_share([_doc_hit(q, a) for q, a in in_scope if q["doc"]]),
        facts=_share([_passes_facts(q, a) for q, a in in_scope]),
        abstained=_share([bool(a.get("abstained")) for _, a in pairs]) or 0.0,
        answered_ms_p50=percentile(times, 50) if times else None,
        answered_ms_p95=percentile(times, 95) if times else None,
        evidence=evidence,
        context=_shares([_evidence(q, a.get("context")) for q, a in in_scope]),
        citations_ok=_share([_cites_resolve(a) for _, a in pairs if not a.get("abstained")]),
    )


def _missing(question: dict[str, Any], answer: dict[str, Any]) -> list[str]:
    text = answer.get("answer") or ""
    return [entry for entry in question["must_contain"] if not contains_all(text, [entry])]


def _passes_facts(question: dict[str, Any], answer: dict[str, Any]) -> bool:
    return not answer.get("abstained") and not _missing(question, answer)


def _why_failed(question: dict[str, Any], answer: dict[str, Any]) -> str:
    refused = bool(answer.get("abstained"))
    if question["kind"] == "out_of_scope":
        return "" if refused else "answered instead of refusing"
    reasons = ["refused"] if refused else [f"missing {m!r}" for m in _missing(question, answer)]
    found = _evidence(question, answer["retrieved"][:10] if "retrieved" in answer else None)
    if found is not None and reasons:
        stage = "refused" if refused else "retrieved but not in the answer"
        reasons.insert(0, f"[{'not retrieved' if not found else stage}]")
    if question["doc"] and not _doc_hit(question, answer):
        reasons.append(f"{question['doc']} not in top {TOP_CITATIONS} citations")
    return "; ".join(reasons)


def score(questions: list[dict[str, Any]], answers: list[dict[str, Any]]) -> EvalReport:
    """Score answers[i] against questions[i]."""
    if len(questions) != len(answers):
        raise ValueError(f"{len(questions)} questions but {len(answers)} answers")
    pairs = list(zip(questions, answers, strict=True))
    per_kind = {
        kind: _row(kind, [p for p in pairs if p[0]["kind"] == kind])
        for kind in KINDS
        if any(q["kind"] == kind for q in questions)
    }
    for lang in ("zh", "en"):
        rows = [p for p in pairs if p[0]["lang"] == lang]
        if rows and len(rows) < len(pairs):
            per_kind[f"lang {lang}"] = _row(f"lang {lang}", rows)
    refused = {
        scope: [
            bool(a.get("abstained")) for q, a in pairs if (q["kind"] == "out_of_scope") == scope
        ]
        for scope in (True, False)
    }
    failures = [
        {"id": q["id"], "kind": q["kind"], "why": why}
        for q, a in pairs
        if (why := _why_failed(q, a))
    ]
    return EvalReport(
        per_kind, _row("overall", pairs), _share(refused[True]), _share(refused[False]), failures
    )


def format_report(report: EvalReport, label: str = "") -> str:
    """A fixed-width table, one row per kind and one overall, then the two refusal rates."""

    def cell(value: float | None, spec: str) -> str:
        return "-" if value is None else format(value, spec)

    lines = [f"Evaluation: {label}"] if label else []
    # ev@k: key facts in the top k passages retrieved; ctx: in what the writer was given
    lines.append(
        f"{'kind':<13}{'n':>4}{'ev@5':>8}{'ev@10':>8}{'ev@20':>8}{'ctx':>8}{'doc@5':>8}"
        f"{'facts':>8}{'refused':>9}{'cites':>8}{'p50 ms':>8}{'p95 ms':>8}"
    )
    for row in [*report.per_kind.values(), report.overall]:
        ev = "".join(f"{cell(row.evidence.get(k), '.1%'):>8}" for k in EVIDENCE_K)
        lines.append(
            f"{row.kind:<13}{row.n:>4}{ev}{cell(row.context, '.1%'):>8}"
            f"{cell(row.doc_hit, '.1%'):>8}{cell(row.facts, '.1%'):>8}"
            f"{cell(row.abstained, '.1%'):>9}{cell(row.citations_ok, '.1%'):>8}"
            f"{cell(row.answered_ms_p50, '.0f'):>8}{cell(row.answered_ms_p95, '.0f'):>8}"
        )
    lines.append(f"out-of-scope refused (want high): {cell(report.out_of_scope_refused, '.1%')}")
    lines.append(
        f"in-scope wrongly refused (want low): {cell(report.in_scope_wrongly_refused, '.1%')}"
    )
    return "\n".join(lines)
