"""Database bootstrap: tortoise-orm on embedded SQLite (WAL) by default, PostgreSQL by `db_url`."""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlsplit

from tortoise import Tortoise, connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.backends.base.executor import EXECUTOR_CACHE

from .checkpoint import RunBlocking, WalCheckpointer

_LOGGER = logging.getLogger(__name__)
CORE_MODELS = "hub.core.models"


def default_db_url(data_dir: Path) -> str:
    # synchronous stays FULL (SQLite's default): a committed passage must survive a power cut.
    return f"sqlite://{data_dir / 'ecogate.db'}?journal_mode=WAL&busy_timeout=5000"


def sqlite_path(db_url: str) -> Path:
    return Path(urlsplit(db_url.replace("sqlite://", "file://", 1)).path)


class Database:
    """One database per hub. Each component registers its own models module; tables are created on
    first start and later releases may only add tables and columns (never drop or change them)."""

    def __init__(self, db_url: str) -> None:
        self.db_url = db_url
        self._open = False

    @property
    def dialect(self) -> str:
        return "postgres" if self.db_url.startswith(("postgres", "asyncpg", "psycopg")) else "sqlite"

    @property
    def connection(self) -> BaseDBAsyncClient:
        return connections.get("default")

    async def async_open(self, model_modules: list[str]) -> None:
        modules = [CORE_MODELS, *(m for m in model_modules if m != CORE_MODELS)]
        # tortoise caches compiled queries per model class, process-wide; a second hub in the same
        # process (tests, `ecogate ledger restore`) may bind the models to another database dialect.
        EXECUTOR_CACHE.clear()
        await Tortoise.init(
            config={
                "connections": {"default": self.db_url},
                "apps": {"hub": {"models": modules, "default_connection": "default"}},
                "use_tz": True,
                "timezone": "UTC",
            },
            _enable_global_fallback=True,
        )
        self._open = True
        await Tortoise.generate_schemas(safe=True)
        await self._add_missing_columns()
        _LOGGER.info("Database %s open with %d model modules", self.dialect, len(modules))

    def checkpointer(self, run_blocking: RunBlocking) -> WalCheckpointer | None:
        """For the running hub on SQLite: the job that checkpoints the log in quiet moments."""
        if self.dialect != "sqlite":
            return None
        return WalCheckpointer(sqlite_path(self.db_url), run_blocking)

    async def _add_missing_columns(self) -> None:
        """Additive migration: a column a newer release declares is added to an existing table."""
        apps = Tortoise.apps or {}
        conn = self.connection
        for models in apps.values():
            for model in models.values():
                table = model._meta.db_table
                existing = await self._columns(conn, table)
                for field_name, field in model._meta.fields_map.items():
                    column = getattr(field, "source_field", None) or field_name
                    if column in existing or not hasattr(field, "get_for_dialect") or field.pk:
                        continue
                    if getattr(field, "model_field_name", None) and field.__class__.__name__.endswith(
                        "Relation"
                    ):
                        continue
                    sql_type = field.get_for_dialect(conn.schema_generator.DIALECT, "SQL_TYPE")
                    await conn.execute_script(f'ALTER TABLE "{table}" ADD COLUMN "{column}" {sql_type} NULL')
                    _LOGGER.warning("Added column %s.%s", table, column)

    async def _columns(self, conn: BaseDBAsyncClient, table: str) -> set[str]:
        if self.dialect == "sqlite":
            _, rows = await conn.execute_query(f'PRAGMA table_info("{table}")')
            return {row["name"] for row in rows}
        _, rows = await conn.execute_query(
            "SELECT column_name FROM information_schema.columns WHERE table_name = $1", [table]
        )
        return {row["column_name"] for row in rows}

    async def async_close(self) -> None:
        if self._open:
            await Tortoise.close_connections()
            self._open = False
