"""Status per platform and per day, read from the uplink's tables (the service adds the live state;
`ecogate uplink status` reads the same with the hub running or not)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from .models import UplinkCursor, UplinkDay, UplinkParked, UplinkResend
from .store import PARKED_FIELDS, DayCounts


async def async_platform_status(
    platform: str, *, today: date, day: date | None = None, days: int = 7, parked_limit: int = 50
) -> dict[str, Any]:
    if day is not None:
        wanted = [day.isoformat()]
    else:
        wanted = [(today - timedelta(days=n)).isoformat() for n in range(days)]
    rows = {r.day: r for r in await UplinkDay.filter(platform=platform, day__in=wanted)}
    figures = []
    for name in wanted:
        row = rows.get(name)
        figures.append((DayCounts() if row is None else DayCounts.of(row)).as_dict(name))
    pending_total = sum(
        max(0, d - a - r)
        for d, a, r in await UplinkDay.filter(platform=platform).values_list(
            "due", "acknowledged", "rejected"
        )
    )
    cursor = await UplinkCursor.get_or_none(platform=platform)
    parked_query = UplinkParked.filter(platform=platform, resolved_at=None)
    if day is not None:
        parked_query = parked_query.filter(day=day.isoformat())
    parked = await parked_query.order_by("-id").limit(parked_limit).values(*PARKED_FIELDS)
    job_fields = ("id", "start_ts", "end_ts", "status", "sent", "accepted", "rejected", "created_at",
                  "finished_at")  # fmt: skip
    jobs = await UplinkResend.filter(platform=platform).order_by("-id").limit(5).values(*job_fields)
    return {
        "name": platform,
        "days": figures,
        "pending_total": pending_total,
        "parked_total": await UplinkParked.filter(platform=platform, resolved_at=None).count(),
        "parked": [p | {"seq": p["seq"] if p["seq"] >= 0 else None} for p in parked],
        "resend_jobs": list(jobs),
        "cursor": None if cursor is None else {
            "acked_seq": cursor.acked_seq, "sent_seq": cursor.sent_seq, "scanned_seq": cursor.scanned_seq,
            "register_seq": cursor.register_seq, "control_id": cursor.control_id, "since": cursor.created_day,
        },
    }  # fmt: skip


async def async_known_platforms() -> list[str]:
    # flat=True gives the values themselves; tortoise's stubs type them as tuples.
    return sorted(await UplinkCursor.all().values_list("platform", flat=True))  # type: ignore[arg-type]  # see above
