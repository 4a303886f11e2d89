"""Connecting to the records database and bringing its schema up to date."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import URL, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, CursorResult, Result, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import StaticPool

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
MEMORY = "sqlite+aiosqlite:///:memory:"  # records that live as long as their engine (tests)
_DRIVERS = {
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
}


def async_url(url: str) -> URL:
    """The URL with its async driver: plain `postgresql://` and `sqlite:///` are rewritten."""
    parsed = make_url(url)
    return parsed.set(drivername=_DRIVERS.get(parsed.drivername, parsed.drivername))


def _upgrade(connection: Connection) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def _sqlite_setup(engine: AsyncEngine) -> None:
    """WAL, enforced foreign keys, waiting on locks, and write-locking transactions."""

    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # the driver's own BEGIN is replaced below
        cursor = dbapi_connection.cursor()
        for pragma in ("busy_timeout = 15000", "journal_mode = WAL", "foreign_keys = ON"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(connection: Connection) -> None:
        # IMMEDIATE takes the write lock up front, so read-then-write steps (redeeming an
        # invite) queue behind each other instead of failing with "database is locked".
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _private_file(path: Path) -> None:
    """The records file (and a folder made for it) readable by this user only: 0600 / 0700.

    SQLite gives its -wal and -shm files the permissions of the database file."""
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    os.chmod(path, 0o600)
    for extra in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if extra.exists():
            os.chmod(extra, 0o600)


async def connect(url: str, schema: str | None = None) -> AsyncEngine:
    """An engine on the database at `url`, migrated to the newest schema.

    `schema` (PostgreSQL only) becomes the connections' search path.
    """
    target = async_url(url)
    backend = target.get_backend_name()
    options: dict[str, Any] = {}
    if schema is not None:
        if backend != "postgresql":
            raise ValueError("a schema can only be given for PostgreSQL")
        options["connect_args"] = {"server_settings": {"search_path": schema}}
    if backend == "sqlite" and target.database not in (None, "", ":memory:"):
        _private_file(Path(target.database))
    elif backend == "sqlite":  # in memory: one connection, so every session sees one database
        options["poolclass"] = StaticPool
    # A pooled connection the server dropped (a restart, an idle timeout) is replaced before
    # use, so the first message after a drop gets its answer, not an apology.
    options["pool_pre_ping"] = backend == "postgresql"
    engine = create_async_engine(target, **options)
    if backend == "sqlite":
        _sqlite_setup(engine)
    try:
        async with engine.begin() as conn:
            if backend == "postgresql":  # one migrator at a time
                await conn.execute(text("SELECT pg_advisory_xact_lock(7270001)"))
            await conn.run_sync(_upgrade)
    except BaseException:
        await engine.dispose()
        raise
    return engine


def changed(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE changed (its result is a cursor's)."""
    assert isinstance(result, CursorResult)
    return result.rowcount


class StoreBase:
    """What every part of the store shares: the engine, sessions and dialect-aware upserts."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._postgres = engine.dialect.name == "postgresql"

    async def close(self) -> None:
        await self.engine.dispose()

    def _insert(self, entity: type) -> Any:
        """INSERT with `on_conflict_do_nothing` / `on_conflict_do_update` for either dialect."""
        return (postgresql if self._postgres else sqlite).insert(entity)
