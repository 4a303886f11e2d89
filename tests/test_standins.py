"""The stand-ins speak the protocols that the real clients expect."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import chromadb
import openai
import pytest
from chromadb.config import Settings
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI

from tests.standins import ChromaServer, FakeOpenAI, close_http_client, fake_embedding

MIXED_TEXT = "Standards cite clauses, 标准引用条款, and every clause has a number."


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def client(fake: FakeOpenAI) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=fake.base_url, api_key="test", max_retries=0) as c:
        yield c


def ask(client: openai.OpenAI, question: str = "hi", **kwargs: Any) -> Any:
    return client.chat.completions.create(
        model="fake", messages=[{"role": "user", "content": question}], **kwargs
    )


# --- OpenAI-compatible stand-in -----------------------------------------------------------


def test_queued_reply_reaches_the_openai_client(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    fake.enqueue("Clause 4.2 defines conformity.")

    completion = ask(client, "What is clause 4.2?")

    assert completion.object == "chat.completion"
    assert completion.choices[0].message.content == "Clause 4.2 defines conformity."
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None and completion.usage.completion_tokens == 4
    assert fake.requests[0]["messages"] == [{"role": "user", "content": "What is clause 4.2?"}]


def test_replies_come_in_queue_order_then_the_default(
    fake: FakeOpenAI, client: openai.OpenAI
) -> None:
    fake.enqueue("first")
    fake.enqueue("second")
    fake.default_reply = "fallback"

    answers = [ask(client).choices[0].message.content for _ in range(3)]

    assert answers == ["first", "second", "fallback"]
    assert len(fake.requests) == 3


def test_streamed_deltas_join_to_the_queued_text(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    fake.enqueue(MIXED_TEXT)

    chunks = list(ask(client, stream=True, stream_options={"include_usage": True}))

    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == MIXED_TEXT
    assert chunks[0].choices[0].delta.role == "assistant"
    assert len(chunks) > 4
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0


def test_error_status_surfaces_as_the_matching_openai_error(
    fake: FakeOpenAI, client: openai.OpenAI
) -> None:
    fake.enqueue("the model fell over", status=500)

    with pytest.raises(openai.InternalServerError, match="the model fell over"):
        ask(client)


def test_delayed_reply_trips_the_client_timeout(fake: FakeOpenAI) -> None:
    fake.enqueue("too late", delay=3)
    started = time.monotonic()

    with openai.OpenAI(base_url=fake.base_url, api_key="test", max_retries=0, timeout=0.3) as c:
        with pytest.raises(openai.APITimeoutError):
            ask(c)

    assert time.monotonic() - started < 2


def test_langchain_chat_openai_invokes_and_streams(fake: FakeOpenAI) -> None:
    model = ChatOpenAI(base_url=fake.base_url, api_key="test", model="fake", max_retries=0)
    fake.enqueue("An invoked answer.")
    fake.enqueue(MIXED_TEXT)
    messages = [SystemMessage("Cite clauses."), HumanMessage("What is a standard?")]

    invoked = model.invoke(messages)
    streamed = "".join(str(chunk.content) for chunk in model.stream("Stream it."))

    assert invoked.content == "An invoked answer."
    assert streamed == MIXED_TEXT
    assert fake.requests[0]["messages"] == [
        {"role": "system", "content": "Cite clauses."},
        {"role": "user", "content": "What is a standard?"},
    ]
    assert fake.requests[1]["stream"] is True


async def test_langchain_async_calls_work_too(fake: FakeOpenAI) -> None:
    model = ChatOpenAI(base_url=fake.base_url, api_key="test", model="fake", max_retries=0)
    fake.enqueue("An awaited answer.")
    fake.enqueue(MIXED_TEXT)

    invoked = await model.ainvoke("Await it.")
    streamed = "".join([str(chunk.content) async for chunk in model.astream("Stream it.")])

    assert invoked.content == "An awaited answer."
    assert streamed == MIXED_TEXT


def test_embeddings_are_deterministic(client: openai.OpenAI) -> None:
    texts = ["clause 4.2", "clause 4.2", "条款 5.1"]

    result = client.embeddings.create(model="fake", input=texts)  # base64 on the wire
    as_floats = client.embeddings.create(model="fake", input="clause 4.2", encoding_format="float")

    vectors = [item.embedding for item in result.data]
    assert {len(v) for v in vectors} == {8}
    assert vectors[0] == vectors[1] == as_floats.data[0].embedding == fake_embedding("clause 4.2")
    assert vectors[0] != vectors[2]


def test_models_list_and_unknown_paths(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    assert [m.id for m in client.models.list()] == ["fake"]

    with pytest.raises(urllib.error.HTTPError) as caught:
        _no_proxy_open(fake.base_url + "/nowhere")

    assert caught.value.code == 404
    assert "error" in json.loads(caught.value.read())
    caught.value.close()


# --- Chroma server ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chroma(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    with ChromaServer(tmp_path_factory.mktemp("chroma")) as server:
        yield server


def test_chroma_http_client_adds_queries_and_gets(chroma: ChromaServer) -> None:
    settings = Settings(anonymized_telemetry=False)
    client = chromadb.HttpClient(host=chroma.host, port=chroma.port, settings=settings)
    try:
        collection = client.create_collection("standins", embedding_function=None)
        collection.add(
            ids=["a", "b"],
            embeddings=[fake_embedding("clause a"), fake_embedding("clause b")],
            documents=["Clause A text", "Clause B text"],
            metadatas=[{"clause": "A"}, {"clause": "B"}],
        )

        nearest = collection.query(query_embeddings=[fake_embedding("clause b")], n_results=1)
        fetched = collection.get(ids=["a"])
    finally:
        close_http_client(client)

    assert nearest["ids"] == [["b"]]
    assert fetched["documents"] == ["Clause A text"]
    assert fetched["metadatas"] == [{"clause": "A"}]


def test_chroma_stop_frees_the_port(tmp_path: Path) -> None:
    server = ChromaServer(tmp_path).start()
    assert _port_open(server.port)

    server.stop()

    assert not _port_open(server.port)
    assert (tmp_path / "chroma-server.log").stat().st_size > 0


def test_chroma_start_timeout_raises_and_cleans_up(tmp_path: Path) -> None:
    server = ChromaServer(tmp_path)

    with pytest.raises(RuntimeError, match="did not answer"):
        server.start(timeout=0)

    assert not _port_open(server.port)


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _no_proxy_open(url: str) -> Any:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    return opener.open(url, timeout=5)
