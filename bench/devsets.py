"""The three dev sets through the production stages, each scored as `stdtutor eval` scores it.

    python -m bench.devsets [--cache PATH] [--failures] [--dump DIR]

The course pack (`evals/devset.jsonl`), `shared/devcorpus` and `shared/devcorpus2`. With
`--dump`, each set's traces are written as JSONL (for fitting the gate and sentence scorer).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

from bench.devcorpus import SHARED
from knowledge.answering.evaluation import contains_all, format_report, load_questions, score
from knowledge.answering.glossary import pack_dir
from knowledge.answering.tutor import trace

ROOT = Path(__file__).resolve().parents[1]
MARKUP = ("**", "__", "[=", "=]", "<dfn", "</", "{{", "}}", ":doc:", ":ref:", "`", ".. _", "|---")
_MID_SENTENCE = re.compile(r"^(?:\(Quoted[^)]*\) |（以下摘自英文资料）)?[a-z]")


def answer_flaws(answers: list[dict]) -> tuple[int, int]:
    """(answers with leftover markup, answer lines that start mid-sentence)."""
    markup = sum(any(m in a["answer"] for m in MARKUP) for a in answers if not a["abstained"])
    fragments = sum(
        bool(_MID_SENTENCE.match(line))
        for a in answers
        if not a["abstained"]
        for line in a["answer"].splitlines()
    )
    return markup, fragments


def dev_sets() -> list[tuple[str, Path, Path]]:
    """(name, folder or files to ingest, questions) of each dev set that is here."""
    sets = [("course pack", pack_dir(), ROOT / "evals" / "devset.jsonl")]
    for name in ("devcorpus", "devcorpus2"):
        if (SHARED / name).is_dir():
            sets.append((name, SHARED / name / "corpus", SHARED / name / "questions.jsonl"))
    return sets


def run_set(work: Path, name: str, corpus: Path, questions_path: Path, cache: Path):
    from bench.run import make_app

    app = make_app(work / name.replace(" ", "-"), cache)
    app.ingestor.ingest([corpus])
    questions = load_questions(questions_path)

    from knowledge.answering.write.llm import context

    k = app.retriever.settings.passages

    async def ask_all() -> list[dict]:
        out = []
        for q in questions:
            traced = await trace(app.tutor, q["question"])
            given = context(replace(traced.retrieved, passages=traced.retrieved.passages[:k]))
            out.append({**traced.to_json(), "llm_context": [p.chunk.text for p in given]})
        return out

    return questions, asyncio.run(ask_all())


def llm_ceiling(questions: list[dict], answers: list[dict]) -> tuple[float, float, float]:
    """The LLM path's ceiling: the share of answerable questions whose passages handed to the
    model hold every key fact; with the passages and characters given, on average."""
    given = [
        (contains_all("\n".join(a["llm_context"]), q["must_contain"]), a["llm_context"])
        for q, a in zip(questions, answers, strict=True)
        if q["kind"] != "out_of_scope"
    ]
    n = len(given) or 1
    return (
        sum(found for found, _ in given) / n,
        sum(len(texts) for _, texts in given) / n,
        sum(len("".join(texts)) for _, texts in given) / n,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cache", type=Path, help="embedding cache (kept between runs)")
    parser.add_argument("--failures", action="store_true")
    parser.add_argument("--dump", type=Path, help="write each set's traces here")
    parser.add_argument("--only", help="run only the set of this name")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="stdtutor-devsets-"))
    cache = args.cache or work / "cache.sqlite"
    try:
        for name, corpus, questions_path in dev_sets():
            if args.only and name != args.only:
                continue
            questions, answers = run_set(work, name, corpus, questions_path, cache)
            report = score(questions, answers)
            print(format_report(report, label=f"{name}: {len(questions)} questions"), flush=True)
            markup, fragments = answer_flaws(answers)
            print(
                f"answers with leftover markup: {markup}; lines starting mid-sentence: {fragments}"
            )
            recall, count, chars = llm_ceiling(questions, answers)
            print(
                f"LLM path: key facts in the passages given to the model {recall:.1%} "
                f"({count:.1f} passages, {chars:.0f} characters on average)"
            )
            if args.failures:
                for failure in report.failures:
                    print(f"  {failure['id']} ({failure['kind']}): {failure['why']}")
            if args.dump:
                args.dump.mkdir(parents=True, exist_ok=True)
                with open(args.dump / f"{name.replace(' ', '-')}.jsonl", "w") as out:
                    for q, a in zip(questions, answers, strict=True):
                        out.write(json.dumps({"q": q, "a": a}, ensure_ascii=False) + "\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
