"""File loaders: each file type comes back as the text, headings and pages a reader would see.

Every fixture is built here in tmp_path; the last test reads the shared dev corpus.
"""

from __future__ import annotations

import random
import zipfile
from pathlib import Path
from typing import Any

import docx
import pptx
import pytest
from pptx.util import Inches
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from bench.devcorpus import DEVCORPUS
from ingest.loaders import SUFFIXES, LoadedDocument, load
from knowledge.errors import (
    CorruptFile,
    EmptyDocument,
    EncryptedFile,
    MaterialError,
    UnreadableEncoding,
    UnsupportedType,
)

CORPUS = DEVCORPUS / "corpus"
LICENCE_MARKERS = ("Permission is hereby granted", "The above copyright notice", "AS IS")
ZH_ARTICLE = (
    "第十条 计量检定必须按照国家计量检定系统表进行。国家计量检定系统表由国务院计量行政部门制定。"
)


def write(path: Path, content: str | bytes) -> Path:
    """Write a fixture file and return its path."""
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def full_text(document: LoadedDocument) -> str:
    """Everything a reader would see, section after section."""
    return "\n\n".join(section.text for section in document.sections)


def text_under(document: LoadedDocument) -> dict[tuple[str, ...], str]:
    """Section text keyed by heading path."""
    return {section.heading_path: section.text for section in document.sections}


def assert_fails(path: Path, error: type[MaterialError]) -> None:
    """Loading `path` raises `error`, and its message names the file."""
    with pytest.raises(error) as caught:
        load(path)
    assert path.name in str(caught.value)


def make_pdf(
    path: Path, pages: list[list[str]], font: str = "Helvetica", **options: object
) -> Path:
    """A PDF with one line of text per entry, one list of lines per page."""
    pdf = canvas.Canvas(str(path), pagesize=A4, **options)
    for lines in pages:
        pdf.setFont(font, 12)
        for number, line in enumerate(lines):
            pdf.drawString(72, 770 - 18 * number, line)
        pdf.rect(60, 60, 100, 40)  # a drawing, so text-free pages are not blank
        pdf.showPage()
    pdf.save()
    return path


def fill(table: Any, rows: list[tuple[str, str]]) -> None:
    """Type the rows into a python-docx or python-pptx table of the same shape."""
    for row, texts in zip(table.rows, rows, strict=True):
        for cell, text in zip(row.cells, texts, strict=True):
            cell.text = text


# --- Markdown, plain text, reStructuredText ---------------------------------------------


@pytest.mark.parametrize(
    ("h1", "h2", "h3", "next_h2", "body"),
    [
        ("质量管理手册", "第一章 总则", "第一节 目的", "第二章 范围", ZH_ARTICLE),
        ("Quality Manual", "Chapter 1 General", "Purpose", "Chapter 2 Scope", "Clause ten."),
    ],
)
def test_markdown_headings_nest_and_a_new_h2_replaces_the_old(
    tmp_path: Path, h1: str, h2: str, h3: str, next_h2: str, body: str
) -> None:
    path = write(
        tmp_path / "manual.md",
        f"# {h1}\n\nintro\n\n## {h2}\n\nchapter\n\n### {h3}\n\n{body}\n\n## {next_h2}\n\nlast\n",
    )
    document = load(path)
    assert document.title == h1
    assert text_under(document) == {
        (h1,): "intro",
        (h1, h2): "chapter",
        (h1, h2, h3): body,
        (h1, next_h2): "last",
    }
    assert all(section.page is None for section in document.sections)


def test_markdown_markup_is_stripped_but_tables_lists_and_paragraphs_stay(tmp_path: Path) -> None:
    path = write(
        tmp_path / "guide.md",
        "# Guide\n\n"
        "<!-- INFO END -->\n"
        "Read the **whole** [standard](https://example.com/std) and the *notes*\n"
        "before the `audit`; see [ISO 9001].\n\n"
        "- first item\n- second item\n\n"
        "| Clause | Topic |\n|---|:---:|\n| 4 | Context |\n\n"
        "```python\n# a comment, not a heading\nprint(1)\n```\n\n"
        "[ISO 9001]: https://www.iso.org/standard/62085.html\n",
    )
    document = load(path)
    assert [section.heading_path for section in document.sections] == [("Guide",)]
    assert full_text(document) == (
        "Read the whole standard and the notes before the audit; see ISO 9001.\n\n"
        "- first item\n- second item\n\n"
        "Clause | Topic\n4 | Context\n\n"
        "# a comment, not a heading\nprint(1)"
    )


