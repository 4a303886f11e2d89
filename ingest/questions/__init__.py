"""Import quiz questions from YAML, Moodle GIFT or XML, Aiken or spreadsheets into `Question`s.

`import_file` picks the format by suffix: `.yaml`/`.yml` YAML, `.gift` GIFT, `.aiken` Aiken,
`.xml` Moodle XML (`ingest.questions.moodle`, tags carry the competency data),
`.xlsx`/`.csv` a spreadsheet question bank (one row a question: `ingest.questions.spreadsheet`,
whose line numbers are row numbers); a `.txt` file is Aiken when it has `ANSWER:` lines, else
GIFT when it has `{...}` answer blocks.
Good questions are imported even when others are bad; every bad one yields one `BadQuestion`
naming the file, the 1-based line where the question starts, and its `problems`: each a reason
code with its values (a field's name, the bad value cut short) that the text tables render in
the instructor's language, and an English line for the CLI and the logs. A file that can't be
read or parsed at all yields a single `BadQuestion` (line 0 when no line is to blame).
The English `reason` is at most `MAX_REASON` characters; YAML aliases (`*name`) are refused,
and files over `MAX_BYTES` are not read.

Metadata comments (GIFT `//`, Aiken `#`): GIFT and Aiken can't say what a question teaches, so
comment lines of the form `@key: value` carry it::

    // @competencies: drafting, cn-standards-system     (comma-separated competency ids)
    // @level: 2                                        (1-5)
    // @bloom: understand                               (remember ... create)
    // @source: drafting_rules.md#条款类型               (pack file, optionally #section heading)
    // @clause: 条款类型                                 (the section alone)
    // @lang: zh                                        (zh|en; default: CJK in the text -> zh)
    // @status: draft                                   (default: import_file's default_status)
    // @id: k5-001   @explanation: ...   @feedback: ... (mostly for Aiken, which has no titles)

Comment lines directly above a question (no blank line between) describe that question only.
A block of comment lines standing alone (followed by a blank line), e.g. at the top of the file,
sets defaults for all the questions after it. A question's own keys beat the defaults.
competencies, level and bloom are required; a question missing one is reported, unless it is
a draft (`@status: draft`, or a spreadsheet row without competencies or level): a draft may be
untagged, to be tagged before it is published.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.learning.questions import Problem, Question, cut, problem, problems
from knowledge.vocabulary import has_cjk

MAX_REASON = 200  # characters of one English reason: a bad value is named, not printed in full
MAX_BYTES = 5 * 1024 * 1024  # a question file is text written by hand: far smaller


@dataclass
class BadQuestion:
    file: str
    line: int  # 1-based line where the question starts; 0 for the file as a whole
    problems: tuple[Problem, ...]  # at least one

    @property
    def reason(self) -> str:
        """The English line: every problem's, joined, cut to `MAX_REASON` characters."""
        return clip("; ".join(p.text for p in self.problems))


def clip(text: str, limit: int = MAX_REASON) -> str:
    """`text` cut to `limit` characters, ending in "…" when cut."""
    return cut(text, limit)


@dataclass
class ImportReport:
    questions: list[Question] = field(default_factory=list)
    errors: list[BadQuestion] = field(default_factory=list)


@dataclass
class Entry:
    """One question as a format module read it: raw fields, or why it couldn't be read."""

    line: int
    fields: dict[str, object] = field(default_factory=dict)
    error: Problem | None = None


class UnparsableFile(Exception):
    def __init__(self, reason: Problem, line: int = 0) -> None:
        super().__init__(reason.text)
        self.reason, self.line = reason, line


class Invalid(ValueError):
    """A field that can't make a question: the problem, with its reason code."""

    def __init__(self, reason: Problem) -> None:
        super().__init__(reason.text)
        self.reason = reason


Parser = Callable[[str, Path], list[Entry]]
META_KEYS: tuple[str, ...] = (
    "competencies",
    "level",
    "bloom",
    "source",
    "clause",
    "lang",
    "status",
    "id",
)
META_KEYS += ("explanation", "feedback")
_META = re.compile(r"^@(\w+)\s*:\s*(.*)$")


def import_file(
    path: Path,
    competencies: set[str] | None = None,
    pack_docs: set[str] | None = None,
    default_status: str = "published",
) -> ImportReport:
    """Read one question file; see the module docstring."""
    try:
        entries = _entries(path)
    except UnparsableFile as e:
        return ImportReport([], [BadQuestion(str(path), e.line, (e.reason,))])
    if not entries:
        found = problem("no_questions", "no questions found")
        return ImportReport([], [BadQuestion(str(path), 0, (found,))])
    return _collect(str(path), entries, competencies, pack_docs, default_status)


def _entries(path: Path) -> list[Entry]:
    from ingest.questions import spreadsheet

    if path.suffix.lower() not in spreadsheet.SUFFIXES:
        text = _read(path)
        return _parser_for(path, text)(text, path)
    try:
        _check_size(path)
        return spreadsheet.parse_spreadsheet(path)
    except OSError as e:
        raise UnparsableFile(_unreadable(e)) from e


