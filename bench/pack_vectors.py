"""Write the course pack's vectors into the package, so a fresh install answers at once.

    python -m bench.pack_vectors

Run it after changing the pack or the chunking; `tests/test_pipeline.py` fails while the
shipped vectors do not cover the pack's current passages.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bot.bootstrap import SHIPPED_VECTORS
from ingest.chunking import chunk_document
from ingest.loaders import load
from knowledge.answering.embeddings import BundledE5, BundledUSE, CachedEmbedder, write_shipped
from knowledge.answering.glossary import load_glossary, pack_dir
from knowledge.answering.text import configure_tokenizer, word_set
from knowledge.answering.write.extractive import sentence_texts


def pack_texts() -> list[str]:
    """The pack's passages and their sentences, as ingest embeds them."""
    chunks = [
        c
        for path in sorted(pack_dir().glob("*.md"))
        for c in chunk_document(load(path), path.name, "v")
    ]
    return [c.embedding_text() for c in chunks] + sentence_texts(c.text for c in chunks)


def pack_words() -> list[str]:
    """The pack's words, as the gate weighs them under the cross-language encoder (cut as a
    running bot cuts them, with the glossary's terms known to the tokenizer)."""
    configure_tokenizer(None, extra_words=load_glossary().zh_words())
    return sorted(set().union(*(word_set(text) for text in pack_texts())))


def main() -> int:
    with tempfile.TemporaryDirectory() as work:
        cache = Path(work) / "cache.sqlite"
        e5, use = CachedEmbedder(BundledE5(), cache), CachedEmbedder(BundledUSE(), cache)
        texts, vocabulary = pack_texts(), pack_words()
        write_shipped(pack_dir() / SHIPPED_VECTORS, [(e5, texts), (use, texts + vocabulary)])
    print(f"{len(texts)} passages and {len(vocabulary)} words -> {pack_dir() / SHIPPED_VECTORS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
