"""The competency model: proficiency levels, competencies and the six talent categories.

The model is data (competency_model.yaml beside this file). load_model checks a file and
reports every problem at once, each as "FILE:LINE: reason" (lines from the composed YAML nodes).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

BUNDLED = Path(__file__).with_name("competency_model.yaml")
DIMENSIONS = ("knowledge", "skill", "attribute")


@dataclass(frozen=True)
class Level:
    n: int
    zh: str
    en: str
    meaning_zh: str
    meaning_en: str

    def name(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class Competency:
    id: str
    code: str  # human coding scheme, e.g. "K1"
    parent: str | None
    dimension: str  # one of DIMENSIONS
    title_zh: str
    title_en: str
    descriptors: dict[int, tuple[str, str]]  # level -> (zh, en); empty for a group
    prerequisites: tuple[str, ...]
    source_doc: str | None  # the course-pack file it is assessed from

    def title(self, lang: str) -> str:
        return self.title_zh if lang == "zh" else self.title_en

    def descriptor(self, level: int, lang: str) -> str:
        zh, en = self.descriptors[level]
        return zh if lang == "zh" else en


@dataclass(frozen=True)
class Category:
    id: str  # one of CATEGORIES
    title_zh: str
    title_en: str
    targets: dict[str, int]  # leaf competency id -> target level 1-5

    def title(self, lang: str) -> str:
        return self.title_zh if lang == "zh" else self.title_en


@dataclass(frozen=True)
class CompetencyModel:
    id: str
    version: str
    title_zh: str
    title_en: str
    levels: tuple[Level, ...]
    competencies: dict[str, Competency]  # in file order
    categories: dict[str, Category]
    description_zh: str = ""
    description_en: str = ""

    def leaves(self) -> list[Competency]:
        """The assessable competencies (some category targets them), in file order."""
        targeted = {cid for category in self.categories.values() for cid in category.targets}
        return [c for c in self.competencies.values() if c.id in targeted]

    def target(self, category: str | None, competency_id: str) -> int:
        """The category's target level; 0 when untargeted, or with no (or an unknown) category."""
        found = self.categories.get(category) if category else None
        return found.targets.get(competency_id, 0) if found else 0

    def profile(self, category: str | None) -> dict[str, int]:
        """Leaf id -> target level. With no (or an unknown) category: the mean over categories."""
        if category in self.categories:
            return {c.id: self.target(category, c.id) for c in self.leaves()}
        return {c.id: self._mean_target(c.id) for c in self.leaves()}

    def _mean_target(self, competency_id: str) -> int:
        """The mean target of the categories that target it, rounded half up."""
        levels = [t for c in self.categories.values() if (t := c.targets.get(competency_id, 0))]
        return int(sum(levels) / len(levels) + 0.5) if levels else 0


class ModelError(ValueError):
    """A competency model file is broken; problems holds every "FILE:LINE: reason"."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(f"competency model: {count}\n" + "\n".join(self.problems))


def load_model(path: Path | None = None) -> CompetencyModel:
    """Load and check a competency model file (default: the bundled one)."""
    from knowledge.learning.model_file import read_model  # the YAML reading and checking

    return read_model(Path(path) if path is not None else BUNDLED)
