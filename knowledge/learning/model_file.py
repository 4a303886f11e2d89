"""Reading a competency model file: every problem reported at once as "FILE:LINE: reason",
with lines from the composed YAML nodes (see knowledge/learning/model.py for the model itself)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from knowledge.learning.model import (
    DIMENSIONS,
    Category,
    Competency,
    CompetencyModel,
    Level,
    ModelError,
)
from knowledge.vocabulary import CATEGORIES, LEVELS

_ID = (re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*"), "lower-case words joined by hyphens")
_CODE = (re.compile(r"[A-Z]{1,3}[0-9]{0,2}"), "capital letters and up to 2 digits, e.g. K1")
_DOC = (re.compile(r"[\w.-]+\.md"), "a course-pack file name such as drafting_rules.md")
_NULL = "tag:yaml.org,2002:null"
_Form = tuple[re.Pattern[str], str]


def read_model(path: Path) -> CompetencyModel:
    """Load and check the model file at `path`."""
    text = path.read_text(encoding="utf-8")
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise ModelError(
            [f"{path}:{_error_line(exc, text)}: YAML syntax error: {_reason(exc)}"]
        ) from exc
    if root is None:
        raise ModelError([f"{path}:1: the file is empty; expected a mapping"])
    reader = _Reader(path)
    model = _build(reader, root)
    if reader.problems:
        raise ModelError(reader.problems)
    return model


def _error_line(exc: yaml.YAMLError, text: str) -> int:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        return mark.line + 1 if mark else 1
    position = getattr(exc, "position", 0)  # a ReaderError: a bad character
    return text.count("\n", 0, position) + 1


def _reason(exc: yaml.YAMLError) -> str:
    if not isinstance(exc, yaml.MarkedYAMLError):
        return " ".join(str(exc).split())
    context, mark = exc.context, exc.context_mark
    if context and mark and exc.problem_mark and mark.line != exc.problem_mark.line:
        context = f"{context} (from line {mark.line + 1})"
    return " ".join(part for part in (context, exc.problem) if part) or str(exc)


class _Reader:
    """Reads composed YAML nodes into values, noting each problem with its file and line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[str] = []
        self._keys: dict[int, Node] = {}  # id(value node) -> the key node it was given under

    def bad(self, node: Node, reason: str) -> None:
        """A problem at a node: at its key's line when it has one (a block starts below it)."""
        line = self._keys.get(id(node), node).start_mark.line + 1
        self.problems.append(f"{self.path}:{line}: {reason}")

    def fields(
        self,
        node: Node,
        what: str,
        required: Sequence[str],
        optional: Sequence[str] = (),
        noun: str = "key",
    ) -> dict[str, Node]:
        """A mapping's values by key; duplicate, unknown and missing keys are problems."""
        if not isinstance(node, MappingNode):
            self.bad(node, f"{what} must be a mapping")
            return {}
        found: dict[str, Node] = {}
        for key, value in node.value:
            name = key.value if isinstance(key, ScalarNode) else "?"
            if name in found or (name not in required and name not in optional):
                self.bad(
                    key, f"{what}: {'duplicate' if name in found else 'unknown'} {noun} {name!r}"
                )
            else:
                found[name], self._keys[id(value)] = value, key
        if missing := [k for k in required if k not in found]:
            self.bad(node, f"{what}: missing {noun} {', '.join(missing)}")
        return found

    def items(self, node: Node | None, what: str) -> list[Node]:
        if node is None or _null(node):
            return []
        if not isinstance(node, SequenceNode):
            self.bad(node, f"{what} must be a list")
            return []
        return list(node.value)

    def text(self, node: Node | None, what: str, form: _Form | None = None) -> str | None:
        """A non-empty string (of a form, if given), or None after noting the problem."""
        if node is None:
            return None
        if not isinstance(node, ScalarNode) or _null(node) or not node.value.strip():
            self.bad(node, f"{what} must be a non-empty string")
        elif form and not form[0].fullmatch(node.value):
            self.bad(node, f"{what} {node.value!r} is malformed: expected {form[1]}")
        else:
            return str(node.value)
        return None

    def optional(self, node: Node | None, what: str, form: _Form) -> str | None:
        return None if node is None or _null(node) else self.text(node, what, form)

    def level(self, node: Node | None, what: str) -> int | None:
        if node is None:
            return None
        value = node.value if isinstance(node, ScalarNode) else "?"
        if value.isdigit() and int(value) in LEVELS:
            return int(value)
        self.bad(node, f"{what} must be a level {LEVELS[0]}-{LEVELS[-1]}, not {value!r}")
        return None

    def pair(self, node: Node | None, what: str) -> tuple[str, str] | None:
        """A {zh, en} mapping as (zh, en)."""
        if node is None:
            return None
        found = self.fields(node, what, ("zh", "en"))
        zh, en = (self.text(found.get(k), f"{what} {k}") for k in ("zh", "en"))
        return (zh, en) if zh and en else None


