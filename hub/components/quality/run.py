"""One data-quality run over whole plant-time days: read, apply every enabled rule, store, summarise.

The ledger is read once for the window (plus a look back for entries and a look ahead for swapped
entries); the rules are pure functions run in a worker thread; the register and the uplink tables are
read as they stand.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from hub.core import Hub

from .config import QualityConfig
from .const import RULES, STATE_RULES
from .finding import Finding
from .rules_records import gap_findings, record_findings, skew_findings
from .rules_state import async_register, async_uplink_findings, register_findings, register_names
from .rules_trips import repeat_findings, trip_findings
from .source import Passage, async_passages
from .store import async_open_counts, async_store
from .window import Window

_LOGGER = logging.getLogger(__name__)


def _passage_rules(
    passages: list[Passage], win: Window, config: QualityConfig, register: set[str] | None
) -> list[Finding]:
    th = config.thresholds
    return [
        *trip_findings(passages, win, th),
        *repeat_findings(passages, win, th),
        *record_findings(passages, win, th, register),
        *skew_findings(passages, win, th),
        *gap_findings(passages, win, th),
    ]


async def async_run(
    hub: Hub, config: QualityConfig, win: Window, rules: list[str] | None = None
) -> dict[str, Any]:
    """Check the window; returns the summary (the component fires it as `quality_summary`)."""
    assert hub.db is not None
    conn, dialect = hub.db.connection, hub.db.dialect
    wanted = [r for r in (rules or list(RULES)) if config.enabled(r)]
    th = config.thresholds
    began = time.perf_counter()
    look_back = int(th.lookback_hours * 3600)
    look_ahead = int(th.reverse_minutes * 60)
    passages = await async_passages(
        conn, dialect, win.start_ts - look_back, win.end_ts + look_ahead, hub.async_add_executor_job
    )
    read_s = time.perf_counter() - began
    notes: list[str] = []
    register_rows = await async_register(conn, dialect)
    if register_rows is None:
        notes.append("no vehicle register: register rules and unregistered_in_plant skipped")
    names = register_names(register_rows) if register_rows is not None else None
    found: list[Finding] = await hub.async_add_executor_job(_passage_rules, passages, win, config, names)
    checked_state: set[str] = set()
    day = win.last.isoformat()
    if register_rows is not None:
        found += await hub.async_add_executor_job(register_findings, register_rows, day, th)
        checked_state |= {"register_incomplete", "stage_date_inconsistent"}
    uplink = await async_uplink_findings(conn, dialect, win, th)
    if uplink is None:
        notes.append("no uplink: upload rules skipped")
    else:
        found += uplink
        checked_state |= {"upload_backlog", "upload_rejected"}
    found = [f for f in found if f.rule in wanted]
    severity = {rule: config.severity(rule) for rule in RULES}
    new = await async_store(found, severity, hub.now(), checked_state & set(wanted) & STATE_RULES)
    open_counts = await async_open_counts()
    per_rule = {
        rule: {"found": sum(1 for f in found if f.rule == rule), "new": new.get(rule, 0),
               "open": open_counts.get(rule, 0), "severity": severity[rule]}
        for rule in wanted
    }  # fmt: skip
    summary = {
        "period": win.label(),
        "from": win.first.isoformat(),
        "to": win.last.isoformat(),
        "passages": sum(1 for p in passages if win.holds(p.ts)),
        "found": len(found),
        "new": sum(new.values()),
        "open": sum(open_counts.values()),
        "rules": per_rule,
        "notes": notes,
        "seconds": round(time.perf_counter() - began, 3),
        "read_seconds": round(read_s, 3),
    }
    _LOGGER.info(
        "Data quality %s: %d findings (%d new), %d open, %.2f s",
        summary["period"], summary["found"], summary["new"], summary["open"], summary["seconds"],
    )  # fmt: skip
    return summary
