"""A cohort's progress for instructors: mastery against targets, who is behind, weak items.

A gap is how far mastery falls short of a target level: max(0, target - mastery), so being
ahead on one competency never hides being behind on another. A trainee's gap is the mean over
the competencies their category targets (with no category: the mean target of all
categories); a competency untouched so far counts at the starting mastery.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from knowledge.records.reporting import CohortMastery, ItemStats

from .mastery import HIGHEST, START
from .model import Competency, CompetencyModel

FACILITY_HIGH, FACILITY_LOW = 0.95, 0.2  # flag items more or less often right than this
DISCRIMINATION_LOW = 0.2  # flag items that separate strong from weak trainees less than this
MIN_ANSWERS = 10  # facility flags need this many answers (discrimination needs as many)
BEHIND, WEAKEST, LISTED_ITEMS = 5, 3, 8


@dataclass(frozen=True)
class CompetencyLine:
    id: str
    code: str
    mastery: float  # mean over the cohort's trainees
    target: float  # mean target over the trainees whose category targets it
    gap: float  # mean shortfall of those trainees


@dataclass(frozen=True)
class TraineeGap:
    user_id: int
    name: str
    category: str | None
    gap: float  # mean shortfall over the targeted competencies
    gaps: dict[str, float]  # competency id -> target - mastery (negative when ahead)


@dataclass(frozen=True)
class FlaggedItem:
    stats: ItemStats
    reasons: tuple[str, ...]  # "easy", "hard", "discrimination"


@dataclass(frozen=True)
class CohortReport:
    cohort: str | None
    trainees: int
    attempts: int
    competencies: list[CompetencyLine]  # the model's leaves, in model order
    behind: list[TraineeGap]  # the trainees furthest behind, most first
    weakest: list[CompetencyLine]  # the competencies with the largest gap, largest first
    items: list[ItemStats]
    flagged: list[FlaggedItem]  # worst first
    ranking: list[TraineeGap] = field(repr=False)  # every trainee, most behind first

    def heat_rows(self, limit: int | None = None) -> list[tuple[str, dict[str, float]]]:
        """(label, gaps) of the trainees, most behind first, for `charts.heatmap_png` (which
        draws the ones furthest behind and says of how many)."""
        return [(_label(t), t.gaps) for t in self.ranking[:limit]]


def _label(t: TraineeGap) -> str:
    return t.name.strip() or f"#{t.user_id}"  # names as they are, Chinese included


def flags(st: ItemStats) -> tuple[str, ...]:
    """Why an item deserves a second look; empty when it looks fine."""
    found = []
    if st.answered >= MIN_ANSWERS and st.facility > FACILITY_HIGH:
        found.append("easy")
    if st.answered >= MIN_ANSWERS and st.facility < FACILITY_LOW:
        found.append("hard")
    if st.discrimination is not None and st.discrimination < DISCRIMINATION_LOW:
        found.append("discrimination")
    return tuple(found)


class _Person(NamedTuple):
    name: str
    category: str | None
    scores: dict[str, float]  # competency id -> mastery, for competencies answered on


def _worst(f: FlaggedItem) -> tuple[float, float]:
    """Misleading items (low or negative discrimination) first, then the most extreme."""
    st = f.stats
    separates = st.discrimination if "discrimination" in f.reasons else 1.0
    return separates or 0.0, -abs(st.facility - 0.5)


def _people(rows: list[CohortMastery]) -> dict[int, _Person]:
    people: dict[int, _Person] = {}
    for row in rows:
        person = people.setdefault(row.user_id, _Person(row.name, row.category, {}))
        if row.competency is not None and row.score is not None:
            person.scores[row.competency] = row.score
    return people


def _trainee_gap(user_id: int, person: _Person, targets: dict[str, int]) -> TraineeGap:
    gaps = {c: t - person.scores.get(c, START) for c, t in targets.items()}
    return TraineeGap(
        user_id, person.name, person.category, _mean([max(0.0, g) for g in gaps.values()]), gaps
    )


def _line(
    leaf: Competency, people: dict[int, _Person], ranking: list[TraineeGap]
) -> CompetencyLine:
    scores = [people[t.user_id].scores.get(leaf.id, START) for t in ranking]
    aimed = [
        (t.gaps[leaf.id], score)
        for t, score in zip(ranking, scores, strict=True)
        if leaf.id in t.gaps
    ]
    return CompetencyLine(
        leaf.id, leaf.code, _mean(scores) if scores else START,
        _mean([gap + score for gap, score in aimed]), _mean([max(0.0, gap) for gap, _ in aimed]),
    )  # fmt: skip


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


async def cohort_report(
    records: Any, model: CompetencyModel, cohort: str | None = None
) -> CohortReport:
    """The cohort's report (every trainee's with `cohort=None`)."""
    # two connections: PostgreSQL aggregates the answers while Python ranks the trainees
    rows, items = await asyncio.gather(records.cohort_mastery(cohort), records.item_stats(cohort))
    people = _people(rows)
    profiles = {
        category: {c: n for c, n in model.profile(category).items() if n > 0}
        for category in {person.category for person in people.values()}
    }
    ranking = [_trainee_gap(uid, p, profiles[p.category]) for uid, p in people.items()]
    ranking.sort(key=lambda t: (-t.gap, t.user_id))
    lines = [_line(leaf, people, ranking) for leaf in model.leaves()]
    weakest = sorted((x for x in lines if x.gap > 0), key=lambda x: (-x.gap, x.code))
    flagged = sorted((FlaggedItem(st, why) for st in items if (why := flags(st))), key=_worst)
    behind = [t for t in ranking[:BEHIND] if t.gap > 0]
    attempts = sum(st.answered for st in items)
    return CohortReport(
        cohort, len(people), attempts, lines, behind, weakest[:WEAKEST], items, flagged, ranking
    )


_TEXT = {
    "zh": {
        "title": "测验报告：{}", "everyone": "全部学员", "counts": "{} 名学员，{} 次作答",
        "none": "暂无作答。", "mastery": "掌握度／目标（平均）", "behind": "差距最大的学员",
        "weakest": "最薄弱的胜任力", "items": "需复查的题目", "more": "……另有 {} 题",
        "easy": "过易（{:.0%}答对）", "hard": "过难（{:.0%}答对）",
        "discrimination": "区分度低（{:.2f}）", "nocat": "未分类", "gap": "差距",
        "sep": "，",
    },
    "en": {
        "title": "Quiz report: {}", "everyone": "all trainees", "counts": "{} trainees, {} answers",
        "none": "No answers yet.", "mastery": "Mastery / target (mean)",
        "behind": "Furthest behind", "weakest": "Weakest competencies", "items": "Items to review",
        "more": "... and {} more", "easy": "too easy ({:.0%} right)",
        "hard": "too hard ({:.0%} right)", "discrimination": "low discrimination ({:.2f})",
        "nocat": "no category", "gap": "gap", "sep": ", ",
    },
}  # fmt: skip


def _why(f: FlaggedItem, t: dict[str, str]) -> str:
    st = f.stats
    value = {"easy": st.facility, "hard": st.facility, "discrimination": st.discrimination}
    return t["sep"].join(t[r].format(value[r]) for r in f.reasons)


def format_report(report: CohortReport, model: CompetencyModel, lang: str) -> str:
    """The report as short plain-text lines that fit a phone screen."""
    t = _TEXT["zh" if lang == "zh" else "en"]
    out = [t["title"].format(report.cohort or t["everyone"])]
    out.append(t["counts"].format(report.trainees, report.attempts))
    if not report.attempts:
        return "\n".join([*out, t["none"]])
    out += ["", t["mastery"]]
    for line in report.competencies:
        title = model.competencies[line.id].title(lang)
        shown = min(HIGHEST, max(1.0, line.mastery))  # never outside the 1-5 scale
        out.append(f"{line.code} {shown:.1f}/{line.target:.1f} {_cut(title)}")
    if report.behind:
        out += ["", t["behind"]]
        for n, who in enumerate(report.behind, 1):
            found = model.categories.get(who.category or "")
            kind = found.title(lang) if found else t["nocat"]
            out.append(f"{n}. {_cut(who.name, 16)} ({kind}) {t['gap']} {who.gap:.1f}")
    if report.weakest:
        out += ["", t["weakest"]]
        for line in report.weakest:
            title = _cut(model.competencies[line.id].title(lang))
            out.append(f"{line.code} {title} {t['gap']} {line.gap:.1f}")
    if report.flagged:
        out += ["", t["items"]]
        out += [f"{f.stats.item_id}: {_why(f, t)}" for f in report.flagged[:LISTED_ITEMS]]
        if len(report.flagged) > LISTED_ITEMS:
            out.append(t["more"].format(len(report.flagged) - LISTED_ITEMS))
    return "\n".join(out)


def _cut(text: str, size: int = 24) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"
