"""Quizzes against the competency model: the model, the question bank, mastery and reviews."""

from pathlib import Path


def bank_dir() -> Path:
    """The bundled question bank: YAML files, imported on the first start."""
    return Path(__file__).resolve().parent / "bank"
