"""Each data-quality rule over a generated month of traffic: it names its planted defect (and the records
involved), and it is silent on clean traffic. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from hub.components.quality.const import RULES
from hub.core import Context, Hub, ManualClock
from hub.core.auth import Role
from hub.core.errors import HubError
from tests.common import advance
from tests.components.quality.traffic import CONFIG, fill_register, fill_uplink, record_month

TZ = ZoneInfo("Asia/Shanghai")
FIRST = date(2026, 10, 1)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 10, 1, 0, 0, tzinfo=TZ))


async def _plant(make_hub: Any, database: str, clock: ManualClock) -> Hub:
    text = f"hub:\n  name: 质量测试钢厂\n{database}ledger:\nvehicles:\nuplink: {{}}\n{CONFIG}"
    hub: Hub = await make_hub(text, clock=clock)
    for domain in ("ledger", "vehicles", "uplink", "quality"):
        assert domain in hub.loaded, hub.setup_errors
    return hub


async def _all_findings(hub: Hub, **filters: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    page = 1
    while True:
        result = await hub.services.async_call(
            "quality", "findings", {"status": "all", "page": page, "page_size": 500, **filters}
        )
        items += result["items"]
        if len(items) >= result["total"]:
            return items
        page += 1


async def _run_month(hub: Hub, clock: ManualClock, first: date, last: date) -> dict[str, Any]:
    clock.set(datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=TZ) + timedelta(hours=3))
    return await hub.services.async_call(
        "quality", "run", {"start": first.isoformat(), "end": last.isoformat()}
    )


async def test_clean_month_gives_no_finding(make_hub: Any, database: str, clock: ManualClock) -> None:
    hub = await _plant(make_hub, database, clock)
    month = await record_month(hub, clock, FIRST, planted=False)
    await fill_register(hub, planted=False)
    await fill_uplink(hub, month, planted=False)
    summary = await _run_month(hub, clock, month.first, month.last)
    assert summary["passages"] == 300
    assert summary["found"] == 0, await _all_findings(hub)
    assert set(summary["rules"]) == set(RULES)
    assert hub.states.get("sensor.quality_open_findings").state == "0"


async def test_each_rule_names_its_planted_defect(make_hub: Any, database: str, clock: ManualClock) -> None:
    hub = await _plant(make_hub, database, clock)
    month = await record_month(hub, clock, FIRST, planted=True)
    register = await fill_register(hub, planted=True)
    await fill_uplink(hub, month, planted=True)
    summaries: list[dict[str, Any]] = []
    hub.bus.async_listen("quality_summary", lambda e: summaries.append(dict(e.data)))
    summary = await _run_month(hub, clock, month.first, month.last)
    findings = await _all_findings(hub)
    by_rule: dict[str, list[dict[str, Any]]] = {}
    for f in findings:
        by_rule.setdefault(f["rule"], []).append(f)
    assert set(by_rule) == set(RULES), {r: len(v) for r, v in by_rule.items()}

    planted = month.planted

    # Passage rules: exactly the planted records, no others.
    def seqs(rule: str) -> set[int]:
        return {s for f in by_rule[rule] for s in f["seqs"]}

    for rule in ("exit_before_entry", "short_trip", "repeated_read", "trips_per_day"):
        assert seqs(rule) == set(planted[rule]), rule
        assert len(by_rule[rule]) == 1, by_rule[rule]
    for rule in ("exit_without_entry", "missing_photo", "weight_missing", "volume_missing",
                 "cargo_weight_implausible", "clock_skew"):  # fmt: skip
        assert [f["seqs"] for f in by_rule[rule]] == [planted[rule]], rule
    assert (
        sorted(s for f in by_rule["unregistered_in_plant"] for s in f["seqs"])
        == planted["unregistered_in_plant"]
    )
    assert by_rule["missing_photo"][0]["detail"]["missing"] == ["scene"]
    assert by_rule["clock_skew"][0]["detail"]["max_skew_s"] == -300
    assert by_rule["trips_per_day"][0]["detail"]["entries"] == 13
    gaps = by_rule["stream_gap"]
    assert sorted(f["subject"] for f in gaps) == ["east_gate/in", "east_gate/out"]
    assert {f["day"] for f in gaps} == {(FIRST + timedelta(days=19)).isoformat()}
    assert all(f["detail"]["minutes"] == 360 for f in gaps)
    # Register rules name the records, the uplink rules the platform's day and the parked record.
    assert {
        f["subject"]: f["rule"] for f in by_rule["register_incomplete"] + by_rule["stage_date_inconsistent"]
    } == register
    missing = {f["subject"]: f["detail"]["missing"] for f in by_rule["register_incomplete"]}
    assert missing == {"冀B80001": ["vin"], "冀B80002": ["network_status"]}
    assert [(f["subject"], f["day"], f["detail"]["pending"]) for f in by_rule["upload_backlog"]] == [
        ("province", (FIRST + timedelta(days=3)).isoformat(), 8)
    ]
    assert [f["seqs"] for f in by_rule["upload_rejected"]] == [[17]]
    assert by_rule["upload_rejected"][0]["severity"] == "error"

    # Entities and the summary event show the same counts.
    assert summaries and summaries[-1]["new"] == len(findings) == summary["found"]
    for rule, items in by_rule.items():
        assert hub.states.get(f"sensor.quality_{rule}").state == str(len(items)), rule
    assert hub.states.get("sensor.quality_open_findings").state == str(len(findings))

    # The same period again: nothing new, nothing twice.
    again = await hub.services.async_call(
        "quality", "run", {"start": month.first.isoformat(), "end": month.last.isoformat()}
    )
    assert again["new"] == 0 and again["found"] == len(findings)
    assert len(await _all_findings(hub)) == len(findings)


async def test_acknowledged_finding_stays_in_the_history(
    make_hub: Any, database: str, clock: ManualClock
) -> None:
    hub = await _plant(make_hub, database, clock)
    month = await record_month(hub, clock, FIRST, planted=True)
    register = await fill_register(hub, planted=True)
    await fill_uplink(hub, month, planted=True)
    await _run_month(hub, clock, month.first, month.last)
    officer = await hub.auth.async_add_user("wang", "quality-officer-pw-1", frozenset({Role.OFFICER}))
    guard = await hub.auth.async_add_user("li", "quality-guard-pw-1", frozenset({Role.GUARD}))
    [target] = await _all_findings(hub, rule="exit_without_entry")
    before = int(hub.states.get("sensor.quality_exit_without_entry").state)

    with pytest.raises(HubError):  # a guard may not acknowledge
        await hub.services.async_call(
            "quality", "acknowledge", {"id": target["id"], "note": "x"}, Context(user_id=guard.id)
        )
    result = await hub.services.async_call(
        "quality", "acknowledge", {"id": target["id"], "note": "司机从西门进厂，西门相机故障"},
        Context(user_id=officer.id),
    )  # fmt: skip
    assert result["status"] == "acknowledged" and result["ack_user"] == "wang"
    assert hub.states.get("sensor.quality_exit_without_entry").state == str(before - 1)
    open_now = await hub.services.async_call("quality", "findings", {"rule": "exit_without_entry"})
    assert open_now["total"] == 0
    history = await _all_findings(hub, rule="exit_without_entry")
    assert [(f["id"], f["status"], f["ack_note"]) for f in history] == [
        (target["id"], "acknowledged", "司机从西门进厂，西门相机故障")
    ]
    with pytest.raises(HubError):  # acknowledged once, with its note kept
        await hub.services.async_call(
            "quality", "acknowledge", {"id": target["id"], "note": "again"}, Context(user_id=officer.id)
        )
    # A later run finds the defect again and leaves the acknowledgement as it is.
    await hub.services.async_call(
        "quality", "run", {"start": month.first.isoformat(), "end": month.last.isoformat()}
    )
    assert (await _all_findings(hub, rule="exit_without_entry"))[0]["status"] == "acknowledged"

    # The audit log has who acknowledged what, and why.
    await hub.async_block_till_done()
    audit = await hub.services.async_call(
        "ledger", "audit_query", {"action": "quality.acknowledge", "outcome": "ok"}
    )
    assert audit["total"] == 1
    row = audit["items"][0]
    assert row["user_id"] == officer.id and row["detail"]["data"]["note"] == "司机从西门进厂，西门相机故障"

    # A register defect fixed: the next run marks its finding resolved; it stays listed.
    assert hub.db is not None
    fixed = next(p for p, rule in register.items() if rule == "stage_date_inconsistent")
    from hub.components.ledger.sql import for_dialect

    await hub.db.connection.execute_query(
        for_dialect(hub.db.dialect, "DELETE FROM vehicle WHERE plate = ?"), [fixed]
    )
    await hub.services.async_call("quality", "run", {"date": month.last.isoformat()})
    [resolved] = await _all_findings(hub, rule="stage_date_inconsistent")
    assert resolved["status"] == "resolved" and resolved["subject"] == fixed
    assert hub.states.get("sensor.quality_stage_date_inconsistent").state == "0"


async def test_daily_run_at_the_set_time(make_hub: Any, clock: ManualClock) -> None:
    clock.set(datetime(2026, 10, 2, 1, 0, tzinfo=TZ))
    hub: Hub = await make_hub(
        "hub:\n  name: 质量测试钢厂\nledger:\nquality:\n  daily_at: '01:30'\n  check_seconds: 60\n",
        clock=clock,
    )
    done: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
    hub.bus.async_listen("quality_summary", lambda e: done.done() or done.set_result(dict(e.data)))
    await advance(clock, 31 * 60, step=60)  # 01:31: the schedule, looked at every minute, runs it
    summary = await asyncio.wait_for(done, timeout=10)
    assert summary["period"] == "2026-10-01"
    assert hub.states.get("sensor.quality_open_findings").attributes["last_run"]["period"] == "2026-10-01"
