"""The PostgreSQL that tests use (127.0.0.1:5432): a throwaway schema per test.

PostgreSQL is required: when it cannot be reached the tests fail, they are never skipped.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from knowledge.records import Records
from knowledge.records.engine import async_url

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

    def engine(self) -> AsyncEngine:
        """A bare engine on these records (its schema on the search path): for a migration
        test's rows written before the records are opened."""
        args = {}
        if self.schema:
            args["connect_args"] = {"server_settings": {"search_path": self.schema}}
        return create_async_engine(async_url(self.url), **args)
