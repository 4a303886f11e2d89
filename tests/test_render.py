"""Telegram HTML rendering: escaping, LLM Markdown, sources, and splitting long replies."""

from __future__ import annotations

import random
import re
from html.parser import HTMLParser

import pytest

from bot.channels.telegram.render import (
    answer_html,
    escape,
    markdown_to_html,
    plain_text,
    sources_html,
    split_html,
)
from knowledge.answering.models import Citation

ALLOWED = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre"}
ALLOWED |= {"blockquote", "tg-spoiler"}


class _Checker(HTMLParser):
    """Telegram's rules: known tags, balanced, no nesting Telegram refuses."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        inside = self.stack[-1] if self.stack else None
        if tag not in ALLOWED:
            self.errors.append(f"tag <{tag}>")
        if inside in ("code", "pre") and not (tag == "code" and inside == "pre"):
            self.errors.append(f"<{tag}> inside <{inside}>")
        if tag in ("pre", "blockquote") and self.stack:
            self.errors.append(f"<{tag}> nested in {self.stack}")
        if tag in ("a", "code") and "a" in self.stack:
            self.errors.append(f"<{tag}> inside a link")
        if tag == "a" and not re.match(r"(https?|tg)://", dict(attrs).get("href") or ""):
            self.errors.append(f"unsafe link {attrs}")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(f"unbalanced </{tag}>")

    def handle_entityref(self, name: str) -> None:
        if name not in ("lt", "gt", "amp", "quot"):
            self.errors.append(f"entity &{name};")


def assert_valid(html: str) -> None:
    outside = re.sub(r"<[^>]*>", "", html)
    assert "<" not in outside and ">" not in outside, html
    assert not re.search(r"&(?!(lt|gt|amp|quot);)", outside), html
    checker = _Checker()
    checker.feed(html)
    checker.close()
    assert not checker.errors and not checker.stack, (checker.errors, checker.stack, html)


def units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def assert_split(html: str, limit: int) -> list[str]:
    parts = split_html(html, limit)
    assert parts
    for part in parts:
        assert units(part) <= limit, (units(part), part)
        assert plain_text(part).strip()
        assert_valid(part)
        assert not re.search(r"<([\w-]+)[^>]*></\1>", part), part  # no empty elements
    assert squeeze("".join(plain_text(p) for p in parts)) == squeeze(plain_text(html))
    return parts


CITES = [
    Citation(1, "GB-T-1.1.pdf", "标准化工作导则", "第1部分 > 3 术语和定义", 5, "标准：文件…"),
    Citation(2, "guide-2.pdf", "ISO/IEC Guide 2", "3 Standards", 12, "standard: document, <est>"),
    Citation(3, "notes.md", "Course notes", "", None, "A & B"),
]


@pytest.mark.parametrize("text", ["<script>alert(1)</script>", "a < b & c > d", "行<br>换"])
def test_html_in_text_is_shown_not_interpreted(text: str) -> None:
    for html in (escape(text), markdown_to_html(text), answer_html(text, [], "zh")):
        assert_valid(html)
        assert plain_text(html) == text
    assert escape("a < b & c > d") == "a &lt; b &amp; c &gt; d"


def test_llm_markdown_converts() -> None:
    md = (
        "# 概述\n"
        "这是**重点**和*强调*，`x<y` 与 __粗体__ 和 _斜体_ 还有 ~~删除~~。\n"
        "- 第一项\n* 第二项\n1. 步骤一\n"
        "> 引用 **加粗**\n"
        "见 [ISO](https://www.iso.org/a?b=1&c=2)。\n"
        "```python\nif a < b:\n    print('**no**')\n```\n"
        "| 术语 | 定义 |\n|---|---|\n| 标准 | 文件 |"
    )
    html = markdown_to_html(md)
    assert_valid(html)
    assert "<b>概述</b>" in html
    assert "<b>重点</b>" in html and "<i>强调</i>" in html and "<b>粗体</b>" in html
    assert "<i>斜体</i>" in html and "<s>删除</s>" in html
    assert "<code>x&lt;y</code>" in html
    assert "• 第一项\n• 第二项\n1. 步骤一" in html
    assert "<blockquote>引用 <b>加粗</b></blockquote>" in html
    assert '<a href="https://www.iso.org/a?b=1&amp;c=2">ISO</a>' in html
    code = "if a &lt; b:\n    print('**no**')"
    assert f'<pre><code class="language-python">{code}</code></pre>' in html
    assert "<pre>| 术语 | 定义 |\n|---|---|\n| 标准 | 文件 |</pre>" in html


@pytest.mark.parametrize(
    "text",
    ["snake_case_name", "2*3*4 = 24", "见 [1][2]，另见 [3]。", "[1](注)", "a * b * c", "t_1 _x"],
)
def test_things_that_only_look_like_markdown_stay(text: str) -> None:
    html = markdown_to_html(text)
    assert html == escape(text)


@pytest.mark.parametrize(
    "md",
    [
        "**unclosed bold",
        "**_x**_",
        "[x](javascript:alert(1))",
        "`unclosed code",
        "```\nunclosed fence <b>",
        "***a** b* _c **d_ e**",
        "[`code` **in** link](https://e.x)",
        "> **quote\n> still**",
        "# **heading**",
    ],
)
def test_broken_or_hostile_markdown_stays_valid(md: str) -> None:
    html = markdown_to_html(md)
    assert_valid(html)
    assert "javascript" not in html.split(">")[0]


def test_unsafe_link_keeps_its_text_only() -> None:
    assert markdown_to_html("[x](javascript:alert(1))") == "x"


def test_answer_lists_cited_and_further_sources() -> None:
    zh = answer_html("标准是文件[1]，见 **导则**[3]。", CITES, "zh", markdown=True)
    assert_valid(zh)
    body, sources = zh.split("\n\n")
    assert body == "标准是文件[1]，见 <b>导则</b>[3]。"
    lines = sources.split("\n")
    assert lines[0] == "<b>出处</b>"
    # a short human title, never the file name
    assert lines[1] == "[1] 标准化工作导则 · 3 术语和定义 · p. 5"
    assert lines[2] == "[3] Course notes"
    assert lines[3] == "<b>另见</b>"
    assert lines[4:] == ["[2] ISO/IEC Guide 2 · 3 Standards · p. 12"]
    assert ".pdf" not in zh and ".md" not in zh

    en = answer_html("A standard is a document [2] <b>.", CITES, "en")
    assert_valid(en)
    assert en.startswith("A standard is a document [2] &lt;b&gt;.\n\n<b>Sources</b>\n[2] ")
    assert "<b>See also</b>\n[1] " in en and "\n[3] " in en
    assert answer_html("无出处", [], "zh") == "无出处"


def test_sources_view_quotes_each_snippet() -> None:
    html = sources_html(CITES, "en")
    assert_valid(html)
    assert "<b>[2] ISO/IEC Guide 2</b>\n3 Standards · p. 12" in html and ".pdf" not in html
    assert "<blockquote>standard: document, &lt;est&gt;</blockquote>" in html
    assert "<blockquote>A &amp; B</blockquote>" in html
    long = Citation(4, "d.pdf", "T", "S", 1, "很长的段落。" * 100)
    assert "<blockquote expandable>" in sources_html([long], "zh")
    assert sources_html([], "zh") == "没有出处。"


def test_a_bilingual_title_is_shown_in_the_readers_language() -> None:
    c = Citation(1, "iso_iec_stages.md", "ISO/IEC 标准制定阶段 / ISO and IEC stages", "", None, "x")
    assert "[1] ISO/IEC 标准制定阶段" in answer_html("见[1]。", [c], "zh")
    assert "[1] ISO and IEC stages" in answer_html("See [1].", [c], "en")
    assert "iso_iec_stages.md" not in sources_html([c], "en")


def test_long_sources_view_splits_between_sources() -> None:
    many = [Citation(k, "d.pdf", "标题", "章 > 节", k, "段落 <a> & b。" * 80) for k in range(1, 9)]
    parts = assert_split(sources_html(many, "zh"), 4096)
    assert len(parts) > 1
    assert all(p.startswith("<b>[") and p.endswith("</blockquote>") for p in parts)


def test_split_long_chinese_answer() -> None:
    sentence = "标准化是为了在一定范围内获得最佳秩序，对现实问题确立共同使用的条款的活动。"
    paragraphs = ["".join(sentence for _ in range(6)) for _ in range(44)]
    text = "\n\n".join(f"{k}. **要点**{p}[1]" for k, p in enumerate(paragraphs))
    assert len(text) >= 10_000
    html = answer_html(text, CITES, "zh", markdown=True)
    parts = assert_split(html, 4096)
    assert len(parts) >= 3
    for part in parts[:-1]:  # cut at paragraph ends, not mid-sentence
        assert plain_text(part).endswith("[1]")


def test_split_long_pre_block_reopens_it() -> None:
    code = "\n".join(f"    value_{k} = compute(a < {k}, b & c)  # line {k}" for k in range(300))
    html = markdown_to_html(f"```python\n{code}\n```")
    parts = assert_split(html, 1000)
    assert len(parts) > 5
    for part in parts:
        assert part.startswith('<pre><code class="language-python">')
        assert part.endswith("</code></pre>")


def test_split_long_bold_run_without_breaks() -> None:
    html = "<b>" + "粗体文字" * 2000 + "</b>"
    parts = assert_split(html, 500)
    assert all(p.startswith("<b>") and p.endswith("</b>") for p in parts)


def test_split_never_cuts_an_entity() -> None:
    for offset in range(12):
        html = "x" * offset + "a &amp; b &lt;c&gt; " * 300
        parts = assert_split(html, 97)
        assert all(not re.search(r"&\w*$|^\w*;", p) for p in parts)


def test_emoji_count_as_two_units() -> None:
    html = "😀" * 3000
    parts = assert_split(html, 4096)
    assert [len(p) for p in parts] == [2048, 952]
    assert split_html("😀" * 2048) == ["😀" * 2048]


def test_split_keeps_link_attributes_and_drops_empty_parts() -> None:
    html = '<a href="https://e.x/?q=1&amp;r=&quot;2&quot;">' + "链接 " * 200 + "</a>\n\n\n"
    parts = assert_split(html, 120)
    assert all(p.startswith('<a href="https://e.x/?q=1&amp;r=&quot;2&quot;">') for p in parts)
    assert split_html("") == [] and split_html("\n \n") == []


PIECES = [
    "标准", "化", "。", "！", "？", "a", "Z", "1", " ", " ", "\n", "\n\n", "**", "*", "_", "__",
    "`", "```", "~~", "[", "]", "(", ")", "[1]", "](https://e.x/a_b)", "](javascript:x)",
    "<", ">", "&", "&amp;", '"', "# ", "- ", "1. ", "> ", "|", "|---|", "\\", "😀", "https://",
]  # fmt: skip


def test_random_markdown_always_gives_valid_splittable_html() -> None:
    rng = random.Random(20240611)
    for _ in range(400):
        md = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 120)))
        html = markdown_to_html(md)
        assert_valid(html)
        if plain_text(html).strip():
            assert_split(html, rng.randint(16, 200))
        else:
            assert split_html(html, 50) == []
