"""File loaders: each file type comes back as the text, headings and pages a reader would see.

Every fixture is built here in tmp_path; the last test reads the shared dev corpus.
"""

from __future__ import annotations

import random
import time
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

from bench.devcorpus import DEVCORPUS, SHARED
from bench.robustness import repack
from ingest.chunking import chunk_document
from ingest.loaders import SUFFIXES, LoadedDocument, load
from knowledge.errors import (
    CorruptFile,
    EmptyDocument,
    EncryptedFile,
    MaterialError,
    TooLarge,
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
        ("Style Guide",): "PEP: 387",  # a field list item reads "Name: value"
        ("Style Guide", "Introduction"): "Use code and a link, wrapped here.",
        ("Style Guide", "Introduction", "Details"): "Keep it short.",
        ("Style Guide", "Second part"): "Final text.",
    }


@pytest.mark.parametrize("content", [b"", b"  \n\n\t\n", "<!-- only a comment -->\n"])
def test_empty_markdown_is_an_empty_document(tmp_path: Path, content: str | bytes) -> None:
    assert_fails(write(tmp_path / "empty.md", content), EmptyDocument)


MARKUP = ("**", "__", "[=", "=]", "<dfn", "</", "{{", "}}", ":doc:", ":ref:", "`", ".. _", "|---")


def assert_no_markup(text: str) -> None:
    """None of the markup a reader would never see is left in `text`."""
    left = [mark for mark in MARKUP if mark in text]
    assert not left, (left, text)


@pytest.mark.parametrize(
    ("source", "text"),
    [
        ("Read the [guide](https://example.com/g) first.", "Read the guide first."),
        ('See [the spec](https://example.com/s "Spec") now.', "See the spec now."),
        ("See [Foo](https://en.wikipedia.org/wiki/Foo_(bar)) too.", "See Foo too."),
        ("A [spaced link](<a file.md>) here.", "A spaced link here."),
        ("![Site plan](plan.png) shows the exits.", "Site plan shows the exits."),
        (
            "Mail <mailto:qa@example.com> or <https://example.com>.",
            "Mail mailto:qa@example.com or https://example.com.",
        ),
        ("Both **strong** and __strong__ words.", "Both strong and strong words."),
        ("Both *light* and _light_ words.", "Both light and light words."),
        ("Run `make test` and ``a `tick` here``.", "Run make test and a tick here."),
        ("A stray ` backtick and **unclosed bold.", "A stray backtick and unclosed bold."),
        ("Escaped \\*stars\\* and a snake\\_case name.", "Escaped *stars* and a snake_case name."),
        ("Fish &amp; chips cost &#36;5 &lt;net&gt;.", "Fish & chips cost $5 <net>."),
        (
            "A <b>bold</b>, <em>light</em> and <span class='x'>plain</span> word.",
            "A bold, light and plain word.",
        ),
        ('A <dfn data-dfn-type="dfn" id="x">participant</dfn> joins.', "A participant joins."),
        ("Keep Vec<T> and a < b > c as they are.", "Keep Vec<T> and a < b > c as they are."),
        ("One<br>two<br/>three", "One\ntwo\nthree"),
        ("<details><summary>More</summary>\nHidden text.\n</details>", "More\nHidden text."),
        ("A claim[^1] here.\n\n[^1]: The note.", "A claim here.\n\nThe note."),
        # Bikeshed's shorthands in specification sources
        ("A [=participant=] may [=exclude=] claims.", "A participant may exclude claims."),
        ("Each [=patent/claim|Essential Claim=] counts.", "Each Essential Claim counts."),
        ("Run [$process a request$] on the [^iframe^].", "Run process a request on the iframe."),
        ("As defined in [[PROCESS]] and [[!RFC2119]].", "As defined in [PROCESS] and [RFC2119]."),
        ("Call {{Window/open()}} on a {{Document}}.", "Call open() on a Document."),
        ("Use {{Window/open()|open it}} now.", "Use open it now."),
    ],
)
def test_markdown_inline_markup_keeps_the_words(tmp_path: Path, source: str, text: str) -> None:
    assert full_text(load(write(tmp_path / "inline.md", source + "\n"))) == text


