"""Refit the answer/refuse model (knowledge/evidence.py) on the dev sets and show its effect.

    python -m bench.calibrate     # fit on both dev sets: the course pack and the real corpus

Prints the fitted weights (to paste into knowledge/evidence.py) and, for a range of
thresholds, the share of out-of-scope questions refused and of in-scope ones wrongly refused.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

import numpy as np

from bench.run import DEVCORPUS, ROOT, files_in, make_app
from knowledge.evaluation import load_questions
from knowledge.evidence import Evidence, gather
from knowledge.glossary import pack_dir
from knowledge.text import detect_lang


def features(work: Path, files: list[Path], questions: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    app = make_app(work, work.parent / "cache.sqlite")
    app.ingestor.ingest(files)
    rows, labels = [], []
    for q in questions:
        lang = detect_lang(q["question"])
        query = app.retriever.analyse(q["question"])
        passages = app.retriever.search(q["question"], lang, 5, query)
        rows.append(gather(query, lang, passages).features())
        labels.append(0.0 if q["kind"] == "out_of_scope" else 1.0)
    return np.array(rows), np.array(labels)


def fit(x: np.ndarray, y: np.ndarray, l2: float = 0.01, steps: int = 20000) -> np.ndarray:
    """Logistic regression by gradient descent; out-of-scope questions weigh as much as the rest."""
    w = np.zeros(x.shape[1])
    balance = np.where(y == 0, len(y) / (2 * max((y == 0).sum(), 1)), len(y) / (2 * y.sum()))
    for _ in range(steps):
        p = 1 / (1 + np.exp(-x @ w))
        grad = x.T @ ((p - y) * balance) / len(y) + l2 * np.r_[0, w[1:]]
        w -= 0.5 * grad
    return w


def rates(x: np.ndarray, y: np.ndarray, w: np.ndarray, threshold: float) -> tuple[float, float]:
    answer = 1 / (1 + np.exp(-x @ w)) >= threshold
    refused_oos = float((~answer[y == 0]).mean()) if (y == 0).any() else float("nan")
    wrongly = float((~answer[y == 1]).mean())
    return refused_oos, wrongly


def main() -> int:
    argparse.ArgumentParser(description=__doc__).parse_args()
    work = Path(tempfile.mkdtemp(prefix="stdtutor-calibrate-"))
    try:
        pack = features(
            work / "pack", files_in(pack_dir()), load_questions(ROOT / "evals/devset.jsonl")
        )
        corpus = features(
            work / "corpus",
            files_in(DEVCORPUS / "corpus"),
            load_questions(DEVCORPUS / "questions.jsonl"),
        )
        # Both sets together: the pack alone over-fits to text we wrote ourselves.
        w = fit(np.vstack([pack[0], corpus[0]]), np.r_[pack[1], corpus[1]])
        names = ("bias",) + tuple(Evidence.__dataclass_fields__)
        print("WEIGHTS = (" + ", ".join(f"{v:.3f}" for v in w) + ")  # " + ", ".join(names))
        print("threshold  pack: oos refused / wrongly refused   corpus: oos refused / wrongly")
        for threshold in np.arange(0.3, 0.75, 0.05):
            a, b = rates(*pack, w, threshold)
            c, d = rates(*corpus, w, threshold)
            print(f"  {threshold:.2f}  {a:16.2f} / {b:5.2f}  {c:25.2f} / {d:5.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
