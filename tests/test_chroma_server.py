"""The scale-out store: a real `chroma run` server on 127.0.0.1, shared by two workers."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.standins.chroma_server import ChromaServer, close_http_client

DIM = 384  # e5-small's: the first test's vectors fix the shared collection's dimension
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


def _other_process(conn, home: str, chroma_url: str, handbook: str) -> None:
    """A second bot process over the same Chroma server: loads, then removes, on request."""
    from bot.bootstrap import build
    from knowledge.answering.embeddings import HashEmbedder
    from tests.conftest import settings_for

    app = build(
        settings_for(Path(home), chroma_url=chroma_url),
        embedder=HashEmbedder(dim=DIM),  # the server's collection already holds e5's 384
        second_embedder=HashEmbedder("hash-second", 128),
        embedding_cache=Path(home) / "cache.sqlite",
    )
    for command in iter(conn.recv, "stop"):
        try:
            if command == "load":
                conn.send(app.ingestor.ingest([Path(handbook)]).count("added"))
            elif command == "remove":
                app.ingestor.remove(Path(handbook).name)
                conn.send(1)
        except Exception as error:  # noqa: BLE001 - told to the test, which fails with it
            conn.send(repr(error))
    close_http_client(app.store.client)


def test_another_process_sees_an_upload_and_a_removal_within_five_seconds(chroma, tmp_path):
    """Several bot processes over one Chroma server: what one loads or removes, the others
    search within 5 s, without a restart or a forced refresh."""
    import multiprocessing
    import time

    from bot.bootstrap import build
    from knowledge.answering.embeddings import HashEmbedder
    from tests.conftest import settings_for

    handbook = tmp_path / "handbook.md"
    handbook.write_text(HANDBOOK, encoding="utf-8")
    here = build(
        settings_for(tmp_path / "here", chroma_url=chroma.url),
        embedder=HashEmbedder(dim=DIM),
        second_embedder=HashEmbedder("hash-second", 128),
        embedding_cache=tmp_path / "here-cache.sqlite",
    )
    assert here.retriever.search("torque wrench calibrated", "en", 5) == []
    ctx = multiprocessing.get_context("spawn")
    ours, theirs = ctx.Pipe()
    other = ctx.Process(
        target=_other_process, args=(theirs, str(tmp_path / "there"), chroma.url, str(handbook))
    )
    other.start()
    try:

        def seconds_until(found: bool) -> float:
            started = time.monotonic()
            while time.monotonic() - started < 10:
                passages = here.retriever.search("torque wrench calibrated", "en", 5)
                if bool(passages) == found:
                    return time.monotonic() - started
                time.sleep(0.1)
            return float("inf")

        def done() -> object:
            assert ours.poll(120), "the other process did not answer"
            return ours.recv()

        ours.send("load")
        assert done() == 1
        assert seconds_until(found=True) < 5
        ours.send("remove")
        assert done() == 1
        assert seconds_until(found=False) < 5
    finally:
        ours.send("stop")
        other.join(30)
        close_http_client(here.store.client)
