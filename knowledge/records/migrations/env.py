"""Alembic environment for the records store.

At run time `Records.open` hands in a live connection as `config.attributes["connection"]`
(the async pattern: `await conn.run_sync(upgrade)`). From the command line
(`alembic -c knowledge/records/alembic.ini ...`) the URL comes from `-x url=...`.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

config = context.config


def run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()


async def run_from_url(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(run)
    finally:
        await engine.dispose()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
elif context.is_offline_mode():
    raise SystemExit("offline (--sql) mode is not supported for the records store")
else:
    url = context.get_x_argument(as_dictionary=True).get("url")
    if not url:
        raise SystemExit("pass the database with: alembic -x url=sqlite+aiosqlite:///... upgrade")
    asyncio.run(run_from_url(url))
