"""The competency model: the bundled YAML, its validation, and the CASE 1.0 export."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from knowledge.answering.glossary import pack_dir
from knowledge.learning.case import to_case
from knowledge.learning.model import BUNDLED, CompetencyModel, ModelError, load_model
from knowledge.vocabulary import CATEGORIES

LEAVES = ("K1", "K2", "I1", "I2", "S1", "S2", "A1")
TARGETS = {
    "research": (4, 4, 4, 3, 4, 3, 3),
    "management": (4, 4, 3, 3, 3, 4, 3),
    "application": (3, 3, 2, 2, 3, 4, 3),
    "education": (4, 3, 3, 3, 4, 3, 4),
    "editorial": (3, 4, 3, 2, 5, 2, 3),
    "international": (3, 3, 5, 5, 3, 3, 4),
}


@pytest.fixture(scope="module")
def model() -> CompetencyModel:
    return load_model()


def test_bundled_model_loads(model: CompetencyModel) -> None:
    assert model.id == "stdtutor-competency" and model.version
    assert "draft" in model.title_en.lower() and "草案" in model.title_zh
    assert "still being developed" in model.description_en
    groups = {"foundations": "K", "international": "I", "practice": "S", "professional": "A"}
    assert {c.id: c.code for c in model.competencies.values() if c.parent is None} == groups
    assert len(model.competencies) == 11


def test_six_categories_and_five_levels(model: CompetencyModel) -> None:
    assert tuple(model.categories) == CATEGORIES
    assert model.categories["editorial"].title("zh") == "编辑型人才"
    assert model.categories["international"].title("en") == "international talent"
    assert [level.n for level in model.levels] == [1, 2, 3, 4, 5]
    assert [level.zh for level in model.levels] == ["了解", "理解", "应用", "熟练", "精通"]
    assert all(level.meaning_zh and level.meaning_en for level in model.levels)


def test_seven_leaves_with_descriptors_in_both_languages(model: CompetencyModel) -> None:
    leaves = model.leaves()
    assert tuple(c.code for c in leaves) == LEAVES
    for leaf in leaves:
        assert leaf.title("zh") != leaf.title("en")
        assert sorted(leaf.descriptors) == [1, 2, 3, 4, 5]
        assert all(zh and en for zh, en in leaf.descriptors.values())
        assert leaf.source_doc and (pack_dir() / leaf.source_doc).is_file()
        assert model.competencies[leaf.parent or ""].parent is None


def test_targets_as_planned(model: CompetencyModel) -> None:
    ids = [c.id for c in model.leaves()]
    for category, levels in TARGETS.items():
        assert model.profile(category) == dict(zip(ids, levels, strict=True))
    assert model.target("editorial", "drafting") == 5
    assert model.target(None, "drafting") == 0
    assert model.target("research", "foundations") == 0
    assert model.profile(None)["iso-iec-process"] == 3  # (4+3+2+3+3+5)/6 = 3.33
    assert model.profile(None)["cn-standards-system"] == 4  # 3.5, rounded half up


def test_prerequisites(model: CompetencyModel) -> None:
    needs = {c.id: c.prerequisites for c in model.competencies.values() if c.prerequisites}
    assert needs == {
        "standard-lifecycle": ("cn-standards-system",),
        "drafting": ("cn-standards-system",),
        "intl-participation": ("iso-iec-process",),
    }


# Broken files: each variant edits the bundled text; `mark` finds the line the error names.
Edit = Callable[[str], str]


def _after(anchor: str, old: str, new: str) -> Edit:
    """Replace the first `old` that follows `anchor`."""

    def edit(text: str) -> str:
        start = text.index(anchor)
        at = text.index(old, start)
        return text[:at] + new + text[at + len(old) :]

    return edit


def _drop_descriptor(competency: str, level: int) -> Edit:
    def edit(text: str) -> str:
        lines = text.splitlines(keepends=True)
        start = next(i for i, s in enumerate(lines) if s.strip() == f"- id: {competency}")
        at = next(i for i in range(start, len(lines)) if lines[i].strip() == f"{level}:")
        return "".join(lines[:at] + lines[at + 3 :])

    return edit


def _line(text: str, anchor: str, needle: str) -> int:
    start = text.index(anchor)
    return text.count("\n", 0, text.index(needle, start)) + 1


BROKEN = [
    pytest.param(
        _after("id: practice", "dimension: skill", "dimension: skill: oops"),
        ("id: practice", "dimension: skill: oops"),
        "YAML syntax error: mapping values are not allowed",
        id="syntax",
    ),
    pytest.param(
        _after("id: drafting", "parent: practice", "parent: practise"),
        ("id: drafting", "parent: practise"),
        "competency 'drafting': no parent 'practise'",
        id="unknown-parent",
    ),
    pytest.param(
        _after("id: cn-standards-system", "prerequisites: []", "prerequisites: [drafting]"),
        ("id: cn-standards-system", "prerequisites: [drafting]"),
        "cycle in prerequisites links: cn-standards-system -> drafting -> cn-standards-system",
        id="prerequisite-cycle",
    ),
    pytest.param(
        _after("id: foundations", "code: K\n", "code: K\n    parent: cn-standards-system\n"),
        ("id: foundations", "parent: cn-standards-system"),
        "cycle in parent links: foundations -> cn-standards-system -> foundations",
        id="parent-cycle",
    ),
    pytest.param(
        _after("id: education", "drafting: 4", "drafting: 7"),
        ("id: education", "drafting: 7"),
        "category 'education' target for 'drafting' must be a level 1-5, not '7'",
        id="target-7",
    ),
    pytest.param(
        _after("categories:", "id: editorial", "id: editors"),
        ("categories:", "id: editors"),
        "unknown category 'editors'",
        id="unknown-category",
    ),
    pytest.param(
        _drop_descriptor("iso-iec-process", 3),
        ("id: iso-iec-process", "descriptors:"),
        "competency 'iso-iec-process' descriptors: missing level 3",
        id="missing-descriptor-level",
    ),
    pytest.param(
        _after("id: drafting", "id: drafting", "id: cn-standards-system"),
        ("id: intl-participation", "id: cn-standards-system"),
        "duplicate competency id 'cn-standards-system'",
        id="duplicate-id",
    ),
    pytest.param(
        _after("id: professional", "dimension: attribute", "dimension: attitude"),
        ("id: professional", "dimension: attitude"),
        "competency 'professional': dimension must be one of knowledge, skill, attribute",
        id="bad-dimension",
    ),
    pytest.param(
        _after("levels:", "n: 5", "n: 6"),
        ("levels:", "n: 6"),
        "levels must be exactly 1, 2, 3, 4, 5, in order",
        id="levels-not-1-to-5",
    ),
    pytest.param(
        _after("version:", "version:", "colour: red\nversion:"),
        ("id: stdtutor", "colour: red"),
        "the model: unknown key 'colour'",
        id="unknown-key",
    ),
    pytest.param(
        _after("id: alliance-outlook", "    code: A1\n", ""),
        ("id: conformity-assessment", "- id: alliance-outlook"),
        "competency 'alliance-outlook': missing key code",
        id="missing-key",
    ),
]


@pytest.mark.parametrize(("edit", "mark", "reason"), BROKEN)
def test_broken_file_names_file_line_and_reason(
    tmp_path: Path, edit: Edit, mark: tuple[str, str], reason: str
) -> None:
    text = edit(BUNDLED.read_text(encoding="utf-8"))
    path = tmp_path / "model.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ModelError) as caught:
        load_model(path)
    expected = f"{path}:{_line(text, *mark)}: {reason}"
    assert any(p.startswith(expected) for p in caught.value.problems), caught.value.problems
    assert expected in str(caught.value)


def test_several_problems_reported_at_once(tmp_path: Path) -> None:
    text = BUNDLED.read_text(encoding="utf-8")
    for edit in (
        _after("id: drafting", "parent: practice", "parent: practise"),
        _after("id: research", "drafting: 4", "drafting: 7"),
        _after("categories:", "id: editorial", "id: editors"),
        _drop_descriptor("conformity-assessment", 5),
    ):
        text = edit(text)
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ModelError) as caught:
        load_model(path)
    problems = caught.value.problems
    assert len(problems) >= 4
    assert all(p.startswith(f"{path}:") for p in problems)
    for words in ("no parent", "not '7'", "unknown category", "missing level 5"):
        assert sum(words in p for p in problems) == 1, words
    assert str(caught.value).count("\n") == len(problems)


@pytest.mark.parametrize(
    ("text", "reason"),
    [("", "the file is empty"), ("- a\n- b\n", "the model must be a mapping")],
)
def test_not_a_mapping(tmp_path: Path, text: str, reason: str) -> None:
    path = tmp_path / "model.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ModelError, match=reason) as caught:
        load_model(path)
    assert caught.value.problems[0].startswith(f"{path}:1: ")


# The CASE 1.0 export
WHEN = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def package(model: CompetencyModel) -> dict:
    return to_case(model, changed=WHEN)


def test_case_items_one_per_competency(model: CompetencyModel, package: dict) -> None:
    items = package["CFItems"]
    assert [i["humanCodingScheme"] for i in items] == [c.code for c in model.competencies.values()]
    kinds = {i["humanCodingScheme"]: i["CFItemType"] for i in items}
    assert {code for code, kind in kinds.items() if kind == "Competency"} == set(LEAVES)
    assert {code for code, kind in kinds.items() if kind == "Domain"} == {"K", "I", "S", "A"}
    drafting = next(i for i in items if i["humanCodingScheme"] == "S1")
    assert drafting["fullStatement"] == model.competencies["drafting"].title_en
    assert drafting["alternativeLabel"] == model.competencies["drafting"].title_zh
    assert "educationLevel" not in drafting
    document = package["CFDocument"]
    assert document["version"] == model.version and document["lastChangeDateTime"].startswith(
        "2026-03-01T08:30:00"
    )
    assert document["CFPackageURI"]["identifier"] == document["identifier"]
    assert all(i["CFDocumentURI"]["identifier"] == document["identifier"] for i in items)


def _pairs(package: dict, kind: str) -> set[tuple[str, str]]:
    code = {i["identifier"]: i["humanCodingScheme"] for i in package["CFItems"]}
    code[package["CFDocument"]["identifier"]] = "DOC"
    return {
        (code[a["originNodeURI"]["identifier"]], code[a["destinationNodeURI"]["identifier"]])
        for a in package["CFAssociations"]
        if a["associationType"] == kind
    }


def test_case_associations(model: CompetencyModel, package: dict) -> None:
    codes = {c.id: c.code for c in model.competencies.values()}
    parents = {
        (c.code, codes[c.parent] if c.parent else "DOC") for c in model.competencies.values()
    }
    assert _pairs(package, "isChildOf") == parents
    assert _pairs(package, "precedes") == {("K1", "K2"), ("K1", "S1"), ("I1", "I2")}
    assert len(package["CFAssociations"]) == len(model.competencies) + 3


def test_case_node_uris_resolve(package: dict) -> None:
    nodes = {(i["identifier"], i["uri"]) for i in package["CFItems"]}
    document = package["CFDocument"]
    nodes.add((document["identifier"], document["uri"]))
    for association in package["CFAssociations"]:
        for end in ("originNodeURI", "destinationNodeURI"):
            link = association[end]
            assert (link["identifier"], link["uri"]) in nodes and link["title"]
        assert association["CFDocumentURI"]["identifier"] == document["identifier"]
        assert association["identifier"] in association["uri"]


def test_case_identifiers_stable_and_json_round_trips(model: CompetencyModel) -> None:
    first, second = to_case(model), to_case(load_model())

    def ids(p: dict) -> list[str]:
        return [x["identifier"] for k in ("CFItems", "CFAssociations") for x in p[k]]

    assert ids(first) == ids(second) and len(set(ids(first))) == len(ids(first))
    assert first["CFDocument"]["identifier"] == second["CFDocument"]["identifier"]
    assert json.loads(json.dumps(first)) == first
