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
    "ledger.last_passages",
    "barrier.open",
    "barrier.close",
    "barrier.display",
    "barrier.alarm",
    "vehicles.lookup",  # the policy asks for every plate read
    "vehicles.records",
    "ledger.daily_stats",
    "vehicles.fields",  # the HMI's forms ask for the field lists on every page
    "ui.screen_release",  # asked before every release a person makes; that release is audited itself
    "ledger.evidence",  # the uplink reads the photos it sends; a person's look is audited
    "reports.statistics",  # the big screen refreshes its figures after passages; a person's ask is audited
    "reports.clean_transport",
    "uplink.vehicle_check",  # the policy asks the platform about vehicles during decisions
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
    summary = audit_summary(dict(detail or {}))
    text = canonical_json(summary)
    if not _encodable(text):
        text = canonical_json(storable(summary))
    if len(text) > MAX_DETAIL:
        text = canonical_json({"truncated": text[:MAX_DETAIL]})
    return {
        "at_ts": ts,
        "at": at,
        "user_id": user_id,
        "username": storable(username),
        "door": storable(door[:16]),
        "action": storable(action[:64]),
        "outcome": storable(outcome[:16]),
        "target": storable(target[:128]) if target else None,
        "detail": text,
    }


def storable(value: Any) -> Any:
    """`value` with every text made storable: what UTF-8 cannot encode (a lone surrogate such as
    `"\\ud800"` from a hostile JSON body) becomes its escape as plain text (a backslash, `ud800`),
    and a NUL (which PostgreSQL refuses) becomes `\\x00`. The audit row of a hostile call must be
    written like any other: a row that fails to write would hide the call."""
    if isinstance(value, str):
        if _encodable(value) and "\x00" not in value:
            return value
        return value.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")
    if isinstance(value, Mapping):
        return {storable(k): storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [storable(v) for v in value]
    return value


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