@pytest.mark.parametrize(
    ("wrapped", "joined"),
    [
        (
            "第十条 计量检定必须按照国家\n计量检定系统表进行。",
            "第十条 计量检定必须按照国家计量检定系统表进行。",
        ),
        ("术语表列出\nISO terms", "术语表列出 ISO terms"),
        ("Quality records are\nkept for three years.", "Quality records are kept for three years."),
    ],
)
def test_markdown_rejoins_wrapped_lines_with_no_space_inside_chinese(
    tmp_path: Path, wrapped: str, joined: str
) -> None:
    assert full_text(load(write(tmp_path / "wrapped.md", wrapped))) == joined


def test_markdown_front_matter_title_and_setext_headings(tmp_path: Path) -> None:
    path = write(
        tmp_path / "notes.md",
        '---\ntitle: "Audit Notes"\ntags: [iso]\n---\n\n'
        "Overview\n========\n\nFirst<br>line.\n\nDetails\n-------\n\nSecond.\n\n---\n\nThird.\n",
    )
    document = load(path)
    assert document.title == "Audit Notes"
    assert text_under(document) == {
        ("Overview",): "First\nline.",
        ("Overview", "Details"): "Second.\n\nThird.",
    }


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "gb18030"])
def test_text_files_decode_chinese_in_each_supported_encoding(
    tmp_path: Path, encoding: str
) -> None:
    content = f"# 不是标题\n{ZH_ARTICLE}\n\n第二段。\n"
    path = write(tmp_path / "law.txt", content.encode(encoding))
    document = load(path)
    assert document.title == "law"
    assert [(s.heading_path, s.text) for s in document.sections] == [
        ((), f"# 不是标题\n{ZH_ARTICLE}\n\n第二段。")
    ]


@pytest.mark.parametrize(
    "content",
    [random.Random(7).randbytes(4096), b"valid utf-8 \x00\x00\x01\x02 but binary" * 50],
)
def test_binary_text_file_is_unreadable_encoding(tmp_path: Path, content: bytes) -> None:
    assert_fails(write(tmp_path / "garbage.txt", content), UnreadableEncoding)


def test_rst_underlined_titles_build_the_heading_path(tmp_path: Path) -> None:
    path = write(
        tmp_path / "policy.rst",
        "=============\n Style Guide\n=============\n\n"
        ":PEP: 387\n\n"
        "Introduction\n============\n\n"
        "Use ``code`` and a `link <https://example.com>`_ [#note]_,\nwrapped here.\n\n"
        "Details\n-------\n\n.. note:: Keep it short.\n\n"
        "Second part\n===========\n\nFinal text.\n",
    )
    document = load(path)
    assert document.title == "Style Guide"
    assert text_under(document) == {
        ("Style Guide",): ":PEP: 387",
        ("Style Guide", "Introduction"): "Use code and a link, wrapped here.",
        ("Style Guide", "Introduction", "Details"): "Keep it short.",
        ("Style Guide", "Second part"): "Final text.",
    }


@pytest.mark.parametrize("content", [b"", b"  \n\n\t\n", "<!-- only a comment -->\n"])
def test_empty_markdown_is_an_empty_document(tmp_path: Path, content: str | bytes) -> None:
    assert_fails(write(tmp_path / "empty.md", content), EmptyDocument)


# --- HTML ---------------------------------------------------------------------------------


def test_html_headings_lists_and_tables_without_scripts_or_navigation(tmp_path: Path) -> None:
    path = write(
        tmp_path / "safety.html",
        "<html><head><title>Lab Safety</title><style>p {color: red}</style>"
        "<script>var tracking = 1;</script></head><body>"
        "<nav><a href='/'>Home</a> <a href='/about'>About us</a></nav>"
        "<h1>Rules</h1><p>Wear <b>goggles</b>\n   at all times.</p>"
        "<h2>Equipment</h2><ul><li>Gloves</li><li>Lab <em>coat</em></li></ul>"
        "<h3>Storage</h3><p>Keep acids low.</p><script>alert('x')</script>"
        "<h2>Emergencies</h2><table><tr><th>Number</th><th>Service</th></tr>"
        "<tr><td>112</td><td>Ambulance</td></tr></table></body></html>",
    )
    document = load(path)
    assert document.title == "Lab Safety"
    assert text_under(document) == {
        ("Rules",): "Wear goggles at all times.",
        ("Rules", "Equipment"): "Gloves\nLab coat",
        ("Rules", "Equipment", "Storage"): "Keep acids low.",
        ("Rules", "Emergencies"): "Number | Service\n112 | Ambulance",
    }


