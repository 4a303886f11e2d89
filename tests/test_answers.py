"""Asking the bundled course pack: cited answers, both languages, refusals, follow-ups."""

from __future__ import annotations

import re

import pytest

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
            c.snippet.rstrip("…")[:40] in " ".join(p.chunk.text.split()) for p in answer.passages
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


@pytest.mark.parametrize(
    ("question", "lang", "doc", "fact"),
    [
        ("FDIS投票期是多长时间？", "zh", "iso_iec_stages.md", "8 weeks"),
        (
            "Which body in China represents the country in ISO and IEC?",
            "en",
            "international_participation.md",
            "SAC",
        ),
    ],
)
async def test_questions_across_languages(pack_app, question, lang, doc, fact):
    answer = await ask(pack_app, question)
    assert not answer.abstained and answer.lang == lang
    assert fact in answer.answer
    assert answer.citations[0].doc == doc
    # The quoted passage is in the other language: the answer says so in the asker's language.
    assert answer.answer.startswith("（以下摘自英文资料）" if lang == "zh" else "(Quoted from")
    assert_citations_resolve(answer)


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
    assert "CDV" in follow_up.answer and "CDV" not in alone.answer


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
