"""Moodle GIFT question files.

Questions are separated by blank lines. Supported::

    // a comment line (lines starting with //; `// @key: value` lines are metadata, see below)
    $CATEGORY: $course$/top/standards/drafting   (last part -> competency id, if it is one)
    ::k5-001:: [markdown] Question text {=right ~wrong#why it is wrong ~wrong}   (single choice)
    Pick two. {~%50%right ~%50%right ~%-100%wrong}   (positive weights are the correct options)
    Statement. {T}  {TRUE}  {F}  {FALSE#feedback if answered wrong#feedback if answered right}
    Who? {=answer one =answer two}          (only `=` answers: short answer; =%50%... not accepted)
    Question {=right ~wrong ####general feedback}
    How many? {#5:0.5}  {#1..3}  {#5}  {#=5:0 =%50%5:2}   (numerical: typed, graded in range;
                                    several answers: the full-credit ones are right)
    Match these. {=item one -> answer one =item two -> answer two}   (matching, 2 or more)

`::title::` becomes the id; untitled questions get `<file name>-<position>`. A general feedback
of at most 200 characters becomes the explanation; a longer one is cut (at a sentence end when
it can) for the explanation and kept whole in the feedback, before the per-answer feedback.
`\\~ \\= \\# \\{ \\} \\: \\\\` are literal characters, `\\n` a new line. Text after the answer
block makes a missing-word stem ("costs _____ to download."). `[html]` markup is stripped.
Essay questions are reported as unsupported. A matching question's answers are shuffled
once, the same way on every import (`typed_answers.matching_fields`).

Metadata (competencies, level, bloom, source, lang, ...) comes from `// @key: value` comments:
see `ingest.questions`. Precedence for competencies: the question's own `// @competencies`,
then the current `$CATEGORY` when it names a competency, then a defaults block.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from ingest.questions import Entry, Invalid, generated_id, invalid, read_meta
from knowledge.learning.questions import EXPLANATION_CHARS, Problem, cut, problem
from knowledge.learning.typed_answers import matching_fields, numeric_range

_ESCAPABLE = "~=#{}:\\n"
_PRIVATE = 0xE000  # escaped characters hide in the private-use area while parsing
_TITLE = re.compile(r"^::(.*?)::", re.S)
_FORMAT = re.compile(r"^\s*\[(html|markdown|plain|moodle)\]", re.I)
_TF = re.compile(r"^(TRUE|T|FALSE|F)\s*((?:#[^#]*){0,2})$", re.I)
_WEIGHT = re.compile(r"^\s*%(-?\d+(?:\.\d+)?)%")


def looks_like_gift(text: str) -> bool:
    return re.search(r"(?<!\\)\{[^{}]*(?<!\\)\}", text) is not None


def parse_gift(text: str, path: Path) -> list[Entry]:
    entries: list[Entry] = []
    defaults: dict[str, object] = {}
    category, position = "", 0
    for block in _blocks(text):
        meta: dict[str, object] = {}
        body: list[tuple[int, str]] = []
        error: Problem | None = None
        for number, line in block:
            stripped = line.strip()
            if stripped.startswith("//"):
                error = error or read_meta(stripped[2:], meta)
            elif stripped.upper().startswith("$CATEGORY:"):
                category = stripped.split(":", 1)[1].strip().rstrip("/").split("/")[-1].strip()
            else:
                body.append((number, line))
        if not body:
            if error:
                entries.append(Entry(block[0][0], error=error))
            defaults.update(meta)
            continue
        position += 1
        fields: dict[str, object] = {"id": generated_id(path, position), **defaults, **meta}
        if category and "competencies" not in meta:
            fields["category"] = category
        entries.append(_entry(body, fields, error))
    return entries


def _entry(body: list[tuple[int, str]], fields: dict[str, object], error: Problem | None) -> Entry:
    line = body[0][0]
    if error:
        return Entry(line, error=error)
    try:
        fields.update(_question("\n".join(text for _, text in body)))
    except ValueError as e:
        return Entry(line, error=invalid(e))
    return Entry(line, fields)


def _blocks(text: str) -> list[list[tuple[int, str]]]:
    blocks: list[list[tuple[int, str]]] = [[]]
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            blocks[-1].append((number, line))
        elif blocks[-1]:
            blocks.append([])
    return [b for b in blocks if b]


def _question(raw: str) -> dict[str, object]:
    text = re.sub(r"\\(.)", _protect, raw.strip(), flags=re.S)
    fields: dict[str, object] = {}
    title = _TITLE.match(text)
    if title:
        text = text[title.end() :]
        if _restore(title[1]).strip():
            fields["id"] = _restore(title[1]).strip()
    declared = _FORMAT.match(text)
    is_html = declared is not None and declared[1].lower() == "html"
    text = _FORMAT.sub("", text, count=1)
    opens, closes = text.count("{"), text.count("}")
    if opens == 0:
        raise Invalid(problem("gift_no_block", "no {...} answer block"))
    if opens != 1 or closes != 1 or text.index("}") < text.index("{"):
        why = "a question needs exactly one {...} answer block (escape braces as \\{)"
        raise Invalid(problem("gift_blocks", why))
    before, rest = text.split("{", 1)
    inner, after = rest.split("}", 1)
    stem = f"{before.strip()} _____ {after.strip()}" if after.strip() else before
    fields["stem"] = _clean(stem, is_html)
    fields.update(_answers(inner, is_html))
    return fields


def _answers(inner: str, is_html: bool) -> dict[str, object]:
    body, _, general = inner.partition("####")
    body = body.strip()
    if _TF.match(body):
        fields = _true_false(body, is_html)
    elif not body:
        text = "empty answer block {}: essay questions are not supported"
        raise Invalid(problem("gift_essay", text))
    elif body.startswith("#"):
        fields = _numerical(body[1:], is_html)
    elif "->" in body:
        fields = _matching(body, is_html)
    elif body[0] not in "=~":
        text = "each answer must start with = (right) or ~ (wrong)"
        raise Invalid(problem("gift_answer_mark", text))
    else:
        fields = _choices(body, is_html)
    return _with_general_feedback(fields, _clean(general, is_html))


def _true_false(body: str, is_html: bool) -> dict[str, object]:
    m = _TF.match(body)
    assert m is not None
    notes = [_clean(n, is_html) for n in m[2].split("#")[1:]]
    truth = m[1].upper().startswith("T")
    return {"kind": "truefalse", "answer": 0 if truth else 1, "feedback": _lines(notes)}


def _choices(body: str, is_html: bool) -> dict[str, object]:
    texts, right, notes = [], [], []
    for mark, piece in re.findall(r"([=~])([^=~]*)", body):
        weight = _WEIGHT.match(piece)
        value = float(weight[1]) if weight else None
        text, _, note = piece[weight.end() if weight else 0 :].partition("#")
        texts.append(_clean(text, is_html))
        if (value is not None and value > 0) or (mark == "=" and value is None):
            right.append((len(texts) - 1, value))
        if note.strip():
            notes.append(f"{texts[-1]}: {_clean(note, is_html)}")
    if all(mark == "=" for mark, _ in re.findall(r"([=~])([^=~]*)", body)):
        accepted = [texts[i] for i, value in right if value in (None, 100)]
        return {"kind": "short", "accepted": accepted, "feedback": _lines(notes)}
    kind = "multiple" if len(right) > 1 else "single"
    return {
        "kind": kind,
        "options": texts,
        "answer": [i for i, _ in right],
        "feedback": _lines(notes),
    }


def _numerical(body: str, is_html: bool) -> dict[str, object]:
    """`5:0.5`, `1..3`, `5`, or `=5:0 =%50%4:1`, each answer with an optional `#feedback`."""
    pieces = body.split("=")[1:] if body.strip().startswith("=") else [body]
    accepted, notes = [], []
    for piece in pieces:
        weight = _WEIGHT.match(piece)
        value = float(weight[1]) if weight else 100.0
        spec, _, note = piece[weight.end() if weight else 0 :].partition("#")
        spec = _restore(spec).strip()
        if numeric_range(spec) is None:
            text = f"numerical answer {spec!r} is not a number, number:tolerance or low..high"
            raise Invalid(problem("gift_numerical", text, value=cut(spec)))
        if value == 100:
            accepted.append(spec)
        if note.strip():
            notes.append(f"{spec}: {_clean(note, is_html)}")
    return {"kind": "numerical", "accepted": accepted, "feedback": _lines(notes)}


def _matching(body: str, is_html: bool) -> dict[str, object]:
    """`=item -> answer =item -> answer ...` (an empty item adds a distractor answer)."""
    pairs = []
    for piece in re.findall(r"=([^=]*)", body):
        left, arrow, right = piece.partition("->")
        if not arrow or not right.strip() or body.lstrip()[0] != "=":
            text = "each matching pair must be written =item -> answer"
            raise Invalid(problem("gift_matching", text))
        pairs.append((_clean(left, is_html), _clean(right, is_html)))
    return {"kind": "matching", **matching_fields(pairs)}


def _with_general_feedback(fields: dict[str, object], general: str) -> dict[str, object]:
    if len(general) > EXPLANATION_CHARS:
        fields["feedback"] = _lines([general, str(fields.get("feedback", ""))], sep="\n\n")
        general = shorten(general)
    if general:
        fields["explanation"] = general
    if not fields.get("feedback"):
        fields.pop("feedback", None)
    return fields


def shorten(text: str, limit: int = EXPLANATION_CHARS) -> str:
    """At most `limit` characters: up to the last sentence end that fits, else cut with …."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    ends = [m.end() for m in re.finditer(r"[。！？!?]|\.(?=\s)", head)]
    if ends and ends[-1] >= limit // 3:
        return head[: ends[-1]].strip()
    return head.rstrip() + "…"


def _lines(parts: list[str], sep: str = "\n") -> str:
    return sep.join(p for p in parts if p)


def _protect(m: re.Match[str]) -> str:
    i = _ESCAPABLE.find(m[1])
    return chr(_PRIVATE + i) if i >= 0 else m[0]


def _restore(text: str) -> str:
    out = text
    for i, char in enumerate(_ESCAPABLE):
        out = out.replace(chr(_PRIVATE + i), "\n" if char == "n" else char)
    return out


def _clean(text: str, is_html: bool) -> str:
    text = _FORMAT.sub("", text, count=1)
    if is_html:
        text = re.sub(r"<[^>]+>", " ", text)
    text = _restore(" ".join(text.split()))
    return html.unescape(text) if is_html else text
