"""Progress charts as PNG bytes, drawn off-screen with matplotlib's Agg canvas.

Labels are competency codes (K1, S2, ...) and ASCII text only, so matplotlib's default font
draws them all: no CJK font is needed, and no "missing glyph" warning is raised.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

from .mastery import HIGHEST, START
from .model import CompetencyModel

MAX_ROWS = 40  # trainees on one heat map
DPI = 110


def _png(figure: Figure) -> bytes:
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def ascii_label(text: str, fallback: str) -> str:
    """The label with anything the default font may lack dropped, or `fallback` if empty."""
    kept = "".join(ch for ch in text if ch.isascii() and ch.isprintable()).strip()
    return kept or fallback


def progress_png(model: CompetencyModel, category: str | None, mastery: dict[str, float]) -> bytes:
    """Bars of mastery per competency (0-5) with the category's target levels marked."""
    leaves = model.leaves()
    targets = model.profile(category)
    codes = [leaf.code for leaf in leaves]
    scores = [mastery.get(leaf.id, START) for leaf in leaves]
    figure = Figure(figsize=(6.0, 3.6))
    ax = figure.add_subplot()
    behind = [scores[i] < targets.get(leaf.id, 0) for i, leaf in enumerate(leaves)]
    colours = ["#d9822b" if late else "#3b7dd8" for late in behind]
    ax.bar(codes, scores, color=colours, width=0.6, label="mastery")
    marks = [
        (c, targets[leaf.id]) for c, leaf in zip(codes, leaves, strict=True) if targets.get(leaf.id)
    ]
    if marks:
        xs, ys = zip(*marks, strict=True)
        ax.scatter(xs, ys, marker="_", s=900, linewidths=3, color="#222222",
                   label="target", zorder=3)  # fmt: skip
    ax.set_ylim(0, HIGHEST)
    ax.set_ylabel("level (1-5)")
    ax.set_title(f"Mastery vs target ({ascii_label(category or '', 'all categories')})")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="upper right", fontsize="small")
    figure.tight_layout()
    return _png(figure)


def _behind(gaps: dict[str, float]) -> float:
    return sum(max(0.0, g) for g in gaps.values()) / len(gaps) if gaps else 0.0


def heatmap_png(model: CompetencyModel, rows: list[tuple[str, dict[str, float]]]) -> bytes:
    """Trainees x competencies, coloured by gap (target - mastery); most behind at the top.

    `rows` holds (label, competency id -> gap); only the MAX_ROWS most behind are drawn.
    """
    leaves = model.leaves()
    shown = sorted(rows, key=lambda row: -_behind(row[1]))[:MAX_ROWS]
    grid = np.ma.masked_invalid(
        [[gaps.get(leaf.id, np.nan) for leaf in leaves] for _, gaps in shown]
    )
    figure = Figure(figsize=(6.0, 1.4 + 0.22 * max(1, len(shown))))
    ax = figure.add_subplot()
    if shown:
        image = ax.imshow(grid, cmap="RdYlGn_r", norm=TwoSlopeNorm(0.0, -HIGHEST, HIGHEST),
                          aspect="auto")  # fmt: skip
        figure.colorbar(image, ax=ax, label="gap to target (levels)")
    ax.set_xticks(range(len(leaves)), [leaf.code for leaf in leaves])
    labels = [ascii_label(label, f"trainee {n}") for n, (label, _) in enumerate(shown, 1)]
    ax.set_yticks(range(len(shown)), labels, fontsize="small")
    ax.set_title(f"Gap to target, {len(shown)} of {len(rows)} trainees most behind")
    figure.tight_layout()
    return _png(figure)
