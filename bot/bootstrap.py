"""The composition root: builds every part from settings; tests override parts by keyword."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.core import ChatCore, Policy
from bot.settings import Settings
from ingest.pipeline import Ingestor
from ingest.questions import import_file
from knowledge.answering.canonical import CanonicalIndex
from knowledge.answering.embeddings import (
    BundledE5,
    BundledUSE,
    CachedEmbedder,
    Embedder,
    Encoders,
    OpenAIEmbedder,
)
from knowledge.answering.glossary import Glossary, load_glossary, pack_files
from knowledge.answering.retrieval import Retriever
from knowledge.answering.store import ChunkStore, open_client
from knowledge.answering.text import configure_tokenizer
from knowledge.answering.tutor import Tutor
from knowledge.answering.write.extractive import ExtractiveWriter
from knowledge.answering.write.llm import LLMWriter, chat_model
from knowledge.learning import bank_dir
from knowledge.learning.model import CompetencyModel, load_model
from knowledge.records import Records


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
    glossary = glossary or load_glossary()
    configure_tokenizer(home / "cache", extra_words=glossary.zh_words())
    cache_path = embedding_cache or settings.embedding_cache or home / "cache" / "embeddings.sqlite"
    cached = CachedEmbedder(embedder or _embedder(settings), cache_path)
    second = None
    if second_embedder is not None or settings.second_encoder:
        second = CachedEmbedder(second_embedder or BundledUSE(), cache_path)
    store = store or ChunkStore(open_client(home / "chroma", settings.chroma_url))
    retriever = Retriever(store, cached, glossary, second=second)
    if llm is None and settings.llm_enabled:
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
        store, encoders, settings.max_upload_mb * 1024 * 1024, lambda: retriever.refresh(force=True)
    )
    return App(settings, store, cached, retriever, tutor, ingestor)


def _embedder(settings: Settings) -> Embedder:
    if settings.embeddings_model:
        return OpenAIEmbedder(
            settings.embeddings_model, settings.openai_base_url, settings.api_key, 60.0
        )
    return BundledE5()


def policy(settings: Settings) -> Policy:
    return Policy(
        access=settings.access,
        admin_ids=settings.admins,
        per_minute=settings.questions_per_minute,
        per_day=settings.questions_per_day,
        max_download_bytes=settings.max_download_bytes,
        invite_uses=settings.invite_uses,
        invite_days=settings.invite_days,
    )


async def open_core(app: App, records: Records | None = None) -> ChatCore:
    """The chat core over `app`, with the learner records opened (and migrated) first, and
    the bundled question bank imported into them on the first start."""
    records = records or await Records.open(app.settings.records_url)
    canonical = CanonicalIndex(app.embedder)
    canonical.load(await records.canonicals())
    model = load_model()
    await ensure_bank(records, model)
    core = ChatCore(app.tutor, records, app.ingestor, policy(app.settings), canonical)
    core.model = model
    return core


async def ensure_bank(records: Records, model: CompetencyModel) -> None:
    """On the first start, the bundled question bank goes into the records."""
    if not await records.items(None):
        for path in sorted(bank_dir().glob("*.yaml")):
            report = import_file(path, set(model.competencies), pack_files())
            await records.upsert_items(report.questions)
