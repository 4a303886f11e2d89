"""Roles, in rising order of rights: each role may do what those below it may."""

from __future__ import annotations

ROLES = ("trainee", "instructor", "admin")


def may(role: str, least: str) -> bool:
    """Whether someone of `role` may do what needs at least `least`."""
    return ROLES.index(role) >= ROLES.index(least)


def higher(role: str, other: str) -> str:
    """The higher of two roles: what a person keeps when offered another (never lowered)."""
    return max(role, other, key=ROLES.index)
