"""Findings in the database: store a run's findings (a defect found again is not added twice), resolve
state findings no longer seen, list them with filters, acknowledge one with a note."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from tortoise.functions import Count

from hub.core import HubError

from .const import STATE_RULES, STATUS_ACKNOWLEDGED, STATUS_OPEN, STATUS_RESOLVED
from .finding import Finding
from .models import QualityFinding

KEY_CHUNK = 500  # keys asked for in one IN (...) list
FIELDS = (
    "id", "rule", "key", "severity", "day", "subject", "summary", "seqs", "detail", "found_at", "status",
    "resolved_at", "ack_user", "ack_at", "ack_note",
)  # fmt: skip


async def async_store(
    findings: Iterable[Finding], severity: dict[str, str], now: datetime, checked_state_rules: set[str]
) -> dict[str, int]:
    """Insert the findings not stored yet; returns new findings per rule. State rules that were checked
    get their open findings that were not found again marked resolved, and resolved ones found again
    reopened."""
    by_rule: dict[str, dict[str, Finding]] = {}
    for f in findings:
        by_rule.setdefault(f.rule, {})[f.key] = f
    stamp, ts = now.replace(microsecond=0).isoformat(), int(now.timestamp())
    new: dict[str, int] = {}
    for rule, items in by_rule.items():
        known: dict[str, tuple[int, str]] = {}
        keys = list(items)
        for i in range(0, len(keys), KEY_CHUNK):
            rows = await QualityFinding.filter(rule=rule, key__in=keys[i : i + KEY_CHUNK]).values_list(
                "key", "id", "status"
            )
            known.update({k: (int(i_), s) for k, i_, s in rows})
        fresh = [_row(f, severity[rule], ts, stamp) for key, f in items.items() if key not in known]
        if fresh:
            await QualityFinding.bulk_create(fresh, batch_size=500)
        new[rule] = len(fresh)
        reopen = [i for key, (i, status) in known.items() if status == STATUS_RESOLVED]
        if reopen and rule in STATE_RULES:
            await QualityFinding.filter(id__in=reopen).update(status=STATUS_OPEN, resolved_at=None)
    for rule in checked_state_rules:
        seen = by_rule.get(rule, {})
        stale = [
            i
            for i, key in await QualityFinding.filter(rule=rule, status=STATUS_OPEN).values_list("id", "key")
            if key not in seen
        ]
        for i in range(0, len(stale), KEY_CHUNK):
            await QualityFinding.filter(id__in=stale[i : i + KEY_CHUNK]).update(
                status=STATUS_RESOLVED, resolved_at=stamp
            )
    return new


def _row(f: Finding, severity: str, ts: int, stamp: str) -> QualityFinding:
    return QualityFinding(
        rule=f.rule, key=f.key, severity=severity, day=f.day, subject=(f.subject or "")[:100] or None,
        summary=f.summary[:500], seqs=json.dumps(f.seqs),
        detail=json.dumps(f.detail, ensure_ascii=False, default=str),
        found_ts=ts, found_at=stamp, status=STATUS_OPEN,
    )  # fmt: skip


async def async_open_counts() -> dict[str, int]:
    rows = await (
        QualityFinding.filter(status=STATUS_OPEN)
        .annotate(count=Count("id"))
        .group_by("rule")
        .values_list("rule", "count")
    )
    return {str(r): int(c) for r, c in rows}


def as_dict(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    out["seqs"] = json.loads(out.get("seqs") or "[]")
    out["detail"] = json.loads(out.get("detail") or "{}")
    return out


async def async_findings(
    *,
    rule: str | None = None,
    severity: str | None = None,
    status: str | None = None,
    start: date | None = None,
    end: date | None = None,
    subject: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> dict[str, Any]:
    query = QualityFinding.all()
    if rule:
        query = query.filter(rule=rule)
    if severity:
        query = query.filter(severity=severity)
    if status and status != "all":
        query = query.filter(status=status)
    if start:
        query = query.filter(day__gte=start.isoformat())
    if end:
        query = query.filter(day__lte=end.isoformat())
    if subject:
        query = query.filter(subject__contains=subject)
    total = await query.count()
    ordered = query.order_by("-day", "rule", "id").offset((page - 1) * page_size).limit(page_size)
    rows = await ordered.values(*FIELDS)
    return {"total": total, "page": page, "page_size": page_size, "items": [as_dict(r) for r in rows]}


class FindingNotFound(HubError, LookupError):
    """No finding of that number (the REST door answers 404)."""


async def async_acknowledge(finding_id: int, note: str, user: str | None, now: datetime) -> dict[str, Any]:
    row = await QualityFinding.get_or_none(id=finding_id)
    if row is None:
        raise FindingNotFound(f"没有该问题 no finding {finding_id}")
    if row.status == STATUS_ACKNOWLEDGED:
        raise HubError(f"问题 {finding_id} 已于 {row.ack_at} 由 {row.ack_user} 确认 acknowledged already")
    stamp = now.replace(microsecond=0).isoformat()
    await QualityFinding.filter(id=finding_id).update(
        status=STATUS_ACKNOWLEDGED, ack_user=user, ack_at=stamp, ack_note=note
    )
    rows = await QualityFinding.filter(id=finding_id).values(*FIELDS)
    return as_dict(rows[0])