def test_markdown_tables_definitions_and_front_matter_are_cleaned(tmp_path: Path) -> None:
    path = write(
        tmp_path / "table.md",
        '+++\ntitle = "Fee Table"\ndraft = true\n+++\n\n'
        "Fees are listed in [the schedule][fees] and [fees].\n\n"
        "| Service | Fee |\n|:--------|----:|\n| **Audit** | [100](x.md) |\n| Review | 50 |\n\n"
        "Left | Right\n--- | ---\na | b\n\n"
        "[fees]: https://example.com/fees\n"
        '[other]: https://example.com/other "A title"\n',
    )
    document = load(path)
    assert document.title == "Fee Table"
    assert full_text(document) == (
        "Fees are listed in the schedule and fees.\n\n"
        "Service | Fee\nAudit | 100\nReview | 50\n\n"
        "Left | Right\na | b"
    )


def test_markdown_code_stays_as_written_and_indented_code_keeps_its_lines(tmp_path: Path) -> None:
    path = write(
        tmp_path / "code.md",
        "Run this:\n\n    make all\n    make test\n\nThen:\n\n"
        "- an item\n\n    its second paragraph\n    wrapped\n",
    )
    assert full_text(load(path)) == (
        "Run this:\n\nmake all\nmake test\n\nThen:\n\n- an item\n\nits second paragraph wrapped"
    )


def test_rst_roles_labels_directives_and_comments_are_dropped(tmp_path: Path) -> None:
    path = write(
        tmp_path / "charter.rst",
        ".. _charter-top:\n\n=======\nCharter\n=======\n\n"
        ".. |tc| replace:: Technical Committee\n.. |logo| image:: logo.png\n\n"
        "Members\n=======\n\n"
        "The |tc| decides |logo| (see :doc:`/resolutions/meetings` and\n"
        ":doc:`Election Exceptions </reference/exceptions>`). Projects are in\n"
        ":ref:`projects` and :ref:`the team list <team-list>`; code is in\n"
        ":repo:`openstack/governance`. Read :rfc:`2119` and `the wiki\n"
        "<https://wiki.example.org>`__, or `Python`_ with *care*.\n\n"
        ".. _atc:\n\n"
        ".. A comment that\n   goes on.\n\n..\n   A comment block.\n\n"
        ".. image:: diagram.png\n   :alt: A diagram\n   :width: 200\n\n"
        ".. toctree::\n   :maxdepth: 2\n\n   intro\n   usage\n\n"
        ".. warning::\n   :class: big\n\n   Votes are **public**.\n\n"
        ".. code-block:: python\n   :linenos:\n\n   vote(yes)\n   count()\n\n"
        "Tally the votes::\n\n    tally --all\n    publish\n\n"
        "Done.\n",
    )
    document = load(path)
    assert document.title == "Charter"
    assert text_under(document)[("Charter", "Members")] == (
        "The Technical Committee decides (see /resolutions/meetings and Election Exceptions). "
        "Projects are in projects and the team list; code is in openstack/governance. "
        "Read RFC 2119 and the wiki, or Python with care.\n\n"
        "Votes are public.\n\n"
        "vote(yes)\ncount()\n\n"
        "Tally the votes:\n\n"
        "tally --all\npublish\n\n"
        "Done."
    )


def test_rst_field_lists_definitions_and_tables_keep_their_lines(tmp_path: Path) -> None:
    path = write(
        tmp_path / "fields.rst",
        "Policy\n======\n\n"
        ":Author: Ann Lee\n:Status: Draft, still\n   under review\n:Version: 2\n\n"
        "Quorum\n   More than half of the members,\n   rounded up.\n"
        "Majority\n   More yes than no votes.\n\n"
        "+--------+-------+\n| Seat   | Term  |\n+========+=======+\n| Chair  | 1 y   |\n"
        "+--------+-------+\n\n"
        "=====  ======\nRole   Votes\n=====  ======\nChair  1\nMember 1\n=====  ======\n\n"
        "| A line block\n| keeps its lines\n",
    )
    assert full_text(load(path)) == (
        "Author: Ann Lee\nStatus: Draft, still under review\nVersion: 2\n\n"
        "Quorum\nMore than half of the members, rounded up.\n"
        "Majority\nMore yes than no votes.\n\n"
        "Seat | Term\nChair | 1 y\n\n"
        "Role | Votes\nChair | 1\nMember | 1\n\n"
        "A line block\nkeeps its lines"
    )


