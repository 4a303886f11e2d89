"""The progress chart and the report's heat map draw Chinese names and labels: the bundled
CJK font has every glyph (matplotlib's missing-glyph warning is an error here)."""

from __future__ import annotations

import io
import warnings

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from knowledge.learning import charts
from knowledge.learning.model import load_model

MODEL = load_model()
PNG = b"\x89PNG\r\n\x1a\n"


def _labels(figure: Figure) -> list[str]:
    ticks = [t for ax in figure.axes for t in ax.get_xticklabels() + ax.get_yticklabels()]
    return [t.get_text().replace("\n", " ") for t in ticks]  # long English titles wrap


def test_the_default_font_would_miss_chinese_glyphs():
    """The check below can fail: without the bundled font, Chinese is drawn as boxes."""
    figure = Figure()
    figure.text(0.5, 0.5, "离目标的差距", family="DejaVu Sans")
    FigureCanvasAgg(figure)
    with pytest.warns(UserWarning, match="missing from font"):
        figure.savefig(io.BytesIO(), format="png")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_both_charts_render_names_and_titles_with_no_missing_glyph(lang):
    leaves = MODEL.leaves()
    mastery = {leaves[0].id: 2.4, leaves[1].id: 0.3}  # the rest not yet answered
    rows = [
        ("王芳", {leaf.id: 1.5 for leaf in leaves}),
        ("欧阳 娜娜", {leaves[0].id: -0.5}),
        ("Ann Lee", {leaves[2].id: 3.0}),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font(s)" fails the test
        progress = charts.progress_figure(MODEL, "international", mastery, lang)
        heat = charts.heatmap_figure(MODEL, rows, lang)
        pictures = [charts.png(progress), charts.png(heat)]
    titles = [leaf.title(lang) for leaf in leaves]
    assert set(titles) <= set(_labels(progress)) and set(titles) <= set(_labels(heat))
    assert {"王芳", "欧阳 娜娜", "Ann Lee"} <= set(_labels(heat))  # names as they are
    assert not any(leaf.code in _labels(progress) for leaf in leaves)  # no codes (K1, I1)
    texts = [t.get_text() for t in progress.axes[0].texts]
    assert texts.count("未作答" if lang == "zh" else "not yet answered") == len(leaves) - 2
    level_ticks = _labels(progress)[: len(MODEL.levels)]
    assert level_ticks[1] == ("2 理解" if lang == "zh" else "2 Understand")
    assert all(p.startswith(PNG) and len(p) > 5000 for p in pictures)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_heat_map_title_counts_the_whole_cohort(lang):
    leaf = MODEL.leaves()[0].id
    many = [(f"t{n}", {leaf: n / 50}) for n in range(90)]  # more than one chart holds
    big = charts.heatmap_figure(MODEL, many, lang).axes[0].get_title()
    small = charts.heatmap_figure(MODEL, many[:3], lang).axes[0].get_title()
    assert "40" in big and "90" in big  # the 40 most behind, of all 90
    assert "3" in small and "40" not in small  # everyone fits: "all 3"
    assert ("全部" if lang == "zh" else "all") in small
