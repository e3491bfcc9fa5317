"""`vehicles.changes`: the register's changes in commit order, a bounded slice past an id.

Every change is kept in the history table under an increasing id, in commit order, so a reader that
keeps the last id it saw (the uplink) gets each change once, in order, and never reads more than a
slice per call, however many changes share one timestamp (the rows of one import all do). A change
shows the record as it stood after it; a deletion, as it stood before.
"""

from __future__ import annotations

import json
from typing import Any

from hub.core import Hub

from .fields import VehicleClass

CLASSES = tuple(c.value for c in VehicleClass)  # the history also holds blacklist and pass changes


async def _query(hub: Hub, sql: str, params: list[Any]) -> list[Any]:
    assert hub.db is not None
    if hub.db.dialect == "postgres":
        parts = sql.split("?")
        sql = "".join(f"{part}${n}" for n, part in enumerate(parts[:-1], start=1)) + parts[-1]
    _, rows = await hub.db.connection.execute_query(sql, params)
    return list(rows)


async def async_first_id_since(hub: Hub, since_ts: int) -> int:
    """The id after which the changes from `since_ts` on begin (the last id if there are none)."""
    rows = await _query(
        hub,
        'SELECT MIN("id") AS "first", (SELECT MAX("id") FROM "vehicle_history") AS "last" '
        'FROM "vehicle_history" WHERE "changed_ts" >= ?',
        [since_ts],
    )
    first, last = (rows[0]["first"], rows[0]["last"]) if rows else (None, None)
    return int(first) - 1 if first is not None else int(last or 0)


async def async_changes(hub: Hub, after_id: int, limit: int) -> dict[str, Any]:
    """At most `limit` history rows past `after_id`: the changes of the three classes among them,
    and `through`, the id of the last row read (list changes are passed over, not left behind)."""
    rows = await _query(
        hub,
        'SELECT "id", "vclass", "key", "action", "changed_ts", "old", "new" FROM "vehicle_history" '
        'WHERE "id" > ? ORDER BY "id" LIMIT ?',
        [after_id, limit],
    )
    changes = []
    for row in rows:
        if row["vclass"] not in CLASSES:
            continue
        change: dict[str, Any] = {
            "id": int(row["id"]), "class": row["vclass"], "key": row["key"], "action": row["action"],
            "changed_ts": int(row["changed_ts"]), "record": None, "problem": None,
        }  # fmt: skip
        deleted = row["action"] == "deleted" or not row["new"]
        try:  # a deletion carries the record as it was, so a platform knows which it was
            change["record"] = json.loads((row["old"] if deleted else row["new"]) or "{}")
        except (TypeError, ValueError) as err:
            change["problem"] = f"{type(err).__name__}: {err}"
        changes.append(change)
    return {"changes": changes, "through": int(rows[-1]["id"]) if rows else after_id, "rows_read": len(rows)}