# --- hard-wrapped lines ------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".md", ".rst", ".txt"])
def test_hard_wrapped_paragraphs_are_joined_but_lists_stay_lines(
    tmp_path: Path, suffix: str
) -> None:
    source = (
        "Every torque wrench and pressure gauge used in the assembly hall is calibrated\n"
        "by the metrology team every ninety days, and the certificate is filed with the\n"
        "equipment record.\n\n"
        "第十条 计量检定必须按照国家计量检定系统表进行。国家计量检定系统表由国务院计量行政部门\n"
        "制定，检定机构应当按照国际标准化组织发布的质量管理体系标准 ISO\n"
        "9001 的要求开展检定工作并保存记录。\n\n"
        "The steps are:\n\n"
        "- clean the instrument and record the serial number of the instrument before the\n"
        "  check begins;\n"
        "- compare it with the reference standard.\n"
    )
    assert full_text(load(write(tmp_path / f"wrapped{suffix}", source))) == (
        "Every torque wrench and pressure gauge used in the assembly hall is calibrated "
        "by the metrology team every ninety days, and the certificate is filed with the "
        "equipment record.\n\n"
        "第十条 计量检定必须按照国家计量检定系统表进行。国家计量检定系统表由国务院计量行政部门"
        "制定，检定机构应当按照国际标准化组织发布的质量管理体系标准 ISO 9001 "
        "的要求开展检定工作并保存记录。\n\n"
        "The steps are:\n\n"
        "- clean the instrument and record the serial number of the instrument before the "
        "check begins;\n"
        "- compare it with the reference standard."
    )


def test_markdown_keeps_headings_table_rows_code_and_hard_breaks_apart(tmp_path: Path) -> None:
    path = write(
        tmp_path / "parts.md",
        "# Records\nRecords are kept\nfor three years.  \nSigned: the registrar\n"
        "1. first step\n2. second step\n| a | b |\n| c | d |\n"
        "```\nline one\nline two\n```\n",
    )
    assert text_under(load(path)) == {
        ("Records",): "Records are kept for three years.\nSigned: the registrar\n"
        "1. first step\n2. second step\na | b\nc | d\n\nline one\nline two"
    }


def test_plain_text_keeps_short_lines_articles_and_items_apart(tmp_path: Path) -> None:
    path = write(
        tmp_path / "law.txt",
        "Calibration Procedure\nScope\n"
        "This procedure applies to every torque wrench and pressure gauge used in\n"
        "the assembly hall. Instruments are calibrated by the metrology team every\n"
        "ninety days.\nSteps:\n"
        "1. Clean the instrument and record its serial number before the check\n"
        "   begins.\n2. Compare it with the reference standard.\n"
        "第一章 总则\n"
        "第一条 为了保证计量单位制的统一和量值的准确可靠，有利于生产、贸易和科学技术的发\n"
        "展，制定本法。\n"
        "第二条 在中华人民共和国境内，建立计量基准器具，必须遵守本法。\n"
        "（一）第一项；\n（二）第二项。\n",
    )
    assert full_text(load(path)) == (
        "Calibration Procedure\nScope\n"
        "This procedure applies to every torque wrench and pressure gauge used in the assembly "
        "hall. Instruments are calibrated by the metrology team every ninety days.\nSteps:\n"
        "1. Clean the instrument and record its serial number before the check begins.\n"
        "2. Compare it with the reference standard.\n"
        "第一章 总则\n"
        "第一条 为了保证计量单位制的统一和量值的准确可靠，"
        "有利于生产、贸易和科学技术的发展，制定本法。\n"
        "第二条 在中华人民共和国境内，建立计量基准器具，必须遵守本法。\n"
        "（一）第一项；\n（二）第二项。"
    )


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