def _null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == _NULL


def _named(kind: str, item: Node) -> str:
    """An entry's kind, with its id when it has one: e.g. "competency 'drafting'"."""
    pairs = item.value if isinstance(item, MappingNode) else []
    ids = [v.value for k, v in pairs if k.value == "id" and isinstance(v, ScalarNode)]
    return f"{kind} {ids[0]!r}" if ids else kind


_TOP = ("id", "version", "title", "description", "levels", "competencies", "categories")
_COMPETENCY = ("id", "code", "dimension", "title")
_OPTIONAL = ("parent", "source_doc", "prerequisites", "descriptors")


def _build(r: _Reader, root: Node) -> CompetencyModel:
    top = r.fields(root, "the model", _TOP)
    model_id = r.text(top.get("id"), "the model id", _ID) or ""
    version = r.text(top.get("version"), "the model version") or ""
    title = r.pair(top.get("title"), "title") or ("", "")
    description = r.pair(top.get("description"), "description") or ("", "")
    levels = _levels(r, top.get("levels"))
    competencies, declared = _competencies(r, top.get("competencies"))
    categories = _categories(r, top.get("categories"), competencies, declared)
    return CompetencyModel(
        model_id, version, *title, levels, competencies, categories, *description
    )


def _levels(r: _Reader, node: Node | None) -> tuple[Level, ...]:
    levels: list[Level] = []
    numbers: list[tuple[str, Node]] = []  # each entry's n as written, and where
    for item in r.items(node, "levels"):
        found = r.fields(item, "level", ("n", "zh", "en", "meaning"))  # n checked below
        raw = found.get("n", item)
        numbers.append((raw.value if isinstance(raw, ScalarNode) else "", raw))
        zh, en = (r.text(found.get(k), f"level {k}") for k in ("zh", "en"))
        meaning = r.pair(found.get("meaning"), "level meaning")
        if numbers[-1][0].isdigit() and zh and en and meaning:
            levels.append(Level(int(numbers[-1][0]), zh, en, *meaning))
    expected = [str(n) for n in LEVELS]
    if node is not None and [n for n, _ in numbers] != expected:
        wrong = [raw for (n, raw), want in zip(numbers, expected, strict=False) if n != want]
        r.bad(
            wrong[0] if wrong else node, f"levels must be exactly {', '.join(expected)}, in order"
        )
    return tuple(levels)


def _competency(r: _Reader, found: dict[str, Node]) -> Competency | None:
    cid = r.text(found.get("id"), "competency id", _ID)
    what = f"competency {cid!r}" if cid else "competency"
    code = r.text(found.get("code"), f"{what} code", _CODE)
    dimension = r.text(found.get("dimension"), f"{what} dimension")
    if dimension is not None and dimension not in DIMENSIONS:
        r.bad(found["dimension"], f"{what}: dimension must be one of {', '.join(DIMENSIONS)}")
        dimension = None
    title = r.pair(found.get("title"), f"{what} title")
    parent = r.optional(found.get("parent"), f"{what} parent", _ID)
    source = r.optional(found.get("source_doc"), f"{what} source_doc", _DOC)
    listed = r.items(found.get("prerequisites"), f"{what} prerequisites")
    prerequisites = tuple(filter(None, (r.text(n, f"{what} prerequisite", _ID) for n in listed)))
    descriptors: dict[int, tuple[str, str]] = {}
    if (node := found.get("descriptors")) is not None and not _null(node):
        levels = [str(n) for n in LEVELS]
        for n, value in r.fields(node, f"{what} descriptors", levels, noun="level").items():
            if pair := r.pair(value, f"{what} level {n} descriptor"):
                descriptors[int(n)] = pair
    if not (cid and code and dimension and title):
        return None
    return Competency(cid, code, parent, dimension, *title, descriptors, prerequisites, source)


