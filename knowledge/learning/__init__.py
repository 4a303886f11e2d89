"""Learning: the competency model, the question bank, and the rules of mastery (Elo), reviews
(FSRS) and choosing the next question, as plain code. `practice.record_answer` runs them on
an answer inside one unit of work of the records, which only read and write."""

from pathlib import Path


def bank_dir() -> Path:
    """The bundled question bank: YAML files, imported on the first start."""
    return Path(__file__).resolve().parent / "bank"
