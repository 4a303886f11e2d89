"""Asking the bundled course pack: cited answers, both languages, refusals, follow-ups."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from bot.core import ChatCore
from bot.events import Incoming, Reply
from knowledge.answering.models import Answer
from knowledge.answering.write.extractive import REFUSAL


async def ask(app, question: str, history=()) -> Answer:
    return await app.tutor.answer(question, history)


def assert_citations_resolve(answer: Answer) -> None:
    """Every [n] has a citation, and every citation points at a retrieved passage."""
    numbers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)}
    cited = {c.n for c in answer.citations}
    assert numbers <= cited, (numbers, cited)
    retrieved = {(p.chunk.doc, p.chunk.section) for p in answer.passages}
    for c in answer.citations:
        assert (c.doc, c.section) in retrieved
        assert any(
            " ".join(c.snippet.split()).rstrip("…")[:40] in " ".join(p.chunk.text.split())
            for p in answer.passages
        )


async def test_the_six_talent_categories(pack_app):
    answer = await ask(pack_app, "What are the six talent categories of the alliance?")
    assert not answer.abstained and answer.lang == "en"
    for category in (
        "research",
        "management",
        "application",
        "education",
        "editorial",
        "international",
    ):
        assert category in answer.answer
    assert answer.citations[0].doc.startswith("alliance")
    assert_citations_resolve(answer)


@pytest.mark.parametrize(
    ("question", "doc", "fact"),
    [
        ("强制性国家标准由谁批准发布？", "china_standards_system.md", "国务院"),
        ("How many training bases will Suzhou set up in the first phase?", "alliance", "14"),
    ],
)
async def test_same_language_questions(pack_app, question, doc, fact):
    answer = await ask(pack_app, question)
    assert not answer.abstained
    assert fact in answer.answer
    assert any(c.doc.startswith(doc) for c in answer.citations)
    assert_citations_resolve(answer)


ONLY_CHINESE = """# 投票规则

## 征询意见阶段

国际标准草案（DIS）的投票期为90天，技术委员会的积极成员必须投票。
"""
ONLY_ENGLISH = """# Voting rules

## Enquiry stage

The ballot on a draft International Standard (DIS) lasts 90 days, and the P-members of the
technical committee must vote.
"""


@pytest.mark.parametrize(
    ("text", "question", "lang", "intro"),
    [
        (
            ONLY_CHINESE,
            "How long is the DIS ballot?",
            "en",
            "(Quoted from the Chinese",
        ),
        (ONLY_ENGLISH, "国际标准草案投票期多长？", "zh", "（以下摘自英文资料）"),
    ],
)
async def test_questions_across_languages(make_app, tmp_path, text, question, lang, intro):
    """A passage only in the other language is quoted, introduced in the asker's language."""
    doc = tmp_path / "manual.md"
    doc.write_text(text, encoding="utf-8")
    app = make_app()
    assert not app.ingestor.ingest([doc]).failed
    answer = await ask(app, question)
    assert not answer.abstained and answer.lang == lang
    assert "90" in answer.answer and answer.answer.startswith(intro)
    assert answer.citations[0].doc == "manual.md"
    assert_citations_resolve(answer)


async def test_a_quoted_passage_comes_with_the_glossarys_translation_of_its_terms(
    make_app, tmp_path
):
    doc = tmp_path / "rules.md"
    doc.write_text("# 规则\n\n## 投票\n\n技术委员会的积极成员必须对国际标准草案投票。\n", "utf-8")
    app = make_app()
    assert not app.ingestor.ingest([doc]).failed
    answer = await ask(app, "Who must vote on the draft International Standard?")
    assert not answer.abstained and "(Terms:" in answer.answer
    assert "技术委员会 = technical committee" in answer.answer


@pytest.mark.parametrize(
    "question",
    [
        "What is the best pizza restaurant in Suzhou?",
        "苏州到上海的高铁票多少钱？",
        "How much is the membership fee to join the alliance?",
    ],
)
async def test_out_of_scope_questions_are_refused_in_their_language(pack_app, question):
    answer = await ask(pack_app, question)
    assert answer.abstained and not answer.citations
    assert answer.answer == REFUSAL[answer.lang]
    assert answer.lang == ("zh" if "苏州" in question else "en")


async def test_a_follow_up_is_read_with_the_previous_question(pack_app):
    alone = await ask(pack_app, "IEC呢？")
    follow_up = await ask(pack_app, "IEC呢？", history=["ISO的DIS阶段叫什么？"])
    first = follow_up.answer.splitlines()[0]  # the answer's lead: the DIS stage's IEC name
    assert "CDV" in first and "CDV" not in alone.answer.splitlines()[0]


async def test_chat_core_keeps_the_conversation_per_user(pack_app, core_for):
    core = await core_for(pack_app.tutor)

    async def say(user: int, text: str) -> Reply:
        replies = [r async for r in core.respond(Incoming(user, text))]
        assert isinstance(replies[-1], Reply)
        return replies[-1]

    await say(1, "ISO的DIS阶段叫什么？")
    assert "CDV" in (await say(1, "IEC呢？")).text
    # Another trainee's follow-up is read without Ann's question: as if asked first.
    alone = await ask(pack_app, "IEC呢？")
    assert (await say(2, "IEC呢？")).text == alone.answer


async def test_a_follow_up_after_a_restart_is_read_with_the_question_before_it(pack_app, core_for):
    core = await core_for(pack_app.tutor)
    [r async for r in core.respond(Incoming(1, "ISO的DIS阶段叫什么？"))]
    restarted = ChatCore(replace(core.services))  # nothing kept in memory, the same records
    *_, answer = [r async for r in restarted.respond(Incoming(1, "IEC呢？"))]
    assert isinstance(answer, Reply) and "CDV" in answer.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [("   ", "请先输入一个问题"), ("What is ISO? " * 200, "too long"), ("标准" * 600, "太长")],
)
async def test_empty_and_huge_questions_get_a_clear_message(pack_app, core_for, text, expected):
    core = await core_for(pack_app.tutor)
    replies = [r async for r in core.respond(Incoming(1, text)) if isinstance(r, Reply)]
    assert len(replies) == 1 and replies[0].kind == "error"
    assert expected in replies[0].text


async def test_answers_are_short_enough_for_a_phone(pack_app):
    for question in ("ISO标准制定有哪些阶段？", "What does CNAS do?", "团体标准由谁制定？"):
        answer = await ask(pack_app, question)
        assert len(answer.answer) <= 600, answer.answer
