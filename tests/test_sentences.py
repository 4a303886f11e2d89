"""Sentence splitting in English and Chinese: where a sentence ends, and where it does not."""

from __future__ import annotations

import time

import pytest

from knowledge.sentences import spans, split


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        # Latin stops end a sentence before a capital, a digit, a quote or a bracket
        ("The audit is yearly. Records are kept.", ["The audit is yearly.", "Records are kept."]),
        ("Was it signed? Yes! It was.", ["Was it signed?", "Yes!", "It was."]),
        ("Fees rose in 2020. 2021 was flat.", ["Fees rose in 2020.", "2021 was flat."]),
        ('It ended. "Next," she said.', ["It ended.", '"Next," she said.']),
        ("It ended. (A note follows.) Done.", ["It ended.", "(A note follows.)", "Done."]),
        ("It ended. “Quoted” start.", ["It ended.", "“Quoted” start."]),
        # ... but not before a lowercase word, or without a space
        ("Use the v2. version of it.", ["Use the v2. version of it."]),
        ("See example.com/Path for it.", ["See example.com/Path for it."]),
        # Chinese stops end a sentence wherever they are
        ("本法自公布之日起施行。本条例同时废止。", ["本法自公布之日起施行。", "本条例同时废止。"]),
        ("你同意吗？我同意！好。", ["你同意吗？", "我同意！", "好。"]),
        ("（一）制定标准；（二）实施标准。", ["（一）制定标准；", "（二）实施标准。"]),
        ("规定如下：第一，登记；第二，备案。", ["规定如下：第一，登记；", "第二，备案。"]),
        ("Stop here。下一句", ["Stop here。", "下一句"]),
        # a line break always ends a sentence; blank lines and surrounding spaces go
        ("first line\n  second line  \n\n\nthird", ["first line", "second line", "third"]),
        ("第一条 总则\n第二条 适用范围", ["第一条 总则", "第二条 适用范围"]),
        ("", []),
        ("   \n \n", []),
    ],
)
def test_where_sentences_end(text: str, sentences: list[str]) -> None:
    assert split(text) == sentences


@pytest.mark.parametrize(
    "sentence",
    [
        "Bring a tool, e.g. A hammer or a wrench.",
        "Bring a tool, i.e. The one on the wall.",
        "Gauges, meters etc. Are calibrated yearly.",
        "Under Art. 5 the duty applies.",
        "Decree No. 440 was revised.",
        "As Sec. 3 says, reviews are public.",
        "Mr. Li and Mrs. Wang met Dr. Zhou and Prof. Chen.",
        "Open source vs. Proprietary licences.",
        "Compare cf. Section 4 of the charter.",
        "The policy was drafted by J. R. Smith and D. J. Weitzner.",
        "The U.S. Patent Office agreed.",
        "Version 5.1 replaces 4.1.2 in full.",
        "See section 4.1.2 of the policy for details.",
        "Pi is 3.14159 and e is 2.71828 here.",
        "The 2nd ed. Was printed later.",
        "Items are listed in Fig. 3 and Vol. 2 of the report.",
    ],
)
def test_abbreviations_initials_and_numbers_do_not_end_a_sentence(sentence: str) -> None:
    assert split(sentence) == [sentence]


@pytest.mark.parametrize(
    "item",
    [
        "1. The applicant files the form.",
        "4.1. Exclusion applies to all claims.",
        "(6) The member withdraws.",
        "(a) The member withdraws.",
        "a. The member withdraws.",
        "（一）具有法人资格；",
        "(二)有固定的场所。",
        "一、总则。",
        "- 1. Nested marker.",
    ],
)
def test_a_list_marker_stays_with_its_item(item: str) -> None:
    assert split(item) == [item]


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        # closing quotes and brackets after the stop stay with the sentence
        ("他说：“好。”", ["他说：“好。”"]),
        ("他说：“好。”然后离开了。", ["他说：“好。”然后离开了。"]),
        (
            "本条例所称“标准”，是指统一的技术要求。下一条。",
            ["本条例所称“标准”，是指统一的技术要求。", "下一条。"],
        ),
        ("（以上为草案。）正式文本另发。", ["（以上为草案。）", "正式文本另发。"]),
        ("他问：“可以吗？”“可以。”", ["他问：“可以吗？”", "“可以。”"]),
        ("真的吗？！是的。", ["真的吗？！", "是的。"]),
        ("引用「第一句。第二句。」结束。", ["引用「第一句。第二句。」结束。"]),
        # a stop inside a quotation does not end the sentence around it
        ("他说：“好。你来。”", ["他说：“好。你来。”"]),
        (
            'He said "Stop. Wait here." Then he left.',
            ['He said "Stop. Wait here."', "Then he left."],
        ),
        ('The term "Essential Claims. See below" is defined.', None),
        ("“Go now.” She left.", ["“Go now.”", "She left."]),
        ("It is done.) Next part.", ["It is done.)", "Next part."]),
    ],
)
def test_quotes_and_brackets(text: str, sentences: list[str] | None) -> None:
    assert split(text) == (sentences or [text])


def test_an_unbalanced_quote_does_not_swallow_the_line() -> None:
    text = "（2024年12月31日修正）本条例施行。“未闭合的引号开始了。下一句。"
    assert split(text) == [
        "（2024年12月31日修正）本条例施行。",
        "“未闭合的引号开始了。",
        "下一句。",
    ]
    assert split('A 12" pipe is used. The next rule applies.') == [
        'A 12" pipe is used.',
        "The next rule applies.",
    ]


def test_mixed_chinese_and_english() -> None:
    text = "ISO 9001 is a standard. 它规定了质量管理体系的要求。Audits follow. See ISO 19011."
    assert split(text) == [
        "ISO 9001 is a standard.",
        "它规定了质量管理体系的要求。",
        "Audits follow.",
        "See ISO 19011.",
    ]


def test_spans_point_into_the_text_and_skip_only_whitespace() -> None:
    text = "  One rule.  Two rules!\n\n第三条。第四条  \nlast"
    found = spans(text)
    assert [text[a:b] for a, b in found] == [
        "One rule.",
        "Two rules!",
        "第三条。",
        "第四条",
        "last",
    ]
    assert not text[: found[0][0]].strip() and not text[found[-1][1] :].strip()
    for (_, end), (start, _) in zip(found, found[1:], strict=False):
        assert not text[end:start].strip()  # nothing but whitespace is left out


def test_splitting_is_linear_on_a_long_line() -> None:
    # long runs of the cases that need a look back: abbreviations, quotes, markers
    text = ("Rule 1. See e.g. Art. 5 “引号。” and (6) more 5.1 text. " * 40000) + "“" * 20000
    started = time.perf_counter()
    sentences = split(text)
    assert len(sentences) > 40000
    assert time.perf_counter() - started < 10  # quadratic work would take minutes
