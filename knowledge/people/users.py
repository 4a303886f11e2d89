"""A person as the tutor knows them, and the choices their fields may take."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from knowledge.vocabulary import CATEGORIES, LANGS

from .roles import ROLES


@dataclass(frozen=True)
class User:
    id: int  # the Telegram user id
    name: str
    role: str
    cohort: str | None
    category: str | None
    lang: str | None
    pending: str | None  # a small JSON document for an unfinished conversational step
    created_at: datetime


def check_choice(kind: str, value: object, choices: tuple[str, ...], optional: bool) -> None:
    """Raise ValueError unless `value` is one of `choices` (or None when optional)."""
    if value is None and optional:
        return
    if value not in choices:
        raise ValueError(f"unknown {kind} {value!r}; expected one of {', '.join(choices)}")


def validate(**values: object) -> None:
    """Raise ValueError for a role, category or lang among `values` that is not a known one
    (a role is required; category and lang may be None). Other fields are not checked."""
    if "role" in values:
        check_choice("role", values["role"], ROLES, optional=False)
    if "category" in values:
        check_choice("category", values["category"], CATEGORIES, optional=True)
    if "lang" in values:
        check_choice("lang", values["lang"], LANGS, optional=True)
