"""When to ask a question again: one FSRS card per trainee and question, kept as JSON.

A right answer rates the card Good, a wrong one Again. The scheduler has no minute-long
learning steps: quizzes are taken in sittings, not drilled, so a missed question comes back
the next day and a known one after a few days, growing with each right answer. Fuzzing is
off so that the same answers at the same times always give the same schedule.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fsrs import Card, Rating, Scheduler

SCHEDULER = Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)


def new_card(when: datetime) -> Card:
    """A card never reviewed, due at `when` (its id is derived from the time, not a clock)."""
    return Card(card_id=int(when.timestamp() * 1000), due=when)


def review(card_json: str | None, correct: bool, when: datetime) -> tuple[str, datetime]:
    """Review the card (a new one if None) at `when`; returns its JSON and its next due time."""
    if when.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous: pass a timezone-aware one")
    when = when.astimezone(UTC)
    card = Card.from_json(card_json) if card_json else new_card(when)
    rating = Rating.Good if correct else Rating.Again
    card, _log = SCHEDULER.review_card(card, rating, when)
    return card.to_json(), card.due.astimezone(UTC)
