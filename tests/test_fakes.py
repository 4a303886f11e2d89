"""The in-process fake beside the embedder port: a whole flow in milliseconds, no model."""

from __future__ import annotations

import time

from bot.bootstrap import build
from bot.events import Incoming, Reply
from knowledge.answering.embeddings import HashEmbedder
from knowledge.answering.gate import AlwaysAnswer
from knowledge.answering.tutor import Tutor
from tests.conftest import settings_for

HANDBOOK = "# Lab handbook\n\n## Tools\n\nThe torque wrench is calibrated every 90 days.\n"


def test_the_fake_embedder_is_deterministic_and_puts_shared_terms_near():
    fake = HashEmbedder()
    a, b, c = fake.embed_passages(["torque wrench calibration", "calibrating the wrench", "月饼"])
    assert (fake.embed_query("torque wrench calibration") == a).all()
    assert float(a @ b) > float(a @ c)


async def test_a_question_through_the_core_with_fakes_only(tmp_path, core_for):
    doc = tmp_path / "handbook.md"
    doc.write_text(HANDBOOK, encoding="utf-8")
    app = build(
        settings_for(tmp_path / "home"),
        embedder=HashEmbedder(),
        second_embedder=HashEmbedder("hash-terms-2"),
        embedding_cache=tmp_path / "cache.sqlite",
    )
    assert not app.ingestor.ingest([doc]).failed
    # The gate is calibrated on the real encoders' similarities: the trivial gate stands in.
    core = await core_for(Tutor(app.retriever, app.tutor.writer, gate=AlwaysAnswer()))
    asked = Incoming(1, "How often is the torque wrench calibrated?")
    started = time.perf_counter()
    replies = [r async for r in core.respond(asked)]
    elapsed = time.perf_counter() - started
    answer = replies[-1]
    assert isinstance(answer, Reply) and "90 days" in answer.text and answer.citations
    print(f"answered through the core with fakes in {elapsed * 1000:.0f} ms")
