"""SQL that runs on SQLite and PostgreSQL alike: `?` placeholders, rewritten to `$n` for asyncpg."""

from __future__ import annotations

import re

_PLACEHOLDER = re.compile(r"\?")


def for_dialect(dialect: str, sql: str) -> str:
    if dialect != "postgres":
        return sql
    counter = iter(range(1, 10_000))
    return _PLACEHOLDER.sub(lambda _: f"${next(counter)}", sql)


def insert_sql(dialect: str, table: str, columns: tuple[str, ...]) -> str:
    names = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" for _ in columns)
    return for_dialect(dialect, f'INSERT INTO "{table}" ({names}) VALUES ({marks})')


def like_pattern(text: str) -> str:
    """`%text%` with the LIKE wildcards in `text` taken literally (ESCAPE '\\')."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
