"""PPTX loader (python-pptx): one Section per slide, headed by the slide title."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import pptx
from pptx.shapes.autoshape import Shape
from pptx.shapes.base import BaseShape
from pptx.shapes.graphfrm import GraphicFrame
from pptx.shapes.group import GroupShape
from pptx.slide import Slide

from .base import LoadedDocument, Section
from .package import check_package
from .text import squash


def load(path: Path) -> LoadedDocument:
    """Load a PowerPoint deck: slide text frames, tables and speaker notes."""
    check_package(path, "PowerPoint")
    sections, title = [], ""
    for number, slide in enumerate(pptx.Presentation(str(path)).slides, start=1):
        title_shape = slide.shapes.title
        heading = squash(title_shape.text_frame.text) if title_shape is not None else ""
        title = title or heading
        skip = title_shape.shape_id if title_shape is not None else None  # already the heading
        paragraphs = [_shape_text(shape) for shape in _shapes(slide.shapes, skip)]
        paragraphs.append(_notes(slide))
        text = "\n\n".join(p.strip() for p in paragraphs if p.strip())
        if text or heading:  # a slide holding only its title still says something
            sections.append(Section(text or heading, (heading,) if heading else (), page=number))
    return LoadedDocument(title, sections)


def _shapes(shapes: Iterable[BaseShape], skip: int | None) -> Iterator[BaseShape]:
    """Every shape except the one with id `skip`, looking inside groups."""
    for shape in shapes:
        if isinstance(shape, GroupShape):
            yield from _shapes(shape.shapes, skip)
        elif shape.shape_id != skip:
            yield shape


def _shape_text(shape: BaseShape) -> str:
    """A text frame's lines, or a table's rows with cells joined by ' | '."""
    if isinstance(shape, Shape) and shape.has_text_frame:
        # python-pptx reports soft line breaks inside a paragraph as vertical tabs
        return "\n".join(p.text.replace("\v", "\n") for p in shape.text_frame.paragraphs)
    if isinstance(shape, GraphicFrame) and shape.has_table:
        rows = shape.table.rows
        return "\n".join(" | ".join(squash(cell.text) for cell in row.cells) for row in rows)
    return ""


def _notes(slide: Slide) -> str:
    """The speaker notes, which often hold the explanation a student needs."""
    if not slide.has_notes_slide or slide.notes_slide.notes_text_frame is None:
        return ""
    return slide.notes_slide.notes_text_frame.text
