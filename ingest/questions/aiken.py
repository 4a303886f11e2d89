"""Aiken question files: choice questions in plain text.

    # @competencies: iso-iec-process
    # @level: 1
    # @bloom: remember
    # @source: iso_iec_stages.md#Enquiry and approval stages
    How long does the DIS ballot last?
    A. 8 weeks
    B) 12 weeks
    ANSWER: B

A question is its text line, the options `A. text` or `A) text` (letters in order), then
`ANSWER: B`. `ANSWER: B, C` (an extension of Aiken) makes a multiple-choice question.
Blank lines between questions are optional: the ANSWER line ends a question.

Aiken has no metadata, so `# @key: value` comment lines carry it, as `// @key: value` lines
do in GIFT (keys and precedence: see `ingest.questions`). `# @...` lines directly above a
question describe that question; a `# @...` block followed by a blank line (a header at the
top of the file, say) sets defaults for the questions after it. `# @id: ...` names a question;
without it the id is `<file name>-<position>`. Other `#` lines are comments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ingest.questions import Entry, generated_id, read_meta
from knowledge.learning.questions import Problem, cut, problem

_OPTION = re.compile(r"^([A-Z])[.)]\s+(\S.*)$")
_ANSWER = re.compile(r"^ANSWER:\s*(.*)$")


def looks_like_aiken(text: str) -> bool:
    return re.search(r"^\s*ANSWER:\s*[A-Za-z]", text, re.M) is not None


def parse_aiken(text: str, path: Path) -> list[Entry]:
    reader = _Reader(path)
    for number, line in enumerate(text.splitlines(), start=1):
        reader.feed(number, line.strip())
    reader.finish()
    return reader.entries


@dataclass
class _Open:
    line: int
    stem: list[str]
    meta: dict[str, object]
    error: Problem | None = None
    options: list[str] = field(default_factory=list)


def _no_answer() -> Problem:
    return problem("aiken_no_answer", "missing ANSWER: line after the options")


class _Reader:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: list[Entry] = []
        self.defaults: dict[str, object] = {}
        self.pending: dict[str, object] = {}
        self.pending_line = 0
        self.pending_error: Problem | None = None
        self.current: _Open | None = None
        self.position = 0

    def feed(self, number: int, line: str) -> None:
        if not line:
            self._blank()
        elif line.startswith("#"):
            self._comment(number, line[1:])
        elif answer := _ANSWER.match(line):
            self._answer(number, answer[1])
        elif self.current and (option := _OPTION.match(line)):
            self._option(option[1], option[2].strip())
        elif self.current and not self.current.options:
            self.current.stem.append(line)
        else:
            if self.current:
                self._close(_no_answer())
            self._start(number, line)

    def finish(self) -> None:
        if self.current:
            self._close(_no_answer())
        self._blank()

    def _blank(self) -> None:
        if self.current is None and (self.pending or self.pending_error):
            if self.pending_error:
                self.entries.append(Entry(self.pending_line, error=self.pending_error))
            self.defaults.update(self.pending)
            self.pending, self.pending_line, self.pending_error = {}, 0, None

    def _comment(self, number: int, text: str) -> None:
        meta = self.current.meta if self.current else self.pending
        error = read_meta(text, meta)
        if self.current:
            self.current.error = self.current.error or error
        elif error or meta:
            self.pending_line = self.pending_line or number
            self.pending_error = self.pending_error or error

    def _start(self, number: int, line: str) -> None:
        self.position += 1
        self.current = _Open(number, [line], self.pending, self.pending_error)
        self.pending, self.pending_line, self.pending_error = {}, 0, None

    def _option(self, letter: str, text: str) -> None:
        assert self.current is not None
        expected = chr(ord("A") + len(self.current.options))
        if letter != expected and not self.current.error:
            line = f"option {letter} out of order (expected {expected})"
            self.current.error = problem(
                "aiken_option_order", line, letter=letter, expected=expected
            )
        self.current.options.append(text)

    def _answer(self, number: int, value: str) -> None:
        if self.current is None:
            found = problem("aiken_answer_alone", "ANSWER: line without a question")
            self.entries.append(Entry(number, error=found))
            return
        letters = [x for x in re.split(r"[\s,]+", value.upper()) if x]
        indexes = [ord(x) - ord("A") if len(x) == 1 and x.isalpha() else -1 for x in letters]
        count = len(self.current.options)
        if not self.current.options:
            self._close(problem("aiken_no_options", "no options (A. ..., B. ...) before ANSWER:"))
        elif not letters or not all(0 <= i < count for i in indexes):
            named, last = value.strip() or "(empty)", chr(64 + count)
            text = f"ANSWER: {named} names no option A-{last}"
            self._close(problem("aiken_bad_answer", text, value=cut(named), last=last))
        else:
            self._close(None, indexes)

    def _close(self, error: Problem | None, answer: list[int] | None = None) -> None:
        q, self.current = self.current, None
        assert q is not None
        if q.error or error:
            self.entries.append(Entry(q.line, error=q.error or error))
            return
        fields: dict[str, object] = {"id": generated_id(self.path, self.position)}
        fields.update({**self.defaults, **q.meta, "stem": " ".join(q.stem)})
        kind = "multiple" if len(answer or []) > 1 else "single"
        fields.update({"kind": kind, "options": q.options, "answer": answer or []})
        self.entries.append(Entry(q.line, fields))