def _check_size(path: Path) -> None:
    size = path.stat().st_size
    if size > MAX_BYTES:
        kb, limit = size // 1024, MAX_BYTES // 1024
        text = f"too big for a question file ({kb} KB; at most {limit} KB)"
        raise UnparsableFile(problem("file_too_big", text, size=kb, limit=limit))


def _unreadable(e: OSError) -> Problem:
    detail = cut(str(e.strerror or e))
    return problem("file_unreadable", f"cannot read the file: {e.strerror or e}", detail=detail)


def _read(path: Path) -> str:
    try:
        _check_size(path)
        data = path.read_bytes()
    except OSError as e:
        raise UnparsableFile(_unreadable(e)) from e
    if b"\x00" in data:
        raise UnparsableFile(problem("binary_file", "binary file, not a text question file"))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        text = f"not UTF-8 text (bad byte at offset {e.start})"
        raise UnparsableFile(problem("not_utf8", text, offset=e.start)) from e


def _parser_for(path: Path, text: str) -> Parser:
    from ingest.questions import aiken, gift, moodle, yaml_format

    suffix = path.suffix.lower()
    if suffix == ".txt":
        suffix = (
            ".gift" if gift.looks_like_gift(text) and not aiken.looks_like_aiken(text) else ".aiken"
        )
    parsers: dict[str, Parser] = {
        ".yaml": yaml_format.parse_yaml,
        ".yml": yaml_format.parse_yaml,
        ".gift": gift.parse_gift,
        ".aiken": aiken.parse_aiken,
        ".xml": moodle.parse_moodle,
    }
    if suffix not in parsers:
        shown = cut(suffix or "(none)")
        formats = ".yaml, .gift, .aiken, .xml, .xlsx or .csv"
        why = f"unsupported file type {suffix or '(none)'}: use {formats}"
        raise UnparsableFile(problem("unsupported_suffix", why, suffix=shown))
    return parsers[suffix]


def _collect(
    file: str,
    entries: list[Entry],
    competencies: set[str] | None,
    pack_docs: set[str] | None,
    default_status: str,
) -> ImportReport:
    report = ImportReport()
    seen: dict[str, int] = {}
    for entry in entries:
        q, found = None, [entry.error] if entry.error else []
        if not found:
            fields = _resolve_category(entry.fields, competencies)
            q, found = checked(fields, competencies, pack_docs, default_status)
            if q is not None and not found and q.id in seen:
                text = f"duplicate id {q.id!r} (first at line {seen[q.id]})"
                found = [problem("duplicate_id", text, id=cut(q.id), first=seen[q.id])]
        if found or q is None:
            report.errors.append(BadQuestion(file, entry.line, tuple(found)))
        else:
            seen[q.id] = entry.line
            report.questions.append(q)
    return report


def checked(
    fields: dict[str, object],
    competencies: set[str] | None = None,
    pack_docs: set[str] | None = None,
    default_status: str = "published",
) -> tuple[Question | None, list[Problem]]:
    """One question's raw fields as every import checks them: the question (None when the
    fields can't make one) and its problems (empty when it may go into the bank). The
    console's question editor checks its form with this too."""
    from ingest.questions.yaml_format import build_question

    try:
        q = build_question(fields, default_status)
    except ValueError as e:
        return None, [invalid(e)]
    return q, problems(q, competencies, pack_docs)


def _resolve_category(fields: dict[str, object], known: set[str] | None) -> dict[str, object]:
    """A GIFT `$CATEGORY` whose last part is a competency id stands in for @competencies."""
    fields = dict(fields)
    category = str(fields.pop("category", ""))
    if category in known if known is not None else re.fullmatch(r"[a-z][a-z0-9-]*", category):
        fields["competencies"] = category
    untagged = not fields.get("competencies") or not fields.get("level")
    if fields.pop("draft_untagged", False) and untagged and not fields.get("status"):
        fields["status"] = "draft"  # a format that may lack competency data (Moodle XML)
    return fields


def invalid(error: ValueError) -> Problem:
    """The problem a ValueError from reading a question names (its own, if it has one)."""
    if isinstance(error, Invalid):
        return error.reason
    return problem("invalid", str(error), detail=cut(str(error)))


def read_meta(comment: str, into: dict[str, object]) -> Problem | None:
    """Store one `@key: value` comment in `into`; returns an error, or None (also for prose)."""
    m = _META.match(comment.strip())
    if not m:
        return None
    key, value = m[1].lower(), m[2].strip()
    if key not in META_KEYS:
        known = ", ".join(META_KEYS)
        text = f"unknown metadata @{key} (known: {known})"
        return problem("unknown_meta", text, name=cut(key), known=known)
    if key == "source":
        doc, _, clause = value.partition("#")
        into["source_doc"] = doc.strip()
        if clause.strip():
            into["clause"] = clause.strip()
    else:
        into[key] = value
    return None


def detect_lang(text: str) -> str:
    """A question file's rule: any Chinese in the text makes the question Chinese."""
    return "zh" if has_cjk(text) else "en"


def generated_id(path: Path, position: int) -> str:
    """A stable id for an untitled question: file name and 1-based position in the file."""
    slug = re.sub(r"[^0-9a-z]+", "-", path.stem.lower()).strip("-") or "q"
    return f"{slug}-{position:03d}"
