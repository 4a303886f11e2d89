"""Canonical answers kept up: reworded or retired in the records and in the index that serves
them, in one step, so the next question gets what the records say."""

from __future__ import annotations

import asyncio
from typing import Protocol

from knowledge.answering.canonical import CanonicalIndex
from knowledge.records import Canonical, Records


class Needs(Protocol):
    records: Records
    canonical: CanonicalIndex


async def revise(
    services: Needs, canonical_id: int, question: str, answer: str
) -> Canonical | None:
    """New wording of a canonical answer in force, served from the next question on; None if
    there is no such answer (or it was retired)."""
    revised = await services.records.edit_canonical(
        canonical_id, question=question.strip(), answer=answer.strip()
    )
    if revised is not None:
        await asyncio.to_thread(services.canonical.replace, revised)
    return revised


async def retire(services: Needs, canonical_id: int) -> bool:
    """Stop serving a canonical answer (the records keep it, marked retired): the question goes
    back to retrieval. False if there was no such answer in force."""
    retired = await services.records.retire_canonical(canonical_id)
    services.canonical.remove(canonical_id)  # whatever the records said: never served retired
    return retired