def test_html_without_title_is_named_by_its_first_h1(tmp_path: Path) -> None:
    path = write(tmp_path / "page.htm", "<h1>质量方针</h1><p>顾客至上。</p>")
    assert load(path).title == "质量方针"


# --- PDF ----------------------------------------------------------------------------------


def test_pdf_has_one_section_per_page_with_wrapped_lines_rejoined(tmp_path: Path) -> None:
    path = make_pdf(
        tmp_path / "records.pdf",
        [
            [
                "Chapter 1",
                "Quality records shall be kept for at least",
                "three years after delivery.",
            ],
            ["Chapter 2", "Audits happen yearly."],
        ],
    )
    document = load(path)
    assert document.title == "records"
    assert [(s.page, s.text) for s in document.sections] == [
        (1, "Chapter 1\n\nQuality records shall be kept for at least three years after delivery."),
        (2, "Chapter 2\n\nAudits happen yearly."),
    ]


def test_pdf_with_chinese_cid_font_reads_back_without_spaces(tmp_path: Path) -> None:
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    first, rest = ZH_ARTICLE[:29], ZH_ARTICLE[29:]  # drawn as two lines, as a PDF wraps them
    path = make_pdf(tmp_path / "计量法.pdf", [[first, rest]], font="STSong-Light")
    document = load(path)
    assert [(s.page, s.text) for s in document.sections] == [(1, ZH_ARTICLE)]


def test_pdf_with_a_user_password_is_encrypted(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "secret.pdf", [["Top secret"]], encrypt="s3cret")
    assert_fails(path, EncryptedFile)


def test_pdf_encrypted_with_an_empty_user_password_still_opens(tmp_path: Path) -> None:
    from reportlab.lib.pdfencrypt import StandardEncryption

    lock = StandardEncryption(userPassword="", ownerPassword="owner", canPrint=0)
    path = make_pdf(tmp_path / "locked.pdf", [["Readable anyway"]], encrypt=lock)
    assert full_text(load(path)) == "Readable anyway"


@pytest.mark.parametrize(("user", "opens"), [("", True), ("s3cret", False)])
def test_aes_encrypted_pdf_opens_only_without_a_user_password(
    tmp_path: Path, user: str, opens: bool
) -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(make_pdf(tmp_path / "plain.pdf", [["AES inside"]])))
    writer.encrypt(user_password=user, owner_password="owner", algorithm="AES-256")
    path = tmp_path / "aes.pdf"
    writer.write(path)
    if opens:
        assert full_text(load(path)) == "AES inside"
    else:
        assert_fails(path, EncryptedFile)


