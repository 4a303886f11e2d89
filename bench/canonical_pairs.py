"""Canonical answers across languages: which translations a cross-language rule serves, and
which near questions (another body, another status, another question word) it wrongly serves.

    python -m bench.canonical_pairs [--pairs PATH]

Each line of the pair file is a question and another in the other language: a translation
(`"kind": "translation"`), which one canonical answer should serve, or a near pair (`"near"`)
that asks something else and must not be served. The rule is the one `CanonicalIndex` applies:
the same numbers, codes, asked shapes and glossary terms (`comparable`), then the cosine of the
cross-language encoder (USE) at or above a threshold. For each threshold: translations served,
near pairs served; the threshold kept is the lowest that serves no near pair.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from knowledge.answering.canonical import Vocabulary, comparable, cosine, wording
from knowledge.answering.embeddings import BundledUSE, Embedder, HashEmbedder
from knowledge.answering.glossary import load_glossary

PAIRS = Path(__file__).with_name("canonical_pairs.jsonl")
THRESHOLDS = [round(0.50 + 0.02 * i, 2) for i in range(24)]  # 0.50 … 0.96


def load_pairs(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def measure(pairs: list[dict[str, str]], use: Embedder) -> list[tuple[str, bool, float]]:
    """(kind, passes the exact checks, USE cosine) for each pair."""
    vocabulary = Vocabulary(load_glossary())
    within = HashEmbedder()  # e5's cosine plays no part across languages
    rows = []
    for pair in pairs:
        a, b = (wording(within, pair[side], vocabulary) for side in ("a", "b"))
        score = cosine(use.embed_query(pair["a"]), use.embed_query(pair["b"]))
        rows.append((pair["kind"], comparable(a, b), score))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", type=Path, default=PAIRS)
    args = parser.parse_args(argv)
    rows = measure(load_pairs(args.pairs), BundledUSE())
    kinds = {"translation": "translations", "near": "near pairs"}
    total = {k: sum(1 for kind, _, _ in rows if kind == k) for k in kinds}
    print(f"canonical answers across languages: {args.pairs.name}")
    print(f"  {total['translation']} translation pairs, {total['near']} near pairs")
    for kind, label in kinds.items():
        scores = [s for k, _, s in rows if k == kind]
        passing = [s for k, ok, s in rows if k == kind and ok]
        spread = f"{min(scores):.2f}-{max(scores):.2f}" if scores else "-"
        print(
            f"  {label:<13} same numbers, codes, shapes and terms {len(passing)}/{total[kind]}"
            f"   USE cosine {spread}"
        )
    print(f"  {'threshold':>9}  {'translations served':>19}  {'near pairs served':>17}")
    chosen: tuple[float, int] | None = None
    for threshold in THRESHOLDS:
        served = {
            k: sum(1 for kind, ok, s in rows if kind == k and ok and s >= threshold) for k in kinds
        }
        print(
            f"  {threshold:>9.2f}  {served['translation']:>13}/{total['translation']:<5}"
            f"  {served['near']:>11}/{total['near']:<5}"
        )
        if chosen is None and served["near"] == 0:
            chosen = (threshold, served["translation"])
    if chosen is None:
        print("  no threshold serves no near pair")
    else:
        print(
            f"  chosen {chosen[0]:.2f}: the lowest with no near pair served, "
            f"translations served {chosen[1]}/{total['translation']}"
        )
    near = [s for kind, ok, s in rows if kind == "near" and ok]
    if near:
        print(f"  highest USE cosine of a near pair passing the exact checks {max(near):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
