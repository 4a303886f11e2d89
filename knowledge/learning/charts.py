"""Progress charts as PNG bytes (the bot) or SVG (the web console), drawn off-screen.

Labels are competency titles in the reader's language and people's names as they are, so the
charts are set in Noto Sans SC (shipped by the `pylopdf-fonts-zh-cn` package, which also draws
Latin text): matplotlib's default font has no Chinese and would draw boxes. Both charts colour
a gap to target (target - mastery) on one scale; the history chart draws mastery over time
against the targets, dates on the alliance's clock.
"""

from __future__ import annotations

import io
import textwrap
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC
from functools import cache
from zoneinfo import ZoneInfo

import matplotlib
import numpy as np
import pylopdf_fonts_zh_cn
from matplotlib import dates as mdates
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from knowledge.records.models import MasteryPoint

from .mastery import HIGHEST
from .model import CompetencyModel

MAX_ROWS = 40  # trainees on one heat map
DPI = 110
GAPS = matplotlib.colormaps["RdYlGn_r"]  # red: far behind; green: at or past the target
GAP_NORM = TwoSlopeNorm(0.0, -HIGHEST, HIGHEST)
NO_TARGET = "#b8b8b8"
_SETTINGS = threading.RLock()  # rcParams are global: charts drawn in two threads take turns
LABELS = {  # (zh, en)
    "title": ("掌握程度与目标 · {category}", "Mastery against target · {category}"),
    "all": ("全部类别", "all categories"),
    "mastery": ("掌握程度", "mastery"),
    "target": ("目标", "target"),
    "untouched": ("未作答", "not yet answered"),
    "gap": ("离目标的差距（级）", "gap to target (levels)"),
    "heat": (
        "离目标的差距：最落后的 {shown}/{total} 名学员",
        "Gap to target: the {shown} of {total} trainees most behind",
    ),
    "heat_all": ("离目标的差距：全部 {total} 名学员", "Gap to target: all {total} trainees"),
    "history": ("掌握程度的变化 · {category}", "Mastery over time · {category}"),
    "target_dashed": ("目标（虚线）", "target (dashed)"),
    "date": ("日期（{zone}）", "date ({zone})"),
    "no_history": ("还没有作答", "No answers yet"),
}
LINES = matplotlib.colormaps["tab10"]  # one colour per competency, by its place in the model
_DATES = ["%Y", "%m-%d", "%m-%d", "%H:%M", "%H:%M", "%S.%f"]  # numbers only, in zh and en
_ZEROS = ["", "%Y", "%m-%d", "%m-%d", "%H:%M", "%H:%M"]  # a new day shows its date
_OFFSETS = ["", "%Y", "%Y-%m", "%Y-%m-%d", "%Y-%m-%d", "%Y-%m-%d %H:%M"]


def _say(key: str, lang: str, **values: object) -> str:
    zh, en = LABELS[key]
    return (zh if lang == "zh" else en).format(**values)


@cache
def font_family() -> str:
    """The bundled CJK font, registered with matplotlib once; its family name."""
    path = pylopdf_fonts_zh_cn.sans_path()
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


@contextmanager
def _cjk() -> Iterator[None]:
    family = [font_family(), "DejaVu Sans"]
    with _SETTINGS, matplotlib.rc_context({"font.family": "sans-serif", "font.sans-serif": family}):
        yield


def png(figure: Figure) -> bytes:
    """The figure as PNG, set in the bundled font (fonts are looked up as it is drawn)."""
    with _cjk():
        FigureCanvasAgg(figure)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI)
        return buffer.getvalue()


def svg(figure: Figure) -> bytes:
    """The figure as SVG, laid out in the bundled font; its text stays text (names can be
    found and read aloud), set by the browser in that family or its own CJK font."""
    with _cjk(), matplotlib.rc_context({"svg.fonttype": "none"}):
        buffer = io.BytesIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None})
        return buffer.getvalue()


