"""Emergency-response report (应急响应报告): each alert period of a range, from the audit log's switches
(`policy.set_alert_level`: by an officer through a door, by the platform, or by the schedule), with what
passed during it, what was denied and why, and every passage that matched a rule in force (released
or not, let out on an exit that is recorded rather than blocked)."""

from __future__ import annotations

import json
from datetime import datetime, tzinfo
from typing import Any

from .const import KIND_PASSAGE, LEVEL_LABELS
from .db import Reader
from .period import Period

LEVEL_OF_RESPONSE = {"III": "yellow", "II": "orange", "I": "red", "IV": "yellow"}
SWITCH = "policy.set_alert_level"


def _ts(text: str | None, tz: tzinfo) -> int | None:
    """Epoch seconds of an ISO time; one without an offset is the plant's local time."""
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    return int((moment if moment.tzinfo else moment.replace(tzinfo=tz)).timestamp())


def switches(rows: list[tuple[Any, ...]], tz: tzinfo) -> list[dict[str, Any]]:
    """Audit rows of alert switches -> what came into force when (pure). A call with a start in the
    future only schedules; the schedule's own row marks the switch, and an `end` falls back to normal."""
    out: list[dict[str, Any]] = []
    for seq, at_ts, at, username, door, detail in rows:
        data = (json.loads(detail) if isinstance(detail, str) else detail).get("data") or {}
        level = data.get("level") or LEVEL_OF_RESPONSE.get(str(data.get("response_level") or ""))
        begins = _ts(data.get("start"), tz) if door != "schedule" else None
        if level is None or (begins is not None and begins > int(at_ts)):
            continue
        out.append({
            "seq": int(seq), "at_ts": int(at_ts), "at": at, "level": level,
            "response_level": data.get("response_level"), "measure_code": data.get("measure_code"),
            "measure": data.get("measure"), "end_ts": _ts(data.get("end"), tz), "end": data.get("end"),
            "by": username or data.get("user_id"), "door": door, "source": data.get("source"),
            "reason": data.get("reason"),
        })  # fmt: skip
    return out


def periods(found: list[dict[str, Any]], start: int, end: int) -> list[dict[str, Any]]:
    """Alert periods (level other than normal) overlapping [start, end), each ended by the next switch or
    its own end time, clipped to the range."""
    out = []
    for i, s in enumerate(found):
        if s["level"] == "normal":
            continue
        stop = found[i + 1]["at_ts"] if i + 1 < len(found) else None
        if s["end_ts"] is not None:
            stop = min(stop, s["end_ts"]) if stop is not None else s["end_ts"]
        if (stop is not None and stop <= start) or s["at_ts"] >= end:
            continue
        out.append({**s, "from_ts": max(s["at_ts"], start), "to_ts": min(stop or end, end),
                    "open": stop is None})  # fmt: skip
    return out


def _name(reader: Reader, user: str | None) -> str | None:
    found = reader.hub.auth.get(user) if user else None
    return found.username if found else user


async def async_alert_report(reader: Reader, period: Period) -> dict[str, Any]:
    tz = reader.hub.clock.tz
    start, end = period.bounds(tz)
    rows = await reader.rows(
        "SELECT seq, at_ts, at, username, door, detail FROM ledger_audit WHERE action = ? AND outcome = 'ok' "
        "AND at_ts < ? ORDER BY at_ts, seq",
        [SWITCH, end],
    )
    items = []
    rule = reader.json_text("p.data", "rule")
    reason_text = reader.json_text("p.data", "reason_text")
    released = (
        "EXISTS (SELECT 1 FROM ledger_record r WHERE r.passage_id = p.passage_id AND r.kind = 'release')"
    )
    for a in periods(switches(rows, tz), start, end):
        window = [KIND_PASSAGE, a["from_ts"], a["to_ts"]]
        where = "p.kind = ? AND p.recorded_ts >= ? AND p.recorded_ts < ?"
        counts = await reader.rows(
            f"SELECT p.direction, p.decision, p.reason_code, min({reason_text}), "
            f"count(*) FROM ledger_record p WHERE {where} GROUP BY p.direction, p.decision, p.reason_code",
            window,
        )
        broke = await reader.rows(
            f"SELECT p.seq, p.recorded_at, p.gate, p.lane, p.direction, p.plate, p.vehicle_class, "
            f"p.emission_stage, p.fuel, p.decision, p.reason_code, {rule}, "
            f"CASE WHEN {released} THEN 1 ELSE 0 END FROM ledger_record p WHERE {where} "
            f"AND {rule} IS NOT NULL AND p.reason_code <> 'exempt' ORDER BY p.seq",
            window,
        )
        passed = {"in": 0, "out": 0}
        denied: dict[str, dict[str, Any]] = {}
        for direction, decision, code, text, n in counts:
            if decision == "allow":
                passed[direction] += int(n)
            elif decision == "deny":
                blank = {"reason_code": code or "", "reason_text": text, "count": 0}
                item = denied.setdefault(code or "", blank)
                item["count"] += int(n)
        keys = ("seq", "recorded_at", "gate", "lane", "direction", "plate", "vehicle_class", "emission_stage",
                "fuel", "decision", "reason_code", "rule", "released")  # fmt: skip
        violations = [dict(zip(keys, row, strict=True)) for row in broke]
        for v in violations:
            v["released"] = bool(v["released"])
        items.append({
            "level": a["level"], "level_label": LEVEL_LABELS.get(a["level"], a["level"]),
            "response_level": a["response_level"], "measure_code": a["measure_code"], "measure": a["measure"],
            "start": datetime.fromtimestamp(a["from_ts"], tz).isoformat(),
            "end": datetime.fromtimestamp(a["to_ts"], tz).isoformat(), "still_in_force": a["open"],
            "switched_at": a["at"], "switched_by": _name(reader, a["by"]), "door": a["door"],
            "source": a["source"],
            "reason": a["reason"], "passed": passed,
            "denied": sorted(denied.values(), key=lambda d: -d["count"]),
            "violations": violations,
            "violations_released": sum(v["released"] or v["decision"] == "allow" for v in violations),
        })  # fmt: skip
    return {"report": "alerts", **period.as_dict(), "periods": items}
