"""Refit the gate (knowledge/answering/gate.py) and the sentence scorer (write/extractive.py).

    python -m bench.calibrate [--cache PATH]

Both are logistic models over signals the production stages compute. The gate is fitted as a
plain logistic regression (answerable or not); the sentence scorer as a choice among rivals
(the softmax over the sentences competing for one part of a question puts its weight on the
sentences that hold a key fact), with an intercept fitted after, so its likelihood is on the
gate's scale. Each is fitted three times on two dev sets and reported on the third (how it
carries over to documents it has not seen), then once on all three: those are the weights to
paste into the code.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.devsets import dev_sets
from bench.run import make_app
from knowledge.answering.ask import ask
from knowledge.answering.evaluation import contains_all, load_questions
from knowledge.answering.gate import THRESHOLD, Evidence, EvidenceGate, gather
from knowledge.answering.retrieval import Retrieved
from knowledge.answering.write.extractive import ExtractiveWriter, candidates, clause_features


@dataclass
class Case:
    question: dict
    retrieved: Retrieved


def collect(work: Path, cache: Path) -> dict[str, list[Case]]:
    out: dict[str, list[Case]] = {}
    for name, corpus, questions_path in dev_sets():
        app = make_app(work / name.replace(" ", "-"), cache)
        app.ingestor.ingest([corpus])
        cases = []
        for q in load_questions(questions_path):
            condensed = asyncio.run(app.tutor.condenser.condense(ask(q["question"]), ()))
            cases.append(Case(q, app.retriever.retrieve(condensed)))
        out[name] = cases
    return out


def fit(x: np.ndarray, y: np.ndarray, l2: float = 0.01, steps: int = 4000) -> np.ndarray:
    """Logistic regression by gradient descent, the two classes weighted equally."""
    w = np.zeros(x.shape[1])
    positives = max(y.sum(), 1)
    negatives = max((y == 0).sum(), 1)
    balance = np.where(y == 0, len(y) / (2 * negatives), len(y) / (2 * positives))
    for _ in range(steps):
        p = 1 / (1 + np.exp(-x @ w))
        grad = x.T @ ((p - y) * balance) / len(y) + l2 * np.r_[0, w[1:]]
        w -= 0.5 * grad
    return w


def fit_choice(
    groups: list[tuple[np.ndarray, np.ndarray]], l2: float = 0.01, steps: int = 3000
) -> np.ndarray:
    """Conditional logit: for each group (the sentences competing for one part of a question,
    with at least one that holds a key fact), maximise the softmax weight on those that do.
    Features constant within a group (the first, the bias) drop out; the intercept is then
    fitted alone, balanced as `fit` balances, on the groups' scores."""
    usable = [(x, y) for x, y in groups if 0 < y.sum() and len(y) > 1]
    w = np.zeros(usable[0][0].shape[1]) if usable else np.zeros(1)
    for _ in range(steps):
        grad = np.zeros_like(w)
        for x, y in usable:
            z = x @ w
            p = np.exp(z - z.max())
            p /= p.sum()
            q = p * y / (p * y).sum()
            grad += x.T @ (p - q)
        w -= 0.5 * (grad / max(len(usable), 1) + l2 * np.r_[0, w[1:]])
    x = np.vstack([x for x, _ in groups])
    y = np.concatenate([y for _, y in groups])
    z = x[:, 1:] @ w[1:]
    balance = np.where(
        y == 0, len(y) / (2 * max((y == 0).sum(), 1)), len(y) / (2 * max(y.sum(), 1))
    )
    b = 0.0
    for _ in range(500):
        b -= 0.5 * float(np.mean((1 / (1 + np.exp(-(z + b))) - y) * balance))
    w[0] = b
    return w


def gate_rows(
    cases: list[Case], sentence_weights: tuple[float, ...]
) -> tuple[np.ndarray, np.ndarray]:
    rows = [gather(c.retrieved, sentence_weights=sentence_weights).features() for c in cases]
    labels = [0.0 if c.question["kind"] == "out_of_scope" else 1.0 for c in cases]
    return np.array(rows), np.array(labels)


def sentence_groups(cases: list[Case]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per part of each answerable question: its rival sentences' features, and which of them
    hold a key fact."""
    out = []
    for case in cases:
        must = case.question["must_contain"]
        if not must:
            continue
        r = case.retrieved
        pool = candidates(r.passages, r.similar, r.dense)
        for part in clause_features(pool, r.query, r.passages):
            if part:
                holds = [any(contains_all(s.text, [m]) for m in must) for s in part]
                out.append((np.array(list(part.values())), np.array(holds, dtype=float)))
    return out


def outcome(cases: list[Case], gate: EvidenceGate, writer: ExtractiveWriter) -> dict[str, float]:
    facts, oos, wrongly = [], [], []
    for case in cases:
        q, r = case.question, case.retrieved
        answered = gate.decide(r).answer
        if q["kind"] == "out_of_scope":
            oos.append(not answered)
            continue
        wrongly.append(not answered)
        facts.append(answered and contains_all(writer.write(r).answer, q["must_contain"]))
    return {
        "facts": float(np.mean(facts)),
        "oos refused": float(np.mean(oos)) if oos else float("nan"),
        "wrongly refused": float(np.mean(wrongly)),
    }


def weights(w: np.ndarray) -> tuple[float, ...]:
    return tuple(round(float(v), 3) for v in w)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cache", type=Path, help="embedding cache (kept between runs)")
    parser.add_argument("--threshold", type=float, default=THRESHOLD)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="stdtutor-calibrate-"))
    try:
        sets = collect(work, args.cache or work / "cache.sqlite")
        names = list(sets)
        print(f"{'held out':<14}{'facts':>8}{'oos refused':>13}{'wrongly refused':>17}")
        for held in names:
            train = [c for n in names if n != held for c in sets[n]]
            sw = weights(fit_choice(sentence_groups(train)))
            gw = fit(*gate_rows(train, sw))
            result = outcome(
                sets[held],
                EvidenceGate(weights(gw), args.threshold, sw),
                ExtractiveWriter(weights=sw),
            )
            print(
                f"{held:<14}{result['facts']:>8.2f}{result['oos refused']:>13.2f}"
                f"{result['wrongly refused']:>17.2f}"
            )
        everything = [c for n in names for c in sets[n]]
        sw = weights(fit_choice(sentence_groups(everything)))
        gw = fit(*gate_rows(everything, sw))
        print("fitted on all three, reported on each:")
        gate = EvidenceGate(weights(gw), args.threshold, sw)
        writer = ExtractiveWriter(weights=sw)
        for name in names:
            result = outcome(sets[name], gate, writer)
            print(
                f"{name:<14}{result['facts']:>8.2f}{result['oos refused']:>13.2f}"
                f"{result['wrongly refused']:>17.2f}"
            )
        print(f"WEIGHTS = {weights(gw)}  # {', '.join(Evidence.NAMES)}")
        print(f"SENTENCE_WEIGHTS = {sw}")
        x, y = gate_rows(everything, sw)
        print("threshold  oos refused / wrongly refused (all three)")
        for t in np.arange(0.3, 0.75, 0.05):
            answer = 1 / (1 + np.exp(-x @ gw)) >= t
            print(f"  {t:.2f}  {(~answer[y == 0]).mean():.2f} / {(~answer[y == 1]).mean():.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
