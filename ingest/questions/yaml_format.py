"""YAML question files: the bank's own format, one mapping per question.

The file is a list of questions, or a mapping with `questions:` (the list) and optional
`defaults:` (fields every question gets unless it sets them)::

    defaults:
      competencies: [drafting]          # list, or one comma-separated string
      source_doc: drafting_rules.md     # a course-pack file name
    questions:
      - id: k5-001                      # stable: re-importing the same id replaces the question
        lang: zh                        # zh | en (default: CJK in stem/options -> zh)
        kind: single                    # single | multiple | truefalse | short
        stem: 表示要求使用哪个能愿动词？
        options: [应, 宜, 可, 能]        # none for short; truefalse defaults to 对/错, True/False
        answer: 应                      # 0-based index, an option's text, or a list of these;
                                        # truefalse also takes true / false
        accepted: []                    # short only: accepted answers, case-insensitive
        explanation: 表示要求使用“应”。   # <= 200 characters, shown with the result
        feedback: ...                   # optional longer text, sent afterwards
        clause: 能愿动词                 # the section heading of source_doc (after "## ")
        level: 1                        # 1-5: Aware, Understand, Apply, Proficient, Expert
        bloom: remember                 # remember|understand|apply|analyze|evaluate|create
        status: published               # draft | published | retired (default: the importer's)

Quote option texts that YAML would read as numbers or dates ("60.60", "2018-01-01").
Unknown keys are errors, so a misspelt field is not silently dropped. `build_question` turns
these fields (which the GIFT and Aiken readers produce too) into a `Question`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields as dataclass_fields
from pathlib import Path

import yaml

from ingest.questions import Entry, Invalid, UnparsableFile, detect_lang
from knowledge.learning.questions import TRUE_FALSE, Question, cut, problem, shown

FIELDS = frozenset(f.name for f in dataclass_fields(Question))
_REQUIRED = ("stem", "kind", "competencies", "level", "bloom")
_NONE = (None, "")


def parse_yaml(text: str, path: Path) -> list[Entry]:
    node, data = _load(text)
    if node is None or data is None:
        return []
    nodes, items, defaults = _questions(node, data)
    return [
        _entry(n.start_mark.line + 1, item, defaults) for n, item in zip(nodes, items, strict=True)
    ]


class _NoAliasLoader(yaml.SafeLoader):
    """YAML without aliases: `*name` could multiply a few bytes into millions of values
    ("billion laughs"), and a question file never needs them."""

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event: yaml.AliasEvent = self.peek_event()  # type: ignore[no-untyped-call]  # stubs
            text = f"YAML aliases (*{event.anchor}) are not allowed: write the value out"
            raise UnparsableFile(
                problem("yaml_alias", text, anchor=cut(str(event.anchor))),
                event.start_mark.line + 1 if event.start_mark else 0,
            )
        return super().compose_node(parent, index)


def _load(text: str) -> tuple[yaml.Node | None, object]:
    loader = _NoAliasLoader(text)
    try:
        node = loader.get_single_node()
        return node, (loader.construct_document(node) if node is not None else None)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        detail = getattr(e, "problem", None) or str(e)
        found = problem("not_yaml", f"not valid YAML: {detail}", detail=cut(str(detail)))
        raise UnparsableFile(found, mark.line + 1 if mark else 0) from e
    finally:
        loader.dispose()


def _questions(
    node: yaml.Node, data: object
) -> tuple[list[yaml.Node], list[object], dict[str, object]]:
    if isinstance(data, list) and isinstance(node, yaml.SequenceNode):
        return list(node.value), data, {}
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        text = "expected a list of questions or a mapping with `questions:`"
        raise UnparsableFile(problem("yaml_shape", text), 1)
    extra = set(data) - {"questions", "defaults"}
    if extra:
        keys = ", ".join(map(str, extra))
        text = f"unknown top-level keys: {keys}"
        raise UnparsableFile(problem("yaml_top_keys", text, keys=cut(keys)), 1)
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict) or set(defaults) - FIELDS:
        text = "`defaults:` must map question fields to values"
        raise UnparsableFile(problem("yaml_defaults", text), 1)
    value = next((v for k, v in node.value if k.value == "questions"), None)
    items = data.get("questions") or []
    if not isinstance(items, list) or not isinstance(value, yaml.SequenceNode | None):
        raise UnparsableFile(
            problem("yaml_questions_list", "`questions:` must be a list"),
            value.start_mark.line + 1 if value else 1,
        )
    return (list(value.value) if value else []), items, defaults


def _entry(line: int, item: object, defaults: dict[str, object]) -> Entry:
    if not isinstance(item, dict):
        return Entry(
            line, error=problem("yaml_not_mapping", "expected a mapping of question fields")
        )
    unknown = sorted(str(k) for k in item if k not in FIELDS)
    if unknown:
        names = ", ".join(unknown)
        return Entry(
            line, error=problem("unknown_field", f"unknown field {names}", fields=cut(names))
        )
    return Entry(line, {**defaults, **item})


def build_question(fields: Mapping[str, object], default_status: str = "published") -> Question:
    """A Question from raw fields, coercing types; `Invalid` says what is missing or wrong."""
    status = _text(fields, "status") or default_status
    # A draft may be untagged (no competencies, level or bloom yet): it is tagged before it is
    # published, and only published questions are asked.
    required = _REQUIRED[:2] if status == "draft" else _REQUIRED
    missing = [k for k in required if fields.get(k) in (None, "", [], ())]
    if missing:
        names = ", ".join(missing)
        raise Invalid(problem("missing", f"missing {names}", fields=names))
    stem, kind = _text(fields, "stem"), _text(fields, "kind")
    options = texts(fields.get("options"), "options")
    lang = _text(fields, "lang") or detect_lang(" ".join((stem, *options)))
    if kind == "truefalse" and not options:
        options = TRUE_FALSE.get(lang, TRUE_FALSE["en"])
    return Question(
        id=_text(fields, "id"),
        # Raw text for now: `problems()` names a lang, kind or status that is not a known one.
        lang=lang,  # type: ignore[arg-type]
        kind=kind,  # type: ignore[arg-type]
        stem=stem,
        options=options,
        answer=answer_indexes(fields.get("answer"), options),
        accepted=texts(fields.get("accepted"), "accepted"),
        explanation=_text(fields, "explanation"),
        feedback=_text(fields, "feedback"),
        source_doc=_text(fields, "source_doc"),
        clause=_text(fields, "clause"),
        competencies=texts(fields.get("competencies"), "competencies"),
        level=_whole(fields.get("level"), "level") if fields.get("level") not in _NONE else 0,
        bloom=_text(fields, "bloom").lower(),
        status=status,  # type: ignore[arg-type]
    )


def texts(value: object, name: str) -> tuple[str, ...]:
    """A list of strings; competencies and accepted may also be one (comma-separated) string."""
    if value is None:
        return ()
    if isinstance(value, str) and name == "competencies":
        return tuple(p.strip() for p in value.split(",") if p.strip())
    if isinstance(value, str) and name == "accepted":
        return (value.strip(),)
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        text = f"{name} must be a list of text (quote numbers and dates in YAML)"
        raise Invalid(problem("not_text_list", text, field=name))
    return tuple(v.strip() for v in value)


def answer_indexes(value: object, options: tuple[str, ...]) -> tuple[int, ...]:
    """0-based indexes from an index, an option's text, true/false, or a list of these."""
    if value is None:
        return ()
    if isinstance(value, bool):
        return (0 if value else 1,)
    if isinstance(value, int):
        return (value,)
    if isinstance(value, str):
        if value.strip() not in options:
            text = f"answer {shown(value)} is not one of the options"
            raise Invalid(problem("answer_not_option", text, value=shown(value)))
        return (options.index(value.strip()),)
    if isinstance(value, list | tuple):
        return tuple(i for v in value for i in answer_indexes(v, options))
    text = f"answer {shown(value)} must be an option index or an option's text"
    raise Invalid(problem("answer_bad_type", text, value=shown(value)))


def _text(fields: Mapping[str, object], name: str) -> str:
    value = fields.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        text = f"{name} must be text, not {shown(value)}"
        raise Invalid(problem("not_text", text, field=name, value=shown(value)))
    return value.strip()


def _whole(value: object, name: str) -> int:
    try:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError
        if isinstance(value, float) and not value.is_integer():
            raise ValueError
        return int(value)
    except (TypeError, ValueError):
        text = f"{name} must be a whole number, not {shown(value)}"
        raise Invalid(problem("not_whole", text, field=name, value=shown(value))) from None
