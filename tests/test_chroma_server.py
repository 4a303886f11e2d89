"""The scale-out store: a real `chroma run` server on 127.0.0.1, shared by two workers."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.standins.chroma_server import ChromaServer, close_http_client

HANDBOOK = "# Lab handbook\n\n## Calibration\n\nThe torque wrench is calibrated every 90 days."


@pytest.fixture(scope="module")
def chroma(tmp_path_factory: pytest.TempPathFactory):
    with ChromaServer(tmp_path_factory.mktemp("chroma-server")) as server:
        yield server


@pytest.fixture
def workers(make_app, chroma, tmp_path: Path):
    """Two app instances with their own data directories, one Chroma server between them."""
    apps = [make_app(home=tmp_path / f"worker{i}", chroma_url=chroma.url) for i in (1, 2)]
    yield apps
    for app in apps:
        close_http_client(app.store.client)


async def test_ingest_ask_and_remove_through_a_chroma_server(workers, tmp_path):
    loader, other = workers
    handbook = tmp_path / "handbook.md"
    handbook.write_text(HANDBOOK, encoding="utf-8")

    assert loader.ingestor.ingest([handbook]).count("added") == 1
    assert loader.ingestor.ingest([handbook]).count("unchanged") == 1

    # The other worker sees the same materials, and builds its own lexical index from them.
    other.retriever.refresh(force=True)
    answer = await other.tutor.answer("How often is the torque wrench calibrated?")
    assert not answer.abstained and "90 days" in answer.answer
    assert answer.citations[0].doc == "handbook.md"

    loader.ingestor.remove("handbook.md")
    other.retriever.refresh(force=True)
    assert other.store.documents() == []
    assert other.retriever.search("torque wrench calibration", "en", 5) == []
