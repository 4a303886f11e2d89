"""`make bench`: quality against a naive baseline, latency, ingest speed and memory, in one run.

Every speed figure is printed beside its baseline measured in the same run, as a ratio,
because absolute numbers on a shared 2-core machine are noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import resource
import shutil
import tempfile
import time
from pathlib import Path

from bench import quiz_load, telegram_load
from bench.baseline import NaiveRAG
from bench.devsets import dev_sets
from bot.bootstrap import App, build
from bot.settings import Settings
from ingest.chunking import chunk_document
from ingest.loaders import SUFFIXES, load
from ingest.pipeline import expand
from knowledge.answering.embeddings import BundledE5, BundledUSE
from knowledge.answering.evaluation import load_questions, percentile, score
from knowledge.answering.glossary import pack_dir
from knowledge.answering.tutor import trace
from knowledge.answering.write.extractive import sentence_texts

ROOT = Path(__file__).resolve().parents[1]


def make_app(home: Path, cache: Path | None = None) -> App:
    settings = Settings(_env_file=None, stdtutor_home=home)  # type: ignore[call-arg]
    return build(settings, embedding_cache=cache)


def files_in(folder: Path) -> list[Path]:
    """The loadable files of a folder (the pack's folder also holds its vectors)."""
    return [path for path, _ in expand([folder]) if path.suffix.lower() in SUFFIXES]


def ask_all(app: App, questions: list[dict]) -> list[dict]:
    async def run() -> list[dict]:
        return [(await trace(app.tutor, q["question"])).to_json() for q in questions]

    return asyncio.run(run())


def answer_all(app: App, questions: list[dict]) -> list[dict]:
    """As production answers: no deeper retrieval for measuring."""

    async def run() -> list[dict]:
        return [(await app.tutor.answer(q["question"])).to_json() for q in questions]

    return asyncio.run(run())


def quality(
    work: Path, name: str, files: list[Path], questions: list[dict], cache: Path
) -> list[str]:
    """Dev-set scores of this pipeline and of the naive baseline, side by side."""
    app = make_app(work / name, cache)
    app.ingestor.ingest(files)
    ours = score(questions, ask_all(app, questions))
    naive = NaiveRAG(files, app.embedder)
    theirs = score(questions, [naive.answer(q["question"]) for q in questions])
    rows = [f"{name} ({len(questions)} questions)      pipeline   naive"]

    def row(label: str, a: float | None, b: float | None) -> None:
        fmt = lambda v: "   -  " if v is None else f"{v:6.2f}"  # noqa: E731
        rows.append(f"  {label:<34}{fmt(a)}   {fmt(b)}")

    row("key facts in top-5 passages", ours.overall.evidence.get(5), None)
    row("key facts given to the writer", ours.overall.context, None)
    row("gold doc in top-5 citations", ours.overall.doc_hit, theirs.overall.doc_hit)
    row("in-scope answers with key facts", ours.overall.facts, theirs.overall.facts)
    for kind in ("fact", "multi", "cross_lang"):
        if kind in ours.per_kind:
            row(f"  {kind}: key facts", ours.per_kind[kind].facts, theirs.per_kind[kind].facts)
    row("out-of-scope refused", ours.out_of_scope_refused, theirs.out_of_scope_refused)
    row("in-scope wrongly refused", ours.in_scope_wrongly_refused, theirs.in_scope_wrongly_refused)
    return rows


def scale_corpus(dest: Path, target_chunks: int, files: list[Path]) -> list[Path]:
    """Real text for the scale figures: the given files, then Python's own docs up to size."""
    dest.mkdir(parents=True, exist_ok=True)
    copies = [Path(shutil.copy(f, dest / f.name)) for f in files]
    from pydoc_data.topics import topics  # the language reference, shipped with CPython

    chunks = sum(len(chunk_document(load(p), p.name, "v")) for p in copies)
    for topic, text in sorted(topics.items()):
        if chunks >= target_chunks:
            break
        path = dest / f"python_{topic}.txt"
        path.write_text(text, encoding="utf-8")
        copies.append(path)
        chunks += len(chunk_document(load(path), path.name, "v"))
    return copies


def speed(work: Path, target_chunks: int, base: list[Path], questions: list[dict]) -> list[str]:
    files = scale_corpus(work / "scale-corpus", target_chunks, base)
    # The baseline: the models used, embedding exactly what ingest embeds (each passage and
    # its sentences, under both encoders), with nothing else around them.
    chunks_read = [c for p in files for c in chunk_document(load(p), p.name, "v")]
    texts = [c.embedding_text() for c in chunks_read]
    texts += sentence_texts(c.text for c in chunks_read)
    started = time.perf_counter()
    for engine in (BundledE5(), BundledUSE()):
        for start in range(0, len(texts), 16):
            engine.embed_passages(texts[start : start + 16])
    raw_rate = len(chunks_read) / (time.perf_counter() - started)

    app = make_app(work / "scale-home")  # its own, empty embedding cache
    started = time.perf_counter()
    report = app.ingestor.ingest(files)
    first = time.perf_counter() - started
    started = time.perf_counter()
    again = app.ingestor.ingest(files)
    second = time.perf_counter() - started
    assert not report.failed and again.count("unchanged") == len(files)
    chunks = app.retriever.chunk_count
    ingest_rate = chunks / first

    answer_all(app, questions[:5])  # warm caches as a running bot would have them
    latencies = [a["ms"] for a in answer_all(app, questions)]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return [
        f"scale: {len(files)} files, {chunks} chunks",
        f"  ask latency, extractive      p50 {percentile(latencies, 50):6.1f} ms   "
        f"p95 {percentile(latencies, 95):6.1f} ms   ({len(latencies)} questions)",
        f"  ingest rate                  {ingest_rate:6.2f} chunks/s   raw engine "
        f"{raw_rate:6.2f} chunks/s   ratio {ingest_rate / raw_rate:.2f}",
        f"  re-ingest unchanged          {second:6.2f} s   first ingest {first:6.1f} s   "
        f"ratio {first / max(second, 1e-9):.0f}x faster",
        f"  peak memory (RSS)            {peak_mb:6.0f} MB",
    ]


def trainees_load(work: Path, cache: Path, questions: list[dict], trainees: int, each: int):
    app = make_app(work / "load-home", cache)
    app.ingestor.ingest([pack_dir()])
    asks = [q["question"] for q in questions if q["kind"] != "out_of_scope"]
    return telegram_load.load(app, work, asks, trainees, each).lines()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chunks", type=int, default=1000, help="scale corpus size")
    parser.add_argument("--quick", action="store_true", help="a tiny run (tests the harness)")
    parser.add_argument("--cache", type=Path, help="embedding cache for the quality part")
    parser.add_argument("--trainees", type=int, default=200, help="simulated Telegram users")
    parser.add_argument("--each", type=int, default=5, help="questions each trainee asks")
    parser.add_argument(
        "--records-url",
        default="postgresql://postgres@127.0.0.1:5432/test",
        help="database for the quiz-records figures (a throwaway schema is used)",
    )
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="stdtutor-bench-"))
    try:
        print(
            f"machine: {platform.platform()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}"
        )
        pack_questions = load_questions(ROOT / "evals" / "devset.jsonl")
        pack_files = files_in(pack_dir())
        sets = [(name, files_in(corpus), load_questions(qs)) for name, corpus, qs in dev_sets()]
        if args.quick:  # the alliance pages and their questions only
            alliance = [f for f in pack_files if f.name.startswith("alliance")]
            names = {f.name for f in alliance}
            quick = [q for q in pack_questions if q["doc"] in names][:8] + [
                q for q in pack_questions if q["kind"] == "out_of_scope"
            ][:4]
            sets = [("course pack (alliance pages)", alliance, quick)]
        all_questions = [q for _, _, qs in sets for q in qs]
        cache = args.cache or work / "quality-cache.sqlite"
        for name, files, questions in sets:
            print("\n".join(quality(work, name, files, questions, cache)), flush=True)
        base = [f for _, files, _ in sets for f in files]
        if args.quick:
            chunks = 0
        else:
            chunks = args.chunks
        print("\n".join(speed(work, chunks, base, all_questions)), flush=True)
        # The loads run last, so the peak memory above is the index's and the answers' alone.
        trainees, each = (10, 2) if args.quick else (args.trainees, args.each)
        load_lines = trainees_load(work, cache, pack_questions, trainees, each)
        print("\n".join(load_lines), flush=True)
        quiz_args = ["--quick"] if args.quick else []
        quiz_load.main([*quiz_args, "--url", args.records_url])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
