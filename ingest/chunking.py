"""Split a loaded document into passages of about one idea each, never across sections."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterator

from ingest.loaders import LoadedDocument, Section
from knowledge.answering.models import Chunk
from knowledge.errors import TooLarge
from knowledge.sentences import spans as sentence_spans
from knowledge.vocabulary import CJK as _CJK
from knowledge.vocabulary import Lang, detect_lang

_WORD = re.compile(r"[A-Za-z0-9]+")

TARGET_TOKENS = 160  # fill a chunk up to about this much ...
MAX_TOKENS = 260  # ... and never past this (e5-small reads at most 512 tokens)
MAX_CHARS_PER_TOKEN = 8  # text without words (URLs, digits runs) counts one token per 8 chars
MAX_CHUNKS_PER_DOCUMENT = 5000  # past this a file is refused: no course document is that long


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
    pieces: list[tuple[Section, str]] = []
    for section in doc.sections:
        if _is_reference_list(section):
            continue
        for text in split(section.text):
            if len(pieces) == MAX_CHUNKS_PER_DOCUMENT:
                detail = f"more than {MAX_CHUNKS_PER_DOCUMENT} passages"
                raise TooLarge(name, detail)
            pieces.append((section, text))
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


def _rows(text: str) -> Iterator[str]:
    """A glossary is looked up one term at a time: one chunk per table row."""
    lines = (line.strip() for line in text.splitlines())
    return (line for line in lines if line and not _HEADER_ROW.match(line))


def _pack(text: str) -> Iterator[str]:
    """Greedily join paragraphs up to the target size; split an oversized one by sentences.

    Every unit is counted once and sizes are summed, so the work is linear in the text.
    """
    current: list[str] = []
    size = 0.0
    for unit, tokens in _units(text):
        if current and size + tokens > TARGET_TOKENS:
            yield "\n".join(current)
            current, size = [], 0.0
        current.append(unit)
        size += tokens
    if current:
        yield "\n".join(current)


def _units(text: str) -> Iterator[tuple[str, float]]:
    """Whole paragraphs that fit in a chunk, and pieces of the ones that do not."""
    for paragraph in (p.strip() for p in text.split("\n\n")):
        if not paragraph:
            continue
        tokens = _cost(paragraph)
        if tokens <= MAX_TOKENS:
            yield paragraph, tokens
        else:
            yield from _split_long(paragraph)


def _cost(text: str) -> float:
    """estimate_tokens before rounding, and never less than one per MAX_CHARS_PER_TOKEN
    characters, so a run without words (a long URL, a number table) is still bounded.
    Costs add up: the cost of joined pieces is at most the sum of their costs."""
    words = len(_CJK.findall(text)) + len(_WORD.findall(text)) * 1.3
    return max(words, len(text) / MAX_CHARS_PER_TOKEN)


def _split_long(paragraph: str) -> Iterator[tuple[str, float]]:
    """Cut a paragraph between sentences into pieces of about the target size.

    Pieces keep the paragraph's own line breaks and spaces; only a sentence longer than
    MAX_TOKENS is cut inside, at a space or between CJK characters.
    """
    start = end = 0  # the piece being filled is paragraph[start:end]
    size = 0.0
    for s_start, s_end in sentence_spans(paragraph):
        tokens = _cost(paragraph[s_start:s_end])
        if size and size + tokens > TARGET_TOKENS:
            yield paragraph[start:end], size
            size = 0.0
        if tokens > MAX_TOKENS:  # one endless sentence: cut it at word boundaries
            yield from _cut(paragraph[s_start:s_end])
            continue
        if not size:
            start = s_start
        end, size = s_end, size + tokens
    if size:
        yield paragraph[start:end], size


_ATOM = re.compile(r"\s+|[\u3400-\u9fff\uf900-\ufaff]|[^\s\u3400-\u9fff\uf900-\ufaff]+")


def _cut(sentence: str) -> Iterator[tuple[str, float]]:
    """Pieces of one overlong sentence, cut only at spaces or beside CJK characters."""
    start, size = 0, 0.0
    for atom in _ATOM.finditer(sentence):
        if atom.group().isspace():
            continue
        a_start, a_end = atom.span()
        tokens = _cost(atom.group())
        punctuation = not (_WORD.search(atom.group()) or _CJK.match(atom.group()))
        # punctuation ("。") stays with the words before it, unless it is a chunk in itself
        if size and size + tokens > TARGET_TOKENS and (not punctuation or tokens > MAX_TOKENS):
            yield sentence[start:a_start].rstrip(), size
            start, size = a_start, 0.0
        while tokens > MAX_TOKENS:  # a "word" without spaces longer than a chunk
            cut, piece = _word_cut(sentence, a_start, a_end)
            yield sentence[a_start:cut], piece
            start = a_start = cut
            tokens = _cost(sentence[a_start:a_end])
        size += tokens
    if size:
        yield sentence[start:].strip(), size


def _word_cut(text: str, start: int, end: int) -> tuple[int, float]:
    """Where to cut the run text[start:end] so the first part fits, preferring a non-letter."""
    length = min(MAX_TOKENS * MAX_CHARS_PER_TOKEN // 2, end - start)
    while _cost(text[start : start + length]) > MAX_TOKENS:
        length //= 2  # a few halvings at most: 130 characters always fit
    cut = start + length
    boundary = max(text.rfind(c, start + length // 2, cut) for c in ",;/-_.")
    if boundary >= 0:  # cut after punctuation rather than inside a word
        cut = boundary + 1
    return cut, _cost(text[start:cut])
