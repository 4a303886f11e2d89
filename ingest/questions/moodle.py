"""Moodle XML question files: what Moodle's question bank exports (`.xml`).

`<quiz>` holds `<question type="...">` elements. Imported: multichoice (`<single>true</single>`
one right answer, else every answer with a positive fraction is right), truefalse, shortanswer
(the answers with fraction 100 are accepted), numerical (fraction-100 answers, each with its
`<tolerance>`), matching (`<subquestion>` items; one with empty text is a distractor answer).
A `category` pseudo-question sets the category of the questions after it. description, essay
and every other type are reported with their number and name; the rest of the file imports.

Question text and feedback in HTML become plain text. `<idnumber>` is the id when given, else
the name made an id (`Q1 Drafting verbs` -> `q1-drafting-verbs`, Chinese kept; a long one cut
and told apart by a hash): the same on a re-export, whose file name and order change. A
question without a name gets `<file name>-<position>`. A name used twice in one file is
refused the second time. `<generalfeedback>` becomes the explanation (cut
at a sentence end past 200 characters, kept whole in the feedback); per-answer feedback goes
to the feedback.

Competency data comes from tags (`<tags><tag><text>competency:drafting</text></tag>...`)::

    competency:drafting   (one tag per competency id; several allowed)
    level:2   bloom:understand   source:drafting_rules.md#条款类型   lang:zh   status:draft

or from the category: its last part, when it names a competency (`$course$/top/drafting`).
Other tags are Moodle's own labels and are ignored. A question without a competency or a level
imports as an untagged draft, to tag in the console.

Parsing is safe by refusal: a file with a DOCTYPE (which any entity declaration needs: entity
expansion "bombs", external entities reading local files) is refused whole before it is read.
"""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from xml.parsers import expat

from ingest.questions import Entry, UnparsableFile, read_meta
from ingest.questions.gift import shorten
from knowledge.learning.questions import EXPLANATION_CHARS, Problem, cut, problem
from knowledge.learning.typed_answers import matching_fields

SUPPORTED = ("multichoice", "truefalse", "shortanswer", "numerical", "matching")
TAGS = {"competency": "competencies", "competencies": "competencies", "level": "level"}
TAGS |= {k: k for k in ("bloom", "source", "lang", "status", "clause")}
ID_BYTES = 40  # quiz buttons carry the id in 64 bytes of callback data


def parse_moodle(text: str, path: Path) -> list[Entry]:
    lines = _safe_lines(text)
    try:
        root = ET.fromstring(text)
    except ET.ParseError as e:
        found = problem("not_xml", f"not valid XML: {e}", detail=cut(str(e)))
        raise UnparsableFile(found, e.position[0]) from e
    if root.tag != "quiz":
        why = f"not a Moodle XML export: the root is <{root.tag}>, not <quiz>"
        raise UnparsableFile(problem("moodle_not_quiz", why, tag=cut(root.tag)), 1)
    entries: list[Entry] = []
    category, names = "", dict[str, int]()
    for element, line in zip(root.iter("question"), lines, strict=False):
        kind = element.get("type", "")
        if kind == "category":
            category = _text(element.find("category")).rstrip("/").split("/")[-1].strip()
            continue
        number = len(entries) + 1
        name = " ".join(_text(element.find("name")).split())
        entries.append(Entry(line, error=_refusal(kind, number, name, names)))
        if entries[-1].error is None:
            entries[-1].fields = _fields(element, kind, category, _numbered_id(path, number))
        names.setdefault(name, number)
    return entries


def _safe_lines(text: str) -> list[int]:
    """The line of each `<question>`, read by expat with every declaration refused first."""
    lines: list[int] = []
    reader = expat.ParserCreate()

    def refuse(*_: object) -> int:
        why = "XML with a DOCTYPE or entity declarations is refused (Moodle never writes one)"
        raise UnparsableFile(problem("xml_doctype", why), reader.CurrentLineNumber)

    def start(tag: str, _: object) -> None:
        if tag == "question":
            lines.append(reader.CurrentLineNumber)

    reader.StartDoctypeDeclHandler = refuse
    reader.EntityDeclHandler = refuse
    reader.ExternalEntityRefHandler = refuse
    reader.StartElementHandler = start
    try:
        reader.Parse(text, True)
    except expat.ExpatError as e:
        found = problem("not_xml", f"not valid XML: {e}", detail=cut(str(e)))
        raise UnparsableFile(found, e.lineno) from e
    return lines


def _numbered_id(path: Path, number: int) -> str:
    """`<file name>-<number>`, Chinese kept: 题库.xml and 练习.xml must not share ids."""
    slug = re.sub(r"[^\w]+", "-", path.stem.lower()).strip("-_") or "q"
    return f"{slug}-{number:03d}"


