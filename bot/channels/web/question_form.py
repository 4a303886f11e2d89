"""The question editor's form, both ways: a question as the form shows it, and the form's
values as the raw fields a question file gives (`ingest.questions.checked` then makes and
checks the question exactly as an import does).

Options, accepted answers and competencies are one a line (competencies may also be separated
by commas); the answer is option letters as in the spreadsheet template ("A", "AC", "A, C";
for a matching question one letter per item, in order) or an option's text.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping

from knowledge.learning.questions import TRUE_FALSE, Question

LETTERS = string.ascii_uppercase[:10]  # options A-J
FIELDS = (
    "kind", "lang", "status", "stem", "options", "answer", "accepted", "explanation",
    "feedback", "competencies", "level", "bloom", "source_doc", "clause",
)  # fmt: skip
_SEPARATORS = re.compile(r"[\n,，、;；]+")


def form_values(q: Question) -> dict[str, str]:
    """What the form shows for `q`."""
    return {
        "kind": q.kind, "lang": q.lang, "status": q.status, "stem": q.stem,
        "options": "\n".join(q.options), "answer": _letters(q),
        "accepted": "\n".join(q.accepted), "explanation": q.explanation,
        "feedback": q.feedback, "competencies": ", ".join(q.competencies),
        "level": str(q.level) if q.level else "", "bloom": q.bloom,
        "source_doc": q.source_doc, "clause": q.clause,
    }  # fmt: skip


def _letters(q: Question) -> str:
    return ", ".join(LETTERS[i] if 0 <= i < len(LETTERS) else str(i) for i in q.answer)


def posted(form: Mapping[str, object]) -> dict[str, str]:
    """The form's values, text only (a file or a missing field is empty)."""
    return {name: v if isinstance(v := form.get(name, ""), str) else "" for name in FIELDS}


def raw_fields(item_id: str, values: Mapping[str, str]) -> dict[str, object]:
    """The form's values as a question file's raw fields, for `ingest.questions.checked`."""
    options = _lines(values["options"])
    if values["kind"] == "truefalse" and not options:  # as an import fills them in
        options = list(TRUE_FALSE.get(values["lang"], TRUE_FALSE["en"]))
    texts = ("kind", "lang", "status", "stem", "explanation", "feedback", "bloom")
    fields: dict[str, object] = {name: values[name] for name in (*texts, "source_doc", "clause")}
    fields.update(
        id=item_id,
        options=options,
        accepted=_lines(values["accepted"]),
        competencies=[c for p in _SEPARATORS.split(values["competencies"]) if (c := p.strip())],
        level=values["level"].strip() or None,
    )
    if values["answer"].strip():
        fields["answer"] = _answer(values["answer"], options)
    return fields


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _answer(text: str, options: list[str]) -> list[int | str]:
    """Option letters as indexes; anything else (an option's text, or a letter past the last
    option) as typed, which the import's check names when it is not an option."""
    found: list[int | str] = []
    for part in (p.strip() for p in _SEPARATORS.split(text)):
        if not part:
            continue
        letters = part.upper().replace(" ", "")
        if part in options or not all(x in LETTERS for x in letters):
            found.append(part)
            continue
        found += [LETTERS.index(x) if LETTERS.index(x) < len(options) else x for x in letters]
    return found
