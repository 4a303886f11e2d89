"""Shared fixtures: apps built on temporary data directories, the bundled pack loaded once."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

from bot.bootstrap import App, build
from bot.core import ChatCore
from bot.services import Policy, Services
from bot.settings import Settings
from ingest.pipeline import Ingestor
from knowledge.answering.canonical import CanonicalIndex
from knowledge.answering.embeddings import Encoders
from knowledge.answering.glossary import pack_dir
from knowledge.answering.tutor import Tutor
from knowledge.learning.model import load_model
from knowledge.records import Records
from knowledge.records.engine import MIGRATIONS
from tests.postgres import POSTGRES_URL, RecordsDB, postgres_schema

_ENV = (
    "STDTUTOR_HOME",
    "CHROMA_URL",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_MODEL",
    "EMBEDDINGS_MODEL",
    "TELEGRAM_BOT_TOKEN",
    "LLM_TIMEOUT",
)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never pick up a developer's settings."""
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # RetryAfter without a deprecation warning


@pytest.fixture
def records_url(tmp_path: Path) -> str:
    """Learner records in a SQLite file of the test's own."""
    return f"sqlite+aiosqlite:///{tmp_path / 'records.sqlite'}"


@pytest.fixture(scope="session")
def embedding_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One embedding cache for the whole run: the real model embeds each text once."""
    return tmp_path_factory.mktemp("embeddings") / "embeddings.sqlite"


def settings_for(home: Path, **overrides) -> Settings:
    return Settings(_env_file=None, stdtutor_home=home, **overrides)  # type: ignore[call-arg]


@pytest.fixture
def make_app(tmp_path: Path, embedding_cache: Path) -> Callable[..., App]:
    """Build a fresh app on its own data directory (keyword arguments override settings)."""

    def factory(home: Path | None = None, llm=None, embedder=None, **overrides) -> App:
        settings = settings_for(home or tmp_path / "home", **overrides)
        return build(settings, llm=llm, embedder=embedder, embedding_cache=embedding_cache)

    return factory


@pytest.fixture(scope="session")
def pack_app(tmp_path_factory: pytest.TempPathFactory, embedding_cache: Path) -> App:
    """An app with the bundled course pack loaded (shared: tests must not change it)."""
    home = tmp_path_factory.mktemp("pack-home")
    app = build(settings_for(home), embedding_cache=embedding_cache)
    report = app.ingestor.ingest([pack_dir()])
    assert not report.failed, [r.error for r in report.failed]
    return app


class CountingEmbedder:
    """The real bundled model, counting how many passages it is asked to embed."""

    def __init__(self) -> None:
        from knowledge.answering.embeddings import BundledE5

        self.inner = BundledE5()
        self.name = self.inner.name
        self.embedded = 0

    def embed_passages(self, texts):
        self.embedded += len(texts)
        return self.inner.embed_passages(texts)

    def embed_query(self, text):
        return self.inner.embed_query(text)

    def embed_queries(self, texts):
        return self.inner.embed_queries(texts)


@pytest.fixture
async def core_for(tmp_path: Path):
    """Chat cores over a tutor, with their own SQLite records (open access unless told)."""
    opened: list[Records] = []

    async def factory(tutor: Tutor, ingestor: Ingestor | None = None, **policy) -> ChatCore:
        records = await Records.open(f"sqlite+aiosqlite:///{tmp_path / f'records{len(opened)}.db'}")
        opened.append(records)
        policy.setdefault("access", "open")
        retriever = tutor.retriever
        if ingestor is None:  # the library the tutor reads from
            second = [retriever.second] if retriever.second else []
            encoders = Encoders(retriever.embedder, *second)
            refresh = lambda: retriever.refresh(force=True)  # noqa: E731
            ingestor = Ingestor(retriever.store, encoders, 20 * 1024 * 1024, refresh)
        canonical = CanonicalIndex(retriever.embedder, retriever.second, retriever.glossary)
        return ChatCore(
            Services(tutor, records, ingestor, canonical, load_model(), Policy(**policy))
        )

    yield factory
    for records in opened:
        await records.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def records_db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[RecordsDB]:
    """An empty database: a temporary SQLite file, or a throwaway PostgreSQL schema."""
    if request.param == "sqlite":
        yield RecordsDB(f"sqlite:///{tmp_path / 'records.sqlite'}")
        return
    async with postgres_schema() as schema:
        yield RecordsDB(POSTGRES_URL, schema)


@pytest.fixture
async def records(records_db: RecordsDB) -> AsyncIterator[Records]:
    """An opened store on `records_db`, closed after the test."""
    store = await records_db.open()
    try:
        yield store
    finally:
        await store.close()


def upgrade_to(revision: str) -> Callable[[Connection], None]:
    """For `connection.run_sync`: migrate the records' schema up to `revision` (a migration
    test's starting point)."""

    def run(connection: Connection) -> None:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    return run