def _competencies(r: _Reader, node: Node | None) -> tuple[dict[str, Competency], set[str]]:
    """The well-formed competencies, and every id declared (a broken entry is no unknown id)."""
    competencies: dict[str, Competency] = {}
    fields: dict[str, dict[str, Node]] = {}
    declared: set[str] = set()
    codes: dict[str, str] = {}  # code -> competency id
    for item in r.items(node, "competencies"):
        found = r.fields(item, _named("competency", item), _COMPETENCY, _OPTIONAL)
        raw = found.get("id")
        cid = raw.value if isinstance(raw, ScalarNode) else ""
        if cid in declared:
            r.bad(found["id"], f"duplicate competency id {cid!r}")
            continue
        declared.add(cid)
        if (comp := _competency(r, found)) is None:
            continue
        if comp.code in codes:
            r.bad(
                found["code"], f"duplicate competency code {comp.code!r} (of {codes[comp.code]!r})"
            )
        competencies[comp.id], fields[comp.id], codes[comp.code] = comp, found, comp.id
    _check_links(r, competencies, fields, declared)
    return competencies, declared


def _check_links(
    r: _Reader,
    competencies: dict[str, Competency],
    fields: dict[str, dict[str, Node]],
    declared: set[str],
) -> None:
    """Parents and prerequisites exist, and neither runs in a cycle."""
    for cid, comp in competencies.items():
        if comp.parent is not None and comp.parent not in declared:
            r.bad(fields[cid]["parent"], f"competency {cid!r}: no parent {comp.parent!r}")
        listed = fields[cid].get("prerequisites")
        for node in listed.value if isinstance(listed, SequenceNode) else ():
            if isinstance(node, ScalarNode) and node.value not in declared:
                r.bad(node, f"competency {cid!r}: no prerequisite {node.value!r}")
    parents: dict[str, tuple[str, ...]] = {
        c.id: (c.parent,) if c.parent else () for c in competencies.values()
    }
    needs = {c.id: c.prerequisites for c in competencies.values()}
    for key, edges in (("parent", parents), ("prerequisites", needs)):
        for cycle in _cycles(edges):
            r.bad(fields[cycle[0]][key], f"cycle in {key} links: {' -> '.join(cycle)}")


def _cycles(edges: dict[str, tuple[str, ...]]) -> list[list[str]]:
    """Each cycle of a directed graph once, as [a, b, ..., a]."""
    state: dict[str, int] = {}  # 1 while on the current path, 2 when done
    found: list[list[str]] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in edges.get(node, ()):
            if state.get(nxt) == 1:
                found.append([*trail[trail.index(nxt) :], nxt])
            elif nxt in edges and nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for start in edges:
        if start not in state:
            visit(start, [start])
    return found


def _categories(
    r: _Reader, node: Node | None, competencies: dict[str, Competency], declared: set[str]
) -> dict[str, Category]:
    categories: dict[str, Category] = {}
    seen: set[str] = set()
    for item in r.items(node, "categories"):
        found = r.fields(item, _named("category", item), ("id", "title", "targets"))
        cid = r.text(found.get("id"), "category id")
        if cid is not None and (cid not in CATEGORIES or cid in seen):
            problem = "duplicate category" if cid in seen else "unknown category"
            r.bad(found["id"], f"{problem} {cid!r}: the six are {', '.join(CATEGORIES)}")
            cid = None
        seen.add(cid or "")
        what = f"category {cid!r}" if cid else "category"
        title = r.pair(found.get("title"), f"{what} title")
        targets = _targets(r, found.get("targets"), what, competencies, declared)
        if cid and title:
            categories[cid] = Category(cid, *title, targets)
    if isinstance(node, SequenceNode) and (missing := [c for c in CATEGORIES if c not in seen]):
        r.bad(node, f"categories: missing {', '.join(missing)}")
    return categories


def _targets(
    r: _Reader,
    node: Node | None,
    what: str,
    competencies: dict[str, Competency],
    declared: set[str],
) -> dict[str, int]:
    """Competency id -> target level; a target must name a competency with descriptors."""
    targets: dict[str, int] = {}
    found = r.fields(node, f"{what} targets", (), sorted(declared), "competency") if node else {}
    for cid, value in found.items():
        level = r.level(value, f"{what} target for {cid!r}")
        comp = competencies.get(cid)
        if comp is not None and not comp.descriptors:
            r.bad(value, f"{what} targets {cid!r}, a group without level descriptors")
        elif comp is not None and level is not None:
            targets[cid] = level
    return targets
