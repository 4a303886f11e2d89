"""Recording an answer: the learning rules, run by this service inside one unit of work.

The records only read and write (`Records.answering`); what an answer means is decided here:
whether it is right, how mastery of each competency moves (Elo, `mastery.py`), and when the
question comes back (FSRS, `schedule.py`). An answer counts once: a second one to the same
question of a session (a double tap, a retried poll) changes nothing and returns None.
"""

from __future__ import annotations

from datetime import UTC, datetime

from knowledge.learning import mastery as elo
from knowledge.learning.schedule import review
from knowledge.records import AnswerResult, Records


async def record_answer(
    records: Records,
    *,
    session_id: int,
    item_id: str,
    user_id: int,
    response: tuple[int, ...] | str,
    seconds: float,
    now: datetime | None = None,
) -> AnswerResult | None:
    """Record an answer and learn from it, all in one transaction.

    None when the session is unknown (or not the user's), the item was not asked in it, or
    this item of the session was already answered.
    """
    now = now or datetime.now(UTC)
    async with records.answering() as work:
        question = await work.asked(session_id, item_id, user_id)
        if question is None:
            return None
        correct = question.is_correct(response)
        attempt_id = await work.add_attempt(
            user_id=user_id, item_id=item_id, session_id=session_id, response=response,
            correct=correct, seconds=seconds, at=now,
        )  # fmt: skip
        if attempt_id is None:
            return None
        after: dict[str, float] = {}
        for competency in sorted(set(question.competencies)):  # one lock order: no deadlocks
            before = await work.mastery(user_id, competency, fresh=elo.START)
            score = elo.update(before.score, before.attempts, question.level, correct)
            await work.set_mastery(user_id, competency, score, before.attempts + 1, now)
            after[competency] = score
        card, due = review(await work.card(user_id, item_id, now), correct, now)
        await work.set_card(user_id, item_id, card, due)
        score, answered, size = await work.close_item(session_id, item_id, now)
        return AnswerResult(attempt_id, item_id, correct, after, score, answered, answered >= size)