BIKESHED_PAGE = """<!doctype html><html lang="en">
 <head>
  <meta content="text/html; charset=utf-8" http-equiv="Content-Type">
  <title>Lab Patent Policy</title>
  <style>.self-link::before { content: "§"; } dfn { font-style: italic; }</style>
  <script>document.addEventListener("click", function () {});</script>
 <body class="h-entry">
  <div class="head">
   <h1 class="p-name no-ref" id="title">Lab Patent Policy</h1>
  </div>
  <nav data-fill-with="table-of-contents" id="toc">
   <h2 class="no-num no-toc no-ref" id="contents">Table of Contents</h2>
   <ol class="toc"><li><a href="#sec-scope"><span class="secno">4</span> Scope</a></ol>
  </nav>
  <main>
   <h2 class="heading settled" data-level="4" id="sec-scope"><span class="secno">4. </span><span
    class="content"> Scope</span><a class="self-link" href="#sec-scope"></a></h2>
   <p>This policy covers every
	<dfn class="dfn-paneled" data-dfn-type="dfn" id="participant">participant</dfn> of a
	<a data-link-type="dfn" href="#group" id="ref-for-group">working group</a>.</p>
   <h3 class="heading settled" data-level="4.1" id="sec-exclusion"><span
    class="secno">4.1. </span><span class="content">Exclusion</span><a class="self-link"
    href="#sec-exclusion">§</a></h3>
   <p>A <a href="#participant" id="ref-for-participant">participant</a> may exclude claims:
   <ol>
    <li> within 150 days; or
    <li> on leaving the group.
   </ol>
   <ul class="toc"><li>stray contents entry</ul>
  </main>
  <h2 class="no-num no-ref heading settled" id="references"><span
    class="content">References</span></h2>
  <dl><dt>[PROCESS]<dd>The process document.</dl>
  <div data-fill-with="index">
   <h2 class="no-num no-ref heading settled" id="index"><span class="content">Index</span></h2>
   <h3 class="no-num no-ref heading settled" id="index-defined-here"><span
    class="content">Terms defined by this specification</span></h3>
   <ul class="index"><li><a href="#participant">participant</a><span>, in § 4</span></ul>
  </div>
  <h2 class="no-num heading settled" id="issues-index"><span
    class="content">Issues Index</span></h2>
  <div class="issue">Issue 1: to do.</div>
  <aside class="dfn-panel" data-for="participant">
   <b><a href="#participant">#participant</a></b><b>Referenced in:</b>
   <ul><li><a href="#ref-for-participant">4.1. Exclusion</a></ul>
  </aside>
  <script>/* script-dfn-panel */ var panels = [];</script>
"""


def test_html_without_optional_head_and_body_tags_is_parsed_as_browsers_do(
    tmp_path: Path,
) -> None:
    document = load(write(tmp_path / "policy.html", BIKESHED_PAGE))
    assert document.title == "Lab Patent Policy"
    assert text_under(document) == {
        ("Lab Patent Policy", "4. Scope"): (
            "This policy covers every participant of a working group."
        ),
        ("Lab Patent Policy", "4. Scope", "4.1. Exclusion"): (
            # the list closes the paragraph, as a browser shows it
            "A participant may exclude claims:\n\n1. within 150 days; or\n2. on leaving the group."
        ),
    }


def test_html_drops_generated_sections_but_not_pages_named_index(tmp_path: Path) -> None:
    path = write(
        tmp_path / "index.html",
        "<body id=index><div class=index><p>Main text.</p></div>"
        "<section id=references><h2>Refs</h2><p>[1] A book.</p></section>"
        "<section id=issues-index><p>Issue 3.</p></section>"
        "<ul class=index><li>term, in 2</ul><div id=toc><p>1 Scope</p></div><p>End.</p>",
    )
    assert full_text(load(path)) == "Main text.\n\nEnd."


def test_html_headings_drop_self_link_symbols(tmp_path: Path) -> None:
    path = write(
        tmp_path / "marks.html",
        "<h2>§ 2. Scope <a href='#scope'>¶</a></h2><p>Text.</p>"
        "<h2><span class=secno>3</span> Terms<a class=self-link href='#t'>§</a></h2><p>More.</p>",
    )
    assert [s.heading_path for s in load(path).sections] == [("2. Scope",), ("3 Terms",)]


