"""The in-process fakes beside the ports: flows through the chat core with no embedding model,
no Chroma and no records file.

`HashEmbedder` stands in for the encoders, `TermRetriever` for the retriever (passages in
memory, ranked by shared terms), `QuoteWriter` for the writer (the first passage, cited),
and `Records.in_memory()` is the real records store on SQLite in memory. The gate is
`AlwaysAnswer`: the evidence gate is calibrated on the real encoders' similarities, which no
fake has. The real-stack tests (test_pipeline.py, test_answers.py, ...) stay.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.bootstrap import build, ensure_bank
from bot.conversation import Press
from bot.core import ChatCore
from bot.events import Incoming, QuizPrompt, Reply
from bot.services import Policy, Services
from ingest.pipeline import Ingestor
from knowledge.answering.ask import ask
from knowledge.answering.canonical import CanonicalIndex
from knowledge.answering.embeddings import HashEmbedder
from knowledge.answering.gate import AlwaysAnswer
from knowledge.answering.models import Answer, Chunk
from knowledge.answering.retrieval import RetrieverPort, TermRetriever
from knowledge.answering.tutor import Tutor
from knowledge.answering.write import Writer
from knowledge.answering.write.extractive import REFUSAL, ExtractiveWriter
from knowledge.answering.write.quote import QuoteWriter
from knowledge.learning.model import load_model
from knowledge.records import Records
from tests.conftest import settings_for

HANDBOOK = "# Lab handbook\n\n## Tools\n\nThe torque wrench is calibrated every 90 days.\n"
WRENCH = "The torque wrench is calibrated every 90 days by the metrology lab."
PASSAGES = [
    Chunk("hb-1", "hb", "handbook.md", "Lab handbook", "Tools", None, "en", WRENCH, 1),
    Chunk(
        "hb-2", "hb", "handbook.md", "Lab handbook", "Safety", None, "en",
        "Safety glasses are worn in the workshop at all times.", 2,
    ),
]  # fmt: skip


def fake_tutor(writer: Writer | None = None) -> Tutor:
    return Tutor(TermRetriever(PASSAGES), writer or QuoteWriter(), gate=AlwaysAnswer())


@pytest.fixture
async def fake_core() -> AsyncIterator[ChatCore]:
    """A chat core on fakes only: open access, records in memory."""
    records = await Records.in_memory()
    tutor = fake_tutor()
    # Uploads are not driven here: the ingestor is never called, so it is handed the fake
    # retriever's catalog and the fake embedder.
    ingestor = Ingestor(tutor.retriever.store, HashEmbedder(), 20 * 1024 * 1024)  # type: ignore[arg-type]
    services = Services(
        tutor, records, ingestor, CanonicalIndex(HashEmbedder()), load_model(), Policy("open")
    )
    yield ChatCore(services)
    await records.close()


async def said(core: ChatCore, event: Incoming) -> list[Reply | QuizPrompt]:
    """What the person is shown for one event (partials and typing left out)."""
    return [o async for o in core.respond(event) if isinstance(o, Reply | QuizPrompt)]


async def test_a_trainee_question_is_answered_with_a_citation(fake_core: ChatCore) -> None:
    *_, answer = await said(fake_core, Incoming(1, "How often is the torque wrench calibrated?"))

    assert isinstance(answer, Reply)
    assert answer.text == f"{WRENCH} [1]"
    [cite] = answer.citations
    assert (cite.doc, cite.title, cite.section) == ("handbook.md", "Lab handbook", "Tools")
    labels = [b.label for row in answer.buttons for b in row]
    assert "👍" in labels and "👎" in labels and len(labels) >= 4  # sources and "quiz me" too
    user = await fake_core.services.records.user(1)
    assert user is not None and user.role == "trainee"
    assert await fake_core.services.records.recent_questions(1) == (
        "How often is the torque wrench calibrated?",
    )


async def test_a_question_the_materials_do_not_cover_is_refused(fake_core: ChatCore) -> None:
    *_, answer = await said(fake_core, Incoming(1, "What is the best pizza in Suzhou?"))

    assert isinstance(answer, Reply)
    assert answer.text == REFUSAL["en"] and not answer.citations
    labels = [b.label for row in answer.buttons for b in row]
    assert labels == ["👍", "👎"]  # no sources to show


async def test_a_quiz_round_asks_its_first_question(fake_core: ChatCore) -> None:
    services = fake_core.services
    await ensure_bank(services.records, services.model)

    first, choose = await said(fake_core, Incoming(1, command="quiz", args=("2",), lang="en"))
    assert isinstance(first, Reply) and first.text == (
        "Choose your talent category first, then send /quiz again."
    )
    assert isinstance(choose, Reply)
    research = choose.buttons[0][0].data
    assert Press.parse(research).kind == "cat"
    await said(fake_core, Incoming(1, button=research, lang="en"))
    [prompt] = await said(fake_core, Incoming(1, command="quiz", args=("2",), lang="en"))

    assert isinstance(prompt, QuizPrompt)
    item = await services.records.item(prompt.item_id)
    assert item is not None
    assert prompt.text.startswith("1/2 · ") and prompt.text.endswith(item.stem)
    assert prompt.options == tuple(item.options) and prompt.buttons
    user = await services.records.user(1)
    assert user is not None and user.category == Press.parse(research).text()


async def test_each_fake_stands_where_its_port_is_and_is_deterministic() -> None:
    retriever: RetrieverPort = TermRetriever(PASSAGES)
    question = ask("How often is the torque wrench calibrated?")
    found = retriever.retrieve(question)
    assert found == retriever.retrieve(question)  # the same passages, scores and analysis
    assert [p.chunk.id for p in found.passages] == ["hb-1"]
    assert retriever.retrieve(ask("What is the best pizza in Suzhou?")).passages == []
    assert retriever.section("handbook.md", "Tools") == ("Lab handbook", WRENCH)
    assert [(d.doc, d.chunks) for d in retriever.store.documents()] == [("handbook.md", 2)]

    # The real writer writes from the fake retriever's passages; the fake writer from them too.
    writers: list[Writer] = [ExtractiveWriter(), QuoteWriter()]
    for writer in writers:
        answer = writer.write(found)
        assert isinstance(answer, Answer) and not answer.abstained
        assert "90 days" in answer.answer and answer.citations[0].doc == "handbook.md"
        assert writer.write(found) == answer

    # The real tutor runs its stages over them.
    answered = await fake_tutor(ExtractiveWriter()).answer(question.text)
    assert "90 days" in answered.answer and answered.citations

    # Records in memory: migrated, and every session sees the same database.
    records = await Records.in_memory()
    try:
        await records.ensure_user(7, name="Ann", role="trainee")
        user = await records.user(7)
        assert user is not None and user.name == "Ann"
    finally:
        await records.close()
    again = await Records.in_memory()  # a fresh one: nothing carried over
    try:
        assert await again.user(7) is None
    finally:
        await again.close()


def test_the_fake_embedder_is_deterministic_and_puts_shared_terms_near():
    fake = HashEmbedder()
    a, b, c = fake.embed_passages(["torque wrench calibration", "calibrating the wrench", "月饼"])
    assert (fake.embed_query("torque wrench calibration") == a).all()
    assert float(a @ b) > float(a @ c)


async def test_a_question_through_the_core_on_the_real_library_with_the_fake_embedder(
    tmp_path, core_for
):
    """The real retriever and writer (Chroma, BM25) over vectors of the fake embedder."""
    doc = tmp_path / "handbook.md"
    doc.write_text(HANDBOOK, encoding="utf-8")
    app = build(
        settings_for(tmp_path / "home"),
        embedder=HashEmbedder(),
        second_embedder=HashEmbedder("hash-terms-2"),
        embedding_cache=tmp_path / "cache.sqlite",
    )
    assert not app.ingestor.ingest([doc]).failed
    core = await core_for(Tutor(app.retriever, app.tutor.writer, gate=AlwaysAnswer()))
    *_, answer = await said(core, Incoming(1, "How often is the torque wrench calibrated?"))
    assert isinstance(answer, Reply) and "90 days" in answer.text and answer.citations


async def test_a_connection_dropped_after_a_quiz_answer_gets_the_next_question_not_an_apology(
    fake_core: ChatCore,
) -> None:
    """The records fail once while the next question is chosen (PostgreSQL cut the connection;
    bench.robustness does that for real): the person is shown their verdict and the next
    question, or the closed quiz and a new one, never part of a reply and then an apology."""
    from sqlalchemy.exc import DBAPIError

    from bot.texts import say

    services = fake_core.services
    records = services.records
    await ensure_bank(records, services.model)
    await records.ensure_user(1, name="Lin", role="trainee", lang="en")
    await records.update_user(1, category="research")
    [prompt] = await said(fake_core, Incoming(1, command="quiz", args=("2",), lang="en"))
    assert isinstance(prompt, QuizPrompt)
    due_items, drops = records.due_items, []

    async def dropped_once(*args, **kwargs):
        if drops:
            drops.pop()
            cut = ConnectionError("terminating connection due to administrator command")
            raise DBAPIError("SELECT", {}, cut, connection_invalidated=True)
        return await due_items(*args, **kwargs)

    records.due_items = dropped_once  # type: ignore[method-assign]
    drops.append(1)
    shown = await said(fake_core, Incoming(1, button=prompt.buttons[0][0].data, lang="en"))
    assert shown[0].text.startswith(("✅", "❌")) and not drops
    assert isinstance(shown[-1], QuizPrompt) and shown[-1].text.startswith("2/2 · ")
    drops.append(1)
    again = await said(fake_core, Incoming(1, command="quiz", args=("2",), lang="en"))
    assert not drops and isinstance(again[-1], QuizPrompt) and again[-1].text.startswith("1/2 · ")
    assert again[0].text.startswith("Your previous quiz (1 of 2 answered)")
    apology = say("failed", "en")
    assert all(o.text != apology for o in [*shown, *again])