def progress_png(
    model: CompetencyModel, category: str | None, mastery: dict[str, float], lang: str = "zh"
) -> bytes:
    return png(progress_figure(model, category, mastery, lang))


def progress_figure(
    model: CompetencyModel, category: str | None, mastery: dict[str, float], lang: str = "zh"
) -> Figure:
    """A bar per competency: mastery on the 1-5 scale coloured by its gap to the category's
    target (marked); competencies with no answer yet (absent from `mastery`) are hollow."""
    leaves = list(reversed(model.leaves()))  # first competency at the top
    targets = model.profile(category)
    with _cjk():
        figure = Figure(figsize=(7.0, 0.5 * len(leaves) + 1.8))
        ax = figure.add_subplot()
        ys = list(range(len(leaves)))
        for y, leaf in zip(ys, leaves, strict=True):
            target, score = targets.get(leaf.id, 0), mastery.get(leaf.id)
            if score is None:  # not drawn as level 1: there is nothing to show yet
                ax.text(0.1, y, _say("untouched", lang), va="center", fontsize="small",
                        color="#777777", style="italic")  # fmt: skip
                continue
            colour = GAPS(GAP_NORM(target - score)) if target else NO_TARGET
            ax.barh(y, min(HIGHEST, max(score, 1.0)), height=0.6, color=colour)  # 1-5 only
        marks = [(targets[leaf.id], y) for y, leaf in zip(ys, leaves, strict=True)
                 if targets.get(leaf.id)]  # fmt: skip
        if marks:
            xs, ms = zip(*marks, strict=True)
            ax.scatter(xs, ms, marker="|", s=420, linewidths=3, color="#222222", zorder=3)
        ax.set_yticks(ys, [_wrap(leaf.title(lang), lang) for leaf in leaves], fontsize="small")
        ax.set_xlim(0, HIGHEST + 0.25)  # a target of 5 stays whole
        ax.set_xticks([lv.n for lv in model.levels],
                      [f"{lv.n}\n{lv.name(lang)}" for lv in model.levels],
                      fontsize="x-small")  # fmt: skip
        name = model.categories[category].title(lang) if category in model.categories else None
        figure.suptitle(_say("title", lang, category=name or _say("all", lang)))
        ax.grid(axis="x", alpha=0.3)
        ax.legend(
            handles=[
                Patch(color=GAPS(GAP_NORM(1.5)), label=_say("mastery", lang)),
                Line2D([], [], color="#222222", marker="|", linestyle="", markersize=12,
                       markeredgewidth=3, label=_say("target", lang)),
            ],
            loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False,
            fontsize="small",
        )  # fmt: skip
        figure.tight_layout()
        return figure


def _wrap(text: str, lang: str) -> str:
    """A long English title on two lines (Chinese titles are short)."""
    return text if lang == "zh" else textwrap.fill(text, 30)


def _behind(gaps: dict[str, float]) -> float:
    return sum(max(0.0, g) for g in gaps.values()) / len(gaps) if gaps else 0.0


def heatmap_png(
    model: CompetencyModel, rows: list[tuple[str, dict[str, float]]], lang: str = "zh"
) -> bytes:
    return png(heatmap_figure(model, rows, lang))


def heatmap_figure(
    model: CompetencyModel, rows: list[tuple[str, dict[str, float]]], lang: str = "zh"
) -> Figure:
    """Trainees x competencies, coloured by gap (target - mastery); most behind at the top.

    `rows` holds (name, competency id -> gap); only the MAX_ROWS most behind are drawn.
    """
    leaves = model.leaves()
    shown = sorted(rows, key=lambda row: -_behind(row[1]))[:MAX_ROWS]
    grid = np.ma.masked_invalid(
        [[gaps.get(leaf.id, np.nan) for leaf in leaves] for _, gaps in shown]
    )
    with _cjk():
        figure = Figure(figsize=(7.0, 2.6 + 0.24 * max(1, len(shown))))
        ax = figure.add_subplot()
        if shown:
            image = ax.imshow(grid, cmap=GAPS, norm=GAP_NORM, aspect="auto")
            figure.colorbar(image, ax=ax, label=_say("gap", lang))
        ax.set_xticks(range(len(leaves)), [_wrap(leaf.title(lang), lang) for leaf in leaves],
                      rotation=35, ha="right", fontsize="small")  # fmt: skip
        names = [name.strip() or f"{n}" for n, (name, _) in enumerate(shown, 1)]
        ax.set_yticks(range(len(shown)), names, fontsize="small")
        key = "heat" if len(shown) < len(rows) else "heat_all"
        ax.set_title(_say(key, lang, shown=len(shown), total=len(rows)), fontsize="medium")
        figure.tight_layout()
        return figure


