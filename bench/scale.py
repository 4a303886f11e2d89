"""A library that grows: the project's own store and retriever as documents are added.

    python -m bench.scale [--sizes 10000,50000,100000,200000] [--per-doc 200]

Documents of `--per-doc` passages of real words (sentences of the course pack and the dev
corpora, shuffled into new passages) with synthetic vectors (the hashed-terms fake, for both
encoders: the model's speed is measured in `bench/run.py`, not here) go into an embedded
Chroma one at a time, as uploads would. At each size: how long the newest document took to
become searchable (the retriever's refresh after its catalog switch: it should not grow with
the library), search p50/p95 over the course pack's questions, and peak memory. Targets at
100,000 passages: search p95 < 250 ms, peak memory < 2 GB; nothing fails at 200,000.
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from bench.devsets import dev_sets
from bench.run import ROOT, files_in
from ingest.chunking import chunk_document
from ingest.loaders import load
from knowledge.answering.ask import ask
from knowledge.answering.embeddings import CachedEmbedder, HashEmbedder
from knowledge.answering.evaluation import load_questions, percentile
from knowledge.answering.glossary import load_glossary
from knowledge.answering.models import Chunk, DocumentInfo
from knowledge.answering.retrieval import Retriever
from knowledge.answering.store import ChunkStore, open_client
from knowledge.answering.text import sentences
from knowledge.vocabulary import detect_lang

P95_TARGET_MS, MEMORY_TARGET_MB = 250, 2048


def real_sentences() -> list[str]:
    """Every sentence of the course pack and the dev corpora."""
    out: list[str] = []
    for _, corpus, _ in dev_sets():
        for path in files_in(corpus):
            for chunk in chunk_document(load(path), path.name, "v"):
                out += [s for s in sentences(chunk.text) if len(s) > 20]
    return out


def document(n: int, pool: list[str], per_doc: int, rng: random.Random):
    """A synthetic document: `per_doc` passages of 3 to 6 real sentences each."""
    doc_id, version = f"scale{n:06d}", f"v{n:06d}"
    texts = [" ".join(rng.sample(pool, rng.randint(3, 6))) for _ in range(per_doc)]
    lang = "zh" if sum(detect_lang(t) == "zh" for t in texts) * 2 > len(texts) else "en"
    chunks = [
        Chunk(
            f"{doc_id}:{version}:{i}",
            doc_id,
            f"{doc_id}.md",
            f"Scale {n}",
            "",
            None,
            detect_lang(t),
            t,
            i,
        )  # fmt: skip
        for i, t in enumerate(texts)
    ]
    info = DocumentInfo(
        doc_id, f"{doc_id}.md", f"Scale {n}", lang, len(chunks),
        datetime.now(UTC).isoformat(timespec="seconds"), version, version,
    )  # fmt: skip
    return chunks, info


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(work: Path, sizes: list[int], per_doc: int, questions: list[str]) -> list[str]:
    rng = random.Random(5)
    pool = real_sentences()
    store = ChunkStore(open_client(work / "chroma"))
    cache = work / "vectors.sqlite"
    first = CachedEmbedder(HashEmbedder("hash-first", 384), cache)
    second = CachedEmbedder(HashEmbedder("hash-second", 512), cache)
    retriever = Retriever(store, first, load_glossary(), second=second)
    lines = [
        f"library scale: documents of {per_doc} passages, synthetic vectors, real words",
        f"  {'passages':>9} {'documents':>9} {'newest searchable':>18} {'search p50':>11} "
        f"{'search p95':>11} {'peak memory':>12}",
    ]
    print(*lines, sep="\n", flush=True)
    added = 0
    for size in sizes:
        refresh: list[float] = []
        while added * per_doc < size:
            chunks, info = document(added, pool, per_doc, rng)
            store.add_chunks(
                chunks, first.inner.embed_passages([c.text for c in chunks]), info.version
            )
            store.activate(info)
            started = time.perf_counter()
            retriever.refresh(force=True)
            refresh.append(time.perf_counter() - started)
            added += 1
        assert retriever.chunk_count == added * per_doc
        latencies = []
        for text in questions:
            started = time.perf_counter()
            retriever.retrieve(ask(text))
            latencies.append((time.perf_counter() - started) * 1000)
        newest = float(np.median(refresh[-5:]))
        lines.append(
            f"  {added * per_doc:>9,} {added:>9} {newest:>16.2f} s "
            f"{percentile(latencies, 50):>8.0f} ms {percentile(latencies, 95):>8.0f} ms "
            f"{peak_mb():>9.0f} MB"
        )
        print(lines[-1], flush=True)
    lines.append(
        f"  targets at 100,000: search p95 < {P95_TARGET_MS} ms, peak memory < "
        f"{MEMORY_TARGET_MB} MB; searchable within 5 s (refresh every "
        f"{retriever.settings.refresh_seconds:.0f} s plus the time above)"
    )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,50000,100000,200000")
    parser.add_argument("--per-doc", type=int, default=200)
    parser.add_argument("--questions", type=int, default=60)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    questions = [q["question"] for q in load_questions(ROOT / "evals" / "devset.jsonl")]
    work = Path(tempfile.mkdtemp(prefix="stdtutor-scale-"))
    try:
        lines = run(work, sizes, args.per_doc, questions[: args.questions])
        print(lines[-1])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
