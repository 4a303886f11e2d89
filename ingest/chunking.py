"""Split a loaded document into passages of about one idea each, never across sections."""

from __future__ import annotations

import hashlib
import re
from collections import Counter

from ingest.loaders import LoadedDocument, Section
from knowledge.answering.models import Chunk
from knowledge.answering.text import sentences
from knowledge.vocabulary import CJK as _CJK
from knowledge.vocabulary import Lang, detect_lang

_WORD = re.compile(r"[A-Za-z0-9]+")

TARGET_TOKENS = 160  # fill a chunk up to about this much ...
MAX_TOKENS = 260  # ... and never past this (e5-small reads at most 512 tokens)


def estimate_tokens(text: str) -> int:
    """Roughly the model's token count: a CJK character is about one, an English word 1.3."""
    return len(_CJK.findall(text)) + int(len(_WORD.findall(text)) * 1.3)


def doc_id_for(name: str) -> str:
    return hashlib.sha1(name.encode()).hexdigest()[:16]


def chunk_document(doc: LoadedDocument, name: str, version: str) -> list[Chunk]:
    """Chunks with their document, heading path and page, numbered in reading order."""
    doc_id = doc_id_for(name)
    glossary = bool(_GLOSSARY.search(doc.title))
    split = _rows if glossary else _pack
    pieces = [
        (section, text)
        for section in doc.sections
        if not _is_reference_list(section)
        for text in split(section.text)
    ]
    return [
        Chunk(
            id=f"{doc_id}:{version}:{ordinal}",
            doc_id=doc_id,
            doc=name,
            title=doc.title,
            section=_section_label(section, doc.title),
            page=section.page,
            lang=detect_lang(text),
            text=text,
            ordinal=ordinal,
            role="glossary" if glossary else "text",
        )
        for ordinal, (section, text) in enumerate(pieces)
    ]


def document_lang(chunks: list[Chunk]) -> Lang:
    weights: Counter[str] = Counter()
    for chunk in chunks:
        weights[chunk.lang] += len(chunk.text)
    return "zh" if weights["zh"] >= weights["en"] else "en"


def _section_label(section: Section, title: str) -> str:
    path = section.heading_path
    if path and path[0] == title:  # the title is shown on its own already
        path = path[1:]
    return " > ".join(path)


_REFERENCES = re.compile(r"^(sources?|references?|bibliography|资料来源|参考文献|参考资料)\b", re.I)


def _is_reference_list(section: Section) -> bool:
    """A document's list of sources answers no question and only adds noise to retrieval."""
    return bool(section.heading_path) and any(
        _REFERENCES.match(h.strip()) for h in section.heading_path[-1:]
    )


_GLOSSARY = re.compile(r"glossary|术语", re.I)
_HEADER_ROW = re.compile(r"^\|?\s*(中文|English|term|术语)\s*\|", re.I)


def _rows(text: str) -> list[str]:
    """A glossary is looked up one term at a time: one chunk per table row."""
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not _HEADER_ROW.match(line)]


def _pack(text: str) -> list[str]:
    """Greedily join paragraphs up to the target size; split an oversized one by sentences."""
    units: list[str] = []
    for paragraph in (p.strip() for p in text.split("\n\n")):
        if not paragraph:
            continue
        if estimate_tokens(paragraph) <= MAX_TOKENS:
            units.append(paragraph)
        else:
            units.extend(_split_long(paragraph))
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for unit in units:
        tokens = estimate_tokens(unit)
        if current and size + tokens > TARGET_TOKENS:
            chunks.append("\n".join(current))
            current, size = [], 0
        current.append(unit)
        size += tokens
    if current:
        chunks.append("\n".join(current))
    return chunks


def _split_long(paragraph: str) -> list[str]:
    pieces: list[str] = []
    current = ""
    for sentence in sentences(paragraph) or [paragraph]:
        joiner = "" if _CJK.search(sentence[:1] or "") else " "
        candidate = f"{current}{joiner}{sentence}" if current else sentence
        if current and estimate_tokens(candidate) > TARGET_TOKENS:
            pieces.append(current)
            candidate = sentence
        while estimate_tokens(candidate) > MAX_TOKENS:  # one endless "sentence": cut it
            cut = max(1, len(candidate) * MAX_TOKENS // max(estimate_tokens(candidate), 1))
            pieces.append(candidate[:cut])
            candidate = candidate[cut:]
        current = candidate
    if current:
        pieces.append(current)
    return pieces
