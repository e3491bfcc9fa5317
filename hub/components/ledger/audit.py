"""The audit log's rows: who did what, through which door. Service calls arrive as `service_called`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from hub.core.service import audit_summary

from .chain import canonical_json
from .rows import timestamp

MAX_DETAIL = 8000
TARGET_KEYS = (
    "passage_id",
    "read_id",
    "username",
    "plate",
    "env_code",
    "internal_no",
    "key",
    "entity_id",
    "level",
)

# Calls the hub makes by itself on every passage; they are the ledger's own content or plain device
# moves, so auditing them would only double the passage chain. A person's call is always audited.
DEFAULT_ROUTINE = (
    "ledger.record_passage",
    "ledger.record_followup",
    "ledger.record_followups",
    "ledger.record_audit",
    "ledger.read_records",
    "ledger.open_passages",
    "barrier.open",
    "barrier.close",
    "barrier.display",
    "barrier.alarm",
    "vehicles.lookup",  # the policy asks for every plate read
    "vehicles.records",
    "ledger.daily_stats",
    "vehicles.fields",  # the HMI's forms ask for the field lists on every page
    "ledger.evidence",  # the uplink reads the photos it sends; a person's look is audited
)


def target_of(data: Any) -> str | None:
    if not isinstance(data, Mapping):
        return None
    for key in TARGET_KEYS:
        if data.get(key):
            return str(data[key])[:128]
    if data.get("gate") and data.get("lane"):
        return f"{data['gate']}/{data['lane']}"
    if isinstance(data.get("record"), Mapping):  # a register change: the vehicle it changed
        return target_of(data["record"])
    return None


def audit_row(
    now: datetime,
    *,
    action: str,
    door: str,
    outcome: str,
    user_id: str | None = None,
    username: str | None = None,
    target: str | None = None,
    detail: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    ts, at = timestamp(now)
    text = canonical_json(audit_summary(dict(detail or {})))
    if len(text) > MAX_DETAIL:
        text = canonical_json({"truncated": text[:MAX_DETAIL]})
    return {
        "at_ts": ts,
        "at": at,
        "user_id": user_id,
        "username": username,
        "door": door[:16],
        "action": action[:64],
        "outcome": outcome[:16],
        "target": target[:128] if target else None,
        "detail": text,
    }