def history_figure(
    model: CompetencyModel,
    history: Mapping[str, Sequence[MasteryPoint]],
    lang: str = "zh",
    *,
    category: str | None = None,
    zone: str = "Asia/Shanghai",
) -> Figure:
    """A line per competency the trainee has answered on (`history`: competency id -> its
    values, oldest first), named in `lang`, on the 1-5 scale, with the category's target of
    each as a dashed line in its colour; dates on the clock of `zone`."""
    tz = ZoneInfo(zone)
    leaves = [leaf for leaf in model.leaves() if history.get(leaf.id)]
    colours = {leaf.id: LINES(n % LINES.N) for n, leaf in enumerate(model.leaves())}
    targets = model.profile(category)
    with _cjk():
        figure = Figure(figsize=(7.0, 4.2 + 0.22 * len(leaves)))
        ax = figure.add_subplot()
        handles: list[Line2D] = []
        for leaf in leaves:
            points = history[leaf.id]
            xs = np.array(
                [p.at.astimezone(UTC).replace(tzinfo=None) for p in points], dtype="datetime64[us]"
            )  # naive UTC: matplotlib reads datetime64 as UTC
            ys = [min(HIGHEST, max(p.score, 1.0)) for p in points]  # the 1-5 scale only
            colour = colours[leaf.id]
            (line,) = ax.plot(xs, ys, color=colour, marker="o", markersize=3, linewidth=1.6,
                              label=_wrap(leaf.title(lang), lang))  # fmt: skip
            handles.append(line)
            if target := targets.get(leaf.id):
                ax.axhline(target, color=colour, linestyle="--", linewidth=1, alpha=0.7)
        if not leaves:
            ax.text(0.5, 0.5, _say("no_history", lang), transform=ax.transAxes, ha="center",
                    va="center", color="#777777", style="italic")  # fmt: skip
            ax.set_xticks([])
        else:
            locator = mdates.AutoDateLocator(tz=tz, minticks=3, maxticks=7)  # type: ignore[no-untyped-call]
            ax.xaxis.set_major_locator(locator)
            ax.xaxis.set_major_formatter(
                mdates.ConciseDateFormatter(  # type: ignore[no-untyped-call]
                    locator, tz=tz, formats=_DATES, zero_formats=_ZEROS, offset_formats=_OFFSETS
                )
            )
            ax.xaxis.get_offset_text().set_fontsize("x-small")
            ax.set_xlabel(_say("date", lang, zone=zone), fontsize="small")
            if any(targets.get(leaf.id) for leaf in leaves):
                handles.append(Line2D([], [], color="#555555", linestyle="--",
                                      label=_say("target_dashed", lang)))  # fmt: skip
            ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2,
                      frameon=False, fontsize="small")  # fmt: skip
        ax.set_ylim(0.8, HIGHEST + 0.2)
        ax.set_yticks([lv.n for lv in model.levels],
                      [f"{lv.n} {lv.name(lang)}" for lv in model.levels],
                      fontsize="x-small")  # fmt: skip
        ax.tick_params(axis="x", labelsize="x-small")
        ax.grid(alpha=0.3)
        name = model.categories[category].title(lang) if category in model.categories else None
        figure.suptitle(_say("history", lang, category=name or _say("all", lang)))
        figure.tight_layout()
        return figure