def _name_id(name: str) -> str:
    """A question's name as an id: lower case, runs of other characters as one hyphen."""
    slug = re.sub(r"[^\w.]+", "-", name.lower()).strip("-_.")
    if len(slug.encode()) <= ID_BYTES:
        return slug
    digest = hashlib.sha1(name.encode()).hexdigest()[:8]
    while len(slug.encode()) > ID_BYTES - 9:
        slug = slug[:-1]
    return f"{slug.rstrip('-_.')}-{digest}"


def _refusal(kind: str, number: int, name: str, names: dict[str, int]) -> Problem | None:
    if kind not in SUPPORTED:
        text = f"question {number} {name!r}: {kind or 'untyped'} questions are not supported"
        return problem("moodle_type", text, n=number, name=cut(name), type=cut(kind or "?"))
    if name and name in names:
        text = f"question {number}: the name {name!r} is used again (first: question {names[name]})"
        return problem("duplicate_name", text, n=number, name=cut(name), first=names[name])
    return None


def _fields(q: ET.Element, kind: str, category: str, fallback: str) -> dict[str, object]:
    name = " ".join(_text(q.find("name")).split())
    ident = _text(q.find("idnumber")).strip()
    fields: dict[str, object] = {
        "id": ident or _name_id(name) or fallback,
        "stem": _html(q.find("questiontext")),
    }
    fields.update(_answers(q, kind))
    general = _html(q.find("generalfeedback"))
    if len(general) > EXPLANATION_CHARS:
        fields["feedback"] = "\n\n".join(p for p in (general, str(fields.get("feedback", ""))) if p)
    if general:
        fields["explanation"] = shorten(general)
    tags = _tags(q)
    if category and "competencies" not in tags:
        fields["category"] = category
    fields.update(tags)
    fields["draft_untagged"] = True  # no competency or level after all: a draft (ingest._collect)
    return fields


def _answers(q: ET.Element, kind: str) -> dict[str, object]:
    answers = [(_fraction(a), _html(a), _html(a.find("feedback")), a) for a in q.findall("answer")]
    notes = "\n".join(f"{text}: {note}" for _, text, note, _ in answers if note)
    if kind == "matching":
        pairs = [(_html(s), _html(s.find("answer"))) for s in q.findall("subquestion")]
        return {"kind": "matching", **matching_fields(pairs)}
    if kind == "shortanswer":
        return {
            "kind": "short",
            "accepted": [t for f, t, _, _ in answers if f >= 100],
            "feedback": notes,
        }
    if kind == "numerical":
        specs = [f"{t}:{_text(a.find('tolerance')) or 0}" for f, t, _, a in answers if f >= 100]
        return {
            "kind": "numerical",
            "accepted": [s for s in specs if not s.startswith("*")],
            "feedback": notes,
        }
    if kind == "truefalse":
        truth = next((t.strip().lower() for f, t, _, _ in answers if f >= 100), "")
        return {"kind": "truefalse", "answer": 0 if truth == "true" else 1, "feedback": notes}
    single = _text(q.find("single")).strip().lower() != "false"
    right = [i for i, (f, *_) in enumerate(answers) if (f >= 100 if single else f > 0)]
    return {
        "kind": "single" if single else "multiple",
        "options": [t for _, t, _, _ in answers],
        "answer": right,
        "feedback": notes,
    }


def _tags(q: ET.Element) -> dict[str, object]:
    found: dict[str, object] = {}
    competencies: list[str] = []
    for tag in q.findall("tags/tag"):
        key, colon, value = _text(tag).partition(":")
        key = TAGS.get(key.strip().lower(), "")
        if not colon or not key or not value.strip():
            continue  # one of Moodle's own labels
        if key == "competencies":
            competencies += [c.strip() for c in value.split(",") if c.strip()]
        else:
            read_meta(f"@{key}: {value.strip()}", found)
    if competencies:
        found["competencies"] = ", ".join(dict.fromkeys(competencies))
    return found


def _fraction(answer: ET.Element) -> float:
    try:
        return float(answer.get("fraction", "0"))
    except ValueError:
        return 0.0


def _text(element: ET.Element | None) -> str:
    """The `<text>` of an element (or the element's own text, for `<text>` itself)."""
    if element is None:
        return ""
    inner = element.find("text")
    return (inner.text if inner is not None else element.text) or ""


def _html(element: ET.Element | None) -> str:
    """An element's text as plain text: HTML (Moodle's default format) without its tags."""
    raw = _text(element)
    if element is not None and element.get("format", "html") in ("html", "moodle_auto_format"):
        from bs4 import BeautifulSoup

        raw = BeautifulSoup(raw, "html.parser").get_text(" ")
    return " ".join(raw.split())
