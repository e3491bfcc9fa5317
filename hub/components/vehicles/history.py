"""Reading the change history: who changed which record when, from what to what."""

from __future__ import annotations

import json
from typing import Any

from hub.util.plate import normalise_plate

from .codes import clean
from .models import VehicleHistory
from .schemas import History


def history_dict(row: VehicleHistory) -> dict[str, Any]:
    return {
        "id": row.id, "class": row.vclass, "key": row.key, "record_id": row.record_id, "action": row.action,
        "changed_ts": row.changed_ts, "changed_at": row.changed_at, "user_id": row.user_id,
        "username": row.username, "door": row.door, "source": row.source,
        "old": json.loads(row.old) if row.old else None, "new": json.loads(row.new) if row.new else None,
        "changes": json.loads(row.changes),
    }  # fmt: skip


async def async_history(query: History) -> dict[str, Any]:
    """Newest first."""
    rows = VehicleHistory.all()
    if query.vclass:
        rows = rows.filter(vclass=query.vclass)
    if query.key:
        text = clean(query.key)
        rows = rows.filter(key__in=list({text, normalise_plate(text), text.upper().replace(" ", "")}))
    if query.since_ts is not None:
        rows = rows.filter(changed_ts__gte=query.since_ts)
    if query.until_ts is not None:
        rows = rows.filter(changed_ts__lt=query.until_ts)
    total = await rows.count()
    page = await rows.order_by("-id").offset((query.page - 1) * query.page_size).limit(query.page_size)
    return {
        "total": total,
        "items": [history_dict(r) for r in page],
        "page": query.page,
        "page_size": query.page_size,
    }
