"""Read-only SQL on the hub's database (the ledger owns its tables; this component only reads them)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from hub.core import Hub

_PLACEHOLDER = re.compile(r"\?")
EPOCH = date(1970, 1, 1)


class Reader:
    """Runs `?`-style SQL on SQLite or PostgreSQL and speaks each one's JSON dialect."""

    def __init__(self, hub: Hub) -> None:
        assert hub.db is not None, "reports need the hub's database open"
        self.hub = hub
        self.dialect = hub.db.dialect

    @property
    def conn(self) -> Any:
        assert self.hub.db is not None
        return self.hub.db.connection

    def sql(self, text: str) -> str:
        if self.dialect != "postgres":
            return text
        counter = iter(range(1, 10_000))
        return _PLACEHOLDER.sub(lambda _: f"${next(counter)}", text)

    async def rows(self, text: str, args: Sequence[Any] = ()) -> list[Any]:
        return [tuple(r) for r in await self.raw_rows(text, args)]

    async def raw_rows(self, text: str, args: Sequence[Any] = ()) -> list[Any]:
        """The driver's own rows (sqlite3.Row, asyncpg Record): indexable and iterable like tuples,
        without a copy (a month's passages are 62,000 rows)."""
        _, result = await self.conn.execute_query(self.sql(text), list(args))
        return list(result)

    def json_text(self, column: str, *path: str) -> str:
        """SQL of a text field inside a JSON text column (`data`), NULL when absent."""
        for key in path:
            assert re.fullmatch(r"[a-z_]+", key), key
        if self.dialect == "postgres":
            return f"({column}::jsonb #>> '{{{','.join(path)}}}')"
        return f"json_extract({column}, '$.{'.'.join(path)}')"

    def json_int(self, column: str, *path: str) -> str:
        """SQL of a whole number inside a JSON text column, NULL when absent."""
        text = self.json_text(column, *path)
        return f"CAST({text} AS BIGINT)" if self.dialect == "postgres" else text


def day_of(number: int) -> date:
    """The date of a day number `(ts + utc_offset) / 86400` as counted in SQL."""
    return EPOCH + timedelta(days=int(number))
