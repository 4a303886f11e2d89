"""Canonical answers kept up: reworded or retired in the records and in the index that serves
them, in one step, so the next question gets what the records say; and what another process
sharing the records wrote, reworded or retired, picked up within SYNC_SECONDS (`keep_current`).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import weakref
from dataclasses import dataclass
from typing import Protocol

from knowledge.answering.canonical import CanonicalIndex
from knowledge.records import Canonical, CanonicalsVersion, Records

log = logging.getLogger(__name__)
SYNC_SECONDS = 5.0  # how often, at most, an index asks the records whether it is out of date


class Needs(Protocol):
    records: Records
    canonical: CanonicalIndex


@dataclass
class _Loaded:
    """Beside an index: the records' version it was loaded at, and when that was last checked."""

    version: CanonicalsVersion | None = None  # None: loaded elsewhere, so not known
    checked: float = -math.inf  # time.monotonic()
    busy: bool = False  # a check (and reload) under way: other questions don't wait for it


_LOADED: weakref.WeakKeyDictionary[CanonicalIndex, _Loaded] = weakref.WeakKeyDictionary()


def _loaded(index: CanonicalIndex) -> _Loaded:
    return _LOADED.setdefault(index, _Loaded())


async def reload(records: Records, index: CanonicalIndex) -> None:
    """Serve the canonical answers the records have in force, noting the version loaded."""
    version = await records.canonicals_version()  # before them: a change between shows next
    canonicals = await records.canonicals()
    await asyncio.to_thread(index.load, canonicals)  # each question is embedded
    loaded = _loaded(index)
    loaded.version, loaded.checked = version, time.monotonic()


async def keep_current(services: Needs) -> None:
    """Reload the index if the records' canonical answers changed since it was loaded (by
    another process; this one's own changes are in it already, and cost one reload), looking
    at most once every SYNC_SECONDS. The records unreachable: the index serves what it has."""
    index = services.canonical
    loaded = _loaded(index)
    now = time.monotonic()
    if loaded.busy or now - loaded.checked < SYNC_SECONDS:
        return
    loaded.checked, loaded.busy = now, True
    try:
        if await services.records.canonicals_version() != loaded.version:
            await reload(services.records, index)
    except Exception:
        log.warning("canonical answers not brought up to date: serving those loaded", exc_info=True)
    finally:
        loaded.busy = False


async def revise(
    services: Needs,
    canonical_id: int,
    question: str,
    answer: str,
    *,
    editor_id: int | None,
    editor_name: str,
) -> Canonical | None:
    """New wording of a canonical answer in force, served from the next question on, the one
    it replaces kept in its history under the editor's name; None if there is no such answer
    (or it was retired)."""
    revised = await services.records.edit_canonical(
        canonical_id, question=question.strip(), answer=answer.strip(), editor_id=editor_id,
        editor_name=editor_name,
    )  # fmt: skip
    if revised is not None:
        await asyncio.to_thread(services.canonical.replace, revised)
    return revised


async def retire(services: Needs, canonical_id: int) -> bool:
    """Stop serving a canonical answer (the records keep it, marked retired): the question goes
    back to retrieval. False if there was no such answer in force."""
    retired = await services.records.retire_canonical(canonical_id)
    services.canonical.remove(canonical_id)  # whatever the records said: never served retired
    return retired
