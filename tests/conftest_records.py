"""Fixtures for tests of the records store, on SQLite and on PostgreSQL.

Use them from a test module with `pytest_plugins = ["tests.conftest_records"]`.
PostgreSQL is required: when it cannot be reached the tests fail, they are never skipped.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from knowledge.records import Records

POSTGRES_URL = os.environ.get(
    "RECORDS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


@asynccontextmanager
async def postgres_schema(url: str = POSTGRES_URL) -> AsyncIterator[str]:
    """A fresh, empty schema named t_<random> in the test database, dropped afterwards."""
    name = f"t_{secrets.token_hex(6)}"
    conn = await asyncpg.connect(url, timeout=10)
    try:
        await conn.execute(f'CREATE SCHEMA "{name}"')
        yield name
    finally:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        await conn.close()


@dataclass(frozen=True)
class RecordsDB:
    """Where one test's records live; `open()` may be called again to reopen them."""

    url: str
    schema: str | None = None

    async def open(self) -> Records:
        return await Records.open(self.url, schema=self.schema)


@pytest.fixture(params=["sqlite", "postgresql"])
async def records_db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[RecordsDB]:
    """An empty database: a temporary SQLite file, or a throwaway PostgreSQL schema."""
    if request.param == "sqlite":
        yield RecordsDB(f"sqlite:///{tmp_path / 'records.sqlite'}")
        return
    async with postgres_schema() as schema:
        yield RecordsDB(POSTGRES_URL, schema)


@pytest.fixture
async def records(records_db: RecordsDB) -> AsyncIterator[Records]:
    """An opened store on `records_db`, closed after the test."""
    store = await records_db.open()
    try:
        yield store
    finally:
        await store.close()
