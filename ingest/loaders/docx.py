"""DOCX loader (python-docx): Title and Heading n paragraphs build the heading path."""

from __future__ import annotations

import re
from pathlib import Path

import docx
from docx.table import Table
from docx.text.paragraph import Paragraph

from .base import LoadedDocument, Outline
from .package import check_package
from .text import squash

_HEADING_STYLE = re.compile(r"Heading ([1-9])")


def load(path: Path) -> LoadedDocument:
    """Load a Word document: paragraphs and tables in body order."""
    check_package(path, "Word")
    document = docx.Document(str(path))
    outline = Outline()
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            outline.paragraph(table_text(block))
        elif (level := _heading_level(block)) is not None:
            outline.heading(level, squash(block.text))
        else:
            outline.paragraph(block.text)
    return outline.finish(document.core_properties.title or outline.first_heading)


def _heading_level(paragraph: Paragraph) -> int | None:
    """0 for the Title style, n for Heading n, None for body text."""
    name = paragraph.style.name if paragraph.style is not None else ""
    if name == "Title":
        return 0
    match = _HEADING_STYLE.fullmatch(name or "")
    return int(match[1]) if match else None


def table_text(table: Table) -> str:
    """One line per row, cells joined by ' | '; a merged cell is listed once."""
    rows = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = squash(cell.text)
            if not cells or text != cells[-1]:  # python-docx repeats a merged cell per grid column
                cells.append(text)
        if any(cells):
            rows.append(" | ".join(cells))
    return "\n".join(rows)
