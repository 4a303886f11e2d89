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
from knowledge.answering.glossary import pack_dir
from knowledge.answering.write.extractive import sentence_texts


def pack_texts() -> list[str]:
    """The pack's passages and their sentences, as ingest embeds them."""
    chunks = [
        c
        for path in sorted(pack_dir().glob("*.md"))
        for c in chunk_document(load(path), path.name, "v")
    ]
    return [c.embedding_text() for c in chunks] + sentence_texts(c.text for c in chunks)


def main() -> int:
    with tempfile.TemporaryDirectory() as work:
        cache = Path(work) / "cache.sqlite"
        embedders = [CachedEmbedder(BundledE5(), cache), CachedEmbedder(BundledUSE(), cache)]
        texts = pack_texts()
        write_shipped(pack_dir() / SHIPPED_VECTORS, embedders, texts)
    print(f"{len(texts)} passages, {len(embedders)} models -> {pack_dir() / SHIPPED_VECTORS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
