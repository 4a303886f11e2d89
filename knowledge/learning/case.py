"""Export the competency model as a 1EdTech CASE 1.0 package (the CFPackage JSON).

One CFItem per competency (groups are Domains, assessable leaves Competencies), isChildOf
associations for the hierarchy and precedes associations for prerequisites. Identifiers are
UUID5s of the model id and competency id, so they stay the same across exports and versions.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from knowledge.learning.model import Competency, CompetencyModel

DEFAULT_BASE_URI = "https://stdtutor.example/case"
API = "ims/case/v1p0"  # the CASE 1.0 REST paths under the base URI
CREATOR = "Standards Tutor"
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://stdtutor.example/competency-model")

Json = dict[str, Any]


def to_case(
    model: CompetencyModel, base_uri: str = DEFAULT_BASE_URI, *, changed: datetime | None = None
) -> Json:
    """The CFPackage: CFDocument, CFItems and CFAssociations (changed defaults to now)."""
    base, stamp = base_uri.rstrip("/"), _stamp(changed)
    doc_id = stable_id(model.id)
    document = _link(model.title_en, doc_id, _uri(base, "CFDocuments", doc_id))
    leaves = {c.id for c in model.leaves()}
    items = {
        c.id: _item(model, c, c.id in leaves, base, document, stamp)
        for c in model.competencies.values()
    }
    links = {cid: _link(i["fullStatement"], i["identifier"], i["uri"]) for cid, i in items.items()}
    return {
        "CFDocument": _document(model, base, doc_id, stamp),
        "CFItems": list(items.values()),
        "CFAssociations": _associations(model, links, document, base, stamp),
    }


def stable_id(*parts: str) -> str:
    """A UUID5 of the parts: the same input always gives the same identifier."""
    return str(uuid.uuid5(_NAMESPACE, "/".join(parts)))


def _stamp(changed: datetime | None) -> str:
    moment = (changed or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    return moment.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _uri(base: str, collection: str, identifier: str) -> str:
    return f"{base}/{API}/{collection}/{identifier}"


def _link(title: str, identifier: str, uri: str) -> Json:
    """A CASE LinkURI."""
    return {"title": title, "identifier": identifier, "uri": uri}


def _document(model: CompetencyModel, base: str, doc_id: str, stamp: str) -> Json:
    return {
        "identifier": doc_id,
        "uri": _uri(base, "CFDocuments", doc_id),
        "creator": CREATOR,
        "title": model.title_en,
        "lastChangeDateTime": stamp,
        "description": model.description_en,
        "language": "en",
        "version": model.version,
        "adoptionStatus": "Draft",
        "notes": f"{model.title_zh}\n{model.description_zh}".strip(),
        "CFPackageURI": _link(model.title_en, doc_id, _uri(base, "CFPackages", doc_id)),
    }


def _item(
    model: CompetencyModel, c: Competency, leaf: bool, base: str, document: Json, stamp: str
) -> Json:
    identifier = stable_id(model.id, c.id)
    item = {
        "identifier": identifier,
        "uri": _uri(base, "CFItems", identifier),
        "fullStatement": c.title_en,
        "alternativeLabel": c.title_zh,
        "CFItemType": "Competency" if leaf else "Domain",
        "humanCodingScheme": c.code,
        "conceptKeywords": [c.dimension],
        "language": "en",
        "lastChangeDateTime": stamp,
        "CFDocumentURI": document,
    }
    if notes := _notes(model, c):
        item["notes"] = notes
    return item


def _notes(model: CompetencyModel, c: Competency) -> str:
    """The level descriptors (both languages) and the course-pack source, as plain text."""
    lines = [
        f"{level.n} {level.en} / {level.zh}: {c.descriptors[level.n][1]} / "
        f"{c.descriptors[level.n][0]}"
        for level in model.levels
        if level.n in c.descriptors
    ]
    if c.source_doc:
        lines.append(f"Course-pack source: {c.source_doc}")
    return "\n".join(lines)


def _associations(
    model: CompetencyModel, links: dict[str, Json], document: Json, base: str, stamp: str
) -> list[Json]:
    made: list[Json] = []
    siblings: dict[str | None, int] = {}
    for c in model.competencies.values():
        siblings[c.parent] = sequence = siblings.get(c.parent, 0) + 1
        parent = links[c.parent] if c.parent else document
        made.append(_association("isChildOf", links[c.id], parent, document, base, stamp))
        made[-1]["sequenceNumber"] = sequence
    for c in model.competencies.values():
        for needed in c.prerequisites:
            made.append(_association("precedes", links[needed], links[c.id], document, base, stamp))
    return made


def _association(
    kind: str, origin: Json, destination: Json, document: Json, base: str, stamp: str
) -> Json:
    identifier = stable_id(
        document["identifier"], kind, origin["identifier"], destination["identifier"]
    )
    return {
        "identifier": identifier,
        "associationType": kind,
        "uri": _uri(base, "CFAssociations", identifier),
        "originNodeURI": origin,
        "destinationNodeURI": destination,
        "CFDocumentURI": document,
        "lastChangeDateTime": stamp,
    }