@pytest.mark.parametrize(
    ("declared", "encoding"),
    [("", "utf-8"), ("", "gb18030"), ("<meta charset=gb2312>", "gb18030")],
)
def test_html_encodings(tmp_path: Path, declared: str, encoding: str) -> None:
    page = f"<html><head>{declared}<title>质量方针</title></head><body><p>顾客至上。</p>"
    document = load(write(tmp_path / "zh.html", page.encode(encoding)))
    assert (document.title, full_text(document)) == ("质量方针", "顾客至上。")


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


def office_package(path: Path, suffix: str) -> tuple[Path, str]:
    """A real, small Word or PowerPoint file and the name of its main XML part."""
    if suffix == ".docx":
        document = docx.Document()
        document.add_paragraph("A normal paragraph.")
        document.save(str(path))
        return path, "word/document.xml"
    deck = pptx.Presentation()
    deck.slides.add_slide(deck.slide_layouts[5]).shapes.title.text = "A slide"
    deck.save(str(path))
    return path, "ppt/slides/slide1.xml"


@pytest.mark.parametrize("suffix", [".docx", ".pptx"])
@pytest.mark.parametrize(
    ("megabytes", "detail"),
    [(260, "unpacks to more than 200 MB"), (30, "times its packed size")],
)
def test_office_zip_bombs_are_refused_before_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str, megabytes: int, detail: str
) -> None:
    small, part = office_package(tmp_path / f"small{suffix}", suffix)
    bomb = repack(small, tmp_path / f"bomb{suffix}", part, megabytes)
    assert bomb.stat().st_size < 2 * 1024 * 1024  # small on disk, huge unpacked

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the package was parsed")

    monkeypatch.setattr(docx, "Document", never)
    monkeypatch.setattr(pptx, "Presentation", never)
    started = time.perf_counter()
    with pytest.raises(TooLarge, match=detail) as caught:
        load(bomb)
    assert time.perf_counter() - started < 1
    assert bomb.name in str(caught.value)


@pytest.mark.parametrize("suffix", [".docx", ".pptx"])
def test_office_package_with_a_damaged_directory_is_corrupt(tmp_path: Path, suffix: str) -> None:
    path, _ = office_package(tmp_path / f"whole{suffix}", suffix)
    data = bytearray(path.read_bytes())
    directory = data.rfind(b"PK\x01\x02")  # the last central directory entry
    data[directory : directory + 4] = b"XXXX"
    assert_fails(write(tmp_path / f"damaged{suffix}", bytes(data)), CorruptFile)


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


DEV_FILES = sorted(SHARED.glob("devcorpus*/corpus/*"))


def test_every_dev_corpus_file_is_found() -> None:
    names = {path.name for path in DEV_FILES}
    assert len(DEV_FILES) >= 15 and "en_w3c_patent_policy.html" in names
    assert {path.suffix for path in DEV_FILES} == {".md", ".rst", ".html"}


@pytest.mark.parametrize("path", DEV_FILES, ids=lambda path: path.name)
def test_no_dev_corpus_passage_shows_markup(path: Path) -> None:
    chunks = chunk_document(load(path), path.name, "v")
    assert len(chunks) > 5
    for chunk in chunks:
        assert_no_markup(chunk.text)
        assert_no_markup(chunk.section)


def test_the_w3c_patent_policy_reads_as_its_sections() -> None:
    document = load(SHARED / "devcorpus2" / "corpus" / "en_w3c_patent_policy.html")
    sections = text_under(document)
    headings = [path[-1] for path in sections]
    assert document.title == "W3C Patent Policy"
    assert "4.1. Exclusion With Continued Participation" in headings
    assert "7.5.2. PAG Outcome" in headings
    assert not any(name in headings for name in ("Table of Contents", "Index", "References"))
    text = full_text(document)
    assert "within a 150-day Exclusion Opportunity" in text
    for junk in (
        "Referenced in",
        "Terms defined by this specification",
        "addEventListener",
        "§ 8.3",
    ):
        assert junk not in text
