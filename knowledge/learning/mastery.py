"""Mastery of a competency: an Elo-style score on the 1-5 proficiency scale.

Why Elo and not Bayesian Knowledge Tracing: every item carries a proficiency level and every
category's target is a level, so keeping mastery on that same scale lets it be compared with
the target directly ("2.4 of a target 3"), and an item's level acts as its difficulty. BKT
tracks a probability of "knowing" a skill and needs per-skill slip, guess and learning rates
fitted from data we do not have yet; this rule has no parameters to fit before the first answer.

A trainee whose mastery equals an item's level answers it right about 70% of the time. Each
answer moves mastery by k * (outcome - expected), with k large for the first few answers of a
competency and settling to a floor, so early estimates move fast and later ones stay steady.
"""

from __future__ import annotations

import math

START = 1.0  # mastery before any answer
LOWEST, HIGHEST = 0.0, 5.0
SLOPE = 1.7  # logistic slope, the usual scaling that makes it close to a normal ogive
OFFSET = 0.5  # at mastery == level the expected success is sigmoid(1.7 * 0.5) ~ 0.70
K_FLOOR = 0.25  # the smallest step factor, reached after 15 answers
K_HALF_LIFE = 5.0  # the step factor is 1 / (1 + attempts / 5) until it reaches the floor


def expected(mastery: float, level: int | float) -> float:
    """The chance that a trainee with this mastery answers an item of this level right."""
    return 1.0 / (1.0 + math.exp(-SLOPE * (mastery - level + OFFSET)))


def step(attempts: int) -> float:
    """How far one answer may move mastery, given how many answers came before."""
    return max(K_FLOOR, 1.0 / (1.0 + attempts / K_HALF_LIFE))


def update(mastery: float, attempts: int, level: int | float, correct: bool) -> float:
    """Mastery after one more answer to an item of `level` (`attempts` answers came before)."""
    moved = mastery + step(attempts) * (float(correct) - expected(mastery, level))
    return min(HIGHEST, max(LOWEST, moved))
