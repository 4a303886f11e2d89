"""The composition root: builds every part from settings; tests override parts by keyword."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.settings import Settings
from ingest.pipeline import Ingestor
from ingest.sandbox import Limits
from knowledge.answering.embeddings import (
    BundledE5,
    BundledUSE,
    CachedEmbedder,
    Embedder,
    Encoders,
    OpenAIEmbedder,
)
from knowledge.answering.glossary import Glossary, load_glossary, pack_dir, pack_files
from knowledge.answering.retrieval import Retriever
from knowledge.answering.store import ChunkStore, open_client
from knowledge.answering.text import configure_tokenizer
from knowledge.answering.tutor import Tutor
from knowledge.answering.write.extractive import ExtractiveWriter
from knowledge.errors import StdTutorError

if TYPE_CHECKING:  # each imported where it is used: `stdtutor ask` needs no chat core
    from bot.core import ChatCore
    from bot.services import Policy
    from knowledge.answering.write.llm import LLMWriter
    from knowledge.learning.model import CompetencyModel
    from knowledge.records import Records

SHIPPED_VECTORS = "vectors.npz"  # the course pack's vectors, made by `python -m bench.pack_vectors`


@dataclass
class App:
    settings: Settings
    store: ChunkStore
    embedder: CachedEmbedder
    retriever: Retriever
    tutor: Tutor
    ingestor: Ingestor


def build(
    settings: Settings | None = None,
    *,
    embedder: Embedder | None = None,
    store: ChunkStore | None = None,
    glossary: Glossary | None = None,
    llm: LLMWriter | None = None,
    embedding_cache: Path | None = None,
    second_embedder: Embedder | None = None,
) -> App:
    settings = settings or Settings()
    home = settings.stdtutor_home
    if not home.exists():  # learner data: readable by this user only
        home.mkdir(parents=True, mode=0o700)
    glossary = glossary or load_glossary()
    configure_tokenizer(home / "cache", extra_words=glossary.zh_words())
    cache_path = embedding_cache or settings.embedding_cache or home / "cache" / "embeddings.sqlite"
    shipped = pack_dir() / SHIPPED_VECTORS
    cached = CachedEmbedder(embedder or _embedder(settings), cache_path, shipped=shipped)
    second = None
    if second_embedder is not None or settings.second_encoder:
        second = CachedEmbedder(second_embedder or BundledUSE(), cache_path, shipped=shipped)
    store = store or ChunkStore(open_client(home / "chroma", settings.chroma_url))
    retriever = Retriever(store, cached, glossary, second=second)
    if llm is None and settings.llm_enabled:
        from knowledge.answering.write.llm import LLMWriter, chat_model

        model = chat_model(
            settings.openai_model, settings.openai_base_url, settings.api_key, settings.llm_timeout
        )
        llm = LLMWriter(model)
    tutor = Tutor(
        retriever,
        ExtractiveWriter(glossary=glossary),
        llm,
        llm_timeout=settings.llm_timeout,
        max_question_chars=settings.max_question_chars,
    )
    encoders = Encoders(cached, *([second] if second else []))
    ingestor = Ingestor(
        store,
        encoders,
        settings.max_upload_mb * 1024 * 1024,
        lambda: retriever.refresh(force=True),
        Limits(settings.read_memory_mb, settings.read_seconds),
        pending=home / "pending",  # uploads waiting for "Replace" or "Cancel"
    )
    return App(settings, store, cached, retriever, tutor, ingestor)


def _embedder(settings: Settings) -> Embedder:
    if settings.embeddings_model:
        return OpenAIEmbedder(
            settings.embeddings_model, settings.openai_base_url, settings.api_key, 60.0
        )
    return BundledE5()


def policy(settings: Settings) -> Policy:
    from bot.services import Policy

    return Policy(
        access=settings.access,
        admin_ids=settings.admins,
        per_minute=settings.questions_per_minute,
        per_day=settings.questions_per_day,
        max_download_bytes=settings.max_download_bytes,
        invite_uses=settings.invite_uses,
        invite_days=settings.invite_days,
        invite_staff_uses=settings.invite_staff_uses,
        invite_staff_days=settings.invite_staff_days,
        timezone=str(ZoneInfo(settings.timezone)),  # an unknown zone fails here, at start
    )


async def open_core(app: App, records: Records | None = None) -> ChatCore:
    """The chat core over `app`, with the learner records opened (and migrated) first, and
    the bundled question bank imported into them on the first start."""
    from bot.core import ChatCore
    from bot.flows.canonicals import reload
    from bot.services import Services
    from knowledge.answering.canonical import CanonicalIndex
    from knowledge.learning.model import load_model

    records = records or await open_records(app.settings.records_url)
    canonical = CanonicalIndex(app.embedder, app.retriever.second, app.retriever.glossary)
    await reload(records, canonical)  # noting the version, for keep_current
    model = load_model()
    await ensure_bank(records, model)
    services = Services(
        app.tutor, records, app.ingestor, canonical, model, policy(app.settings),
        web_url=app.settings.console_url,  # where /console's sign-in links point
    )  # fmt: skip
    return ChatCore(services)


async def ensure_bank(records: Records, model: CompetencyModel) -> None:
    """On the first start, the bundled question bank goes into the records."""
    from ingest.questions import import_file
    from knowledge.learning import bank_dir

    if not await records.items(None):
        for path in sorted(bank_dir().glob("*.yaml")):
            report = import_file(path, set(model.competencies), pack_files())
            await records.upsert_items(report.questions)


class StartupError(StdTutorError):
    """Something the bot needs at start-up is not there (records, Telegram): one clear line."""


async def open_records(url: str) -> Records:
    """The learner records, or a StartupError naming the database (never its password)."""
    from knowledge.records import Records

    try:
        return await Records.open(url)
    except Exception as error:  # noqa: BLE001 - any failure to open is a start-up failure
        shown = safe_url(url)
        detail = (str(error).strip().splitlines() or [""])[0].replace(url, shown)[:300]
        password = _password(url)
        if password:
            detail = detail.replace(password, "***")
        reason = f"{type(error).__name__}: {detail}" if detail else type(error).__name__
        raise StartupError(f"cannot open the learner records at {shown} ({reason})") from None


async def check_records(url: str) -> None:
    """Fail early, before any slow work, when the records cannot be opened."""
    await (await open_records(url)).close()


def safe_url(url: str) -> str:
    """A database URL fit to show: the password hidden (or nothing of an unreadable URL)."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001
        return "DATABASE_URL (not a database URL)"


def _password(url: str) -> str | None:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).password
    except Exception:  # noqa: BLE001
        return None