def test_truncated_pdf_is_corrupt(tmp_path: Path) -> None:
    whole = make_pdf(tmp_path / "whole.pdf", [["Some text"]]).read_bytes()
    assert_fails(write(tmp_path / "cut.pdf", whole[: len(whole) // 2]), CorruptFile)
    assert_fails(write(tmp_path / "noise.pdf", b"%PDF-1.7\n" + b"\x8f" * 300), CorruptFile)


def test_pdf_without_a_text_layer_is_empty(tmp_path: Path) -> None:
    assert_fails(make_pdf(tmp_path / "scan.pdf", [[], []]), EmptyDocument)


# --- DOCX and PPTX ------------------------------------------------------------------------


def test_docx_title_headings_paragraphs_and_table(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_heading("Calibration Procedure", level=0)
    document.add_heading("Scope", level=1)
    document.add_paragraph("Applies to all gauges.")
    document.add_paragraph("适用于所有量具。")
    document.add_heading("Instruments", level=2)
    table = document.add_table(rows=2, cols=2)
    fill(table, [("Instrument", "Interval"), ("Caliper", "12 months")])
    document.add_heading("Records", level=1)
    document.add_paragraph("Keep certificates.")
    path = tmp_path / "procedure.docx"
    document.save(str(path))

    loaded = load(path)
    assert loaded.title == "Calibration Procedure"
    top = "Calibration Procedure"
    assert text_under(loaded) == {
        (top, "Scope"): "Applies to all gauges.\n\n适用于所有量具。",
        (top, "Scope", "Instruments"): "Instrument | Interval\nCaliper | 12 months",
        (top, "Records"): "Keep certificates.",
    }


def test_empty_docx_is_an_empty_document(tmp_path: Path) -> None:
    path = tmp_path / "blank.docx"
    docx.Document().save(str(path))
    assert_fails(path, EmptyDocument)


def test_pptx_one_section_per_slide_with_its_title_tables_and_notes(tmp_path: Path) -> None:
    deck = pptx.Presentation()
    first = deck.slides.add_slide(deck.slide_layouts[1])  # title and content
    first.shapes.title.text = "Measurement Units"
    first.placeholders[1].text_frame.text = "SI base units\nDerived units"
    first.notes_slide.notes_text_frame.text = "Mention the 2019 redefinition."
    second = deck.slides.add_slide(deck.slide_layouts[5])  # title only
    second.shapes.title.text = "计量器具"
    table = second.shapes.add_table(2, 2, Inches(1), Inches(2), Inches(6), Inches(1)).table
    fill(table, [("器具", "周期"), ("卡尺", "12 个月")])
    deck.slides.add_slide(deck.slide_layouts[5]).shapes.title.text = "Questions?"
    path = tmp_path / "units.pptx"
    deck.save(str(path))

    loaded = load(path)
    assert loaded.title == "Measurement Units"
    assert [(s.page, s.heading_path, s.text) for s in loaded.sections] == [
        (
            1,
            ("Measurement Units",),
            "SI base units\nDerived units\n\nMention the 2019 redefinition.",
        ),
        (2, ("计量器具",), "器具 | 周期\n卡尺 | 12 个月"),
        (3, ("Questions?",), "Questions?"),  # a title-only slide still counts
    ]


@pytest.mark.parametrize("suffix", [".docx", ".pptx"])
def test_office_files_that_are_not_office_packages_are_corrupt(tmp_path: Path, suffix: str) -> None:
    assert_fails(write(tmp_path / f"noise{suffix}", random.Random(3).randbytes(2048)), CorruptFile)
    other_zip = tmp_path / f"other{suffix}"
    with zipfile.ZipFile(other_zip, "w") as archive:
        archive.writestr("readme.txt", "not an office document")
    assert_fails(other_zip, CorruptFile)


# --- dispatch -----------------------------------------------------------------------------


def test_unknown_suffix_is_unsupported_and_suffixes_are_case_insensitive(tmp_path: Path) -> None:
    assert_fails(write(tmp_path / "data.xyz", "text"), UnsupportedType)
    assert load(write(tmp_path / "NOTES.MD", "# Notes\n\nhello")).title == "Notes"
    assert SUFFIXES == {
        ".md",
        ".markdown",
        ".txt",
        ".text",
        ".rst",
        ".html",
        ".htm",
        ".pdf",
        ".docx",
        ".pptx",
    }


# --- the shared dev corpus ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "title", "phrase"),
    [
        (
            "en_kubernetes_kep_process.md",
            "Kubernetes Enhancement Proposal Process",
            "track the chain of custody for a proposed enhancement",
        ),
        (
            "en_python_pep387_backwards_compatibility.rst",
            "Backwards Compatibility Policy",
            "a soft deprecation does not issue a warning",
        ),
        (
            "en_rust_rfc_process.md",
            "Rust RFCs - RFC Book - Active RFC List",
            'propose a "motion for final comment period" (FCP)',
        ),
        (
            "en_srfi_process.html",
            "Scheme Request For Implementation — Process",
            "provide a permanent registry for Scheme Requests For Implementation",
        ),
        (
            "zh_certification_accreditation_regulations.md",
            "中华人民共和国认证认可条例",
            "第十条 取得认证机构资质，应当符合下列条件：",
        ),
        ("zh_metrology_law.md", "中华人民共和国计量法", ZH_ARTICLE),
        ("zh_product_quality_law.md", "中华人民共和国产品质量法", "第十条 任何单位和个人有权"),
    ],
)
def test_dev_corpus_documents_load_with_titles_and_readable_text(
    name: str, title: str, phrase: str
) -> None:
    document = load(CORPUS / name)
    text = full_text(document)
    assert document.title == title
    assert phrase in text
    assert len(document.sections) > 3
    assert all(section.text.strip() for section in document.sections)
    for junk in ("<!--", "INFO END", "](http", "<p>", "<li>", "``"):
        assert junk not in text
    # the MIT licence quoted in the SRFI page is there, but only as a small part of the text
    licence = [p for p in text.split("\n\n") if any(m in p for m in LICENCE_MARKERS)]
    assert sum(map(len, licence)) < 0.1 * len(text)
