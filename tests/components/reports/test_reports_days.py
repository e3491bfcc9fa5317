"""The closed days the reports keep in memory (days.py): a month's figures read from kept days equal the
ledger's own after a restart, a follow-up that reaches back into a closed day changes them at once, and
trips that cross midnight (into a kept day, out of one, into today) pair as before."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from hub.core import Hub, ManualClock
from tests.components.reports.conftest import TZ, followup, record

NOV = datetime(2026, 11, 1, tzinfo=TZ)
MONTH = {"period": "month", "date": "2026-11-06"}
TRUCK = {"emission_stage": "6", "fuel": "B", "fleet": "顺达物流", "registered": True}


async def _trip(
    hub: Hub, clock: ManualClock, plate: str, entry: datetime, minutes: int, kg_in: int, kg_out: int
) -> tuple[str, str]:
    """A truck in and out, weighed both ways; the passage ids of its entry and exit."""
    common = {"plate": plate, "vehicle_class": "transport", "vehicle": TRUCK}
    pid_in = await record(hub, clock, entry, **common)
    await followup(hub, clock, entry + timedelta(minutes=1), pid_in, "weight", {"weight_kg": kg_in})
    leave = entry + timedelta(minutes=minutes)
    pid_out = await record(hub, clock, leave, direction="out", lane="out", **common)
    await followup(hub, clock, leave + timedelta(minutes=1), pid_out, "weight", {"weight_kg": kg_out})
    return pid_in, pid_out


async def _reports(hub: Hub) -> dict[str, Any]:
    ask = hub.services.async_call
    return {
        "statistics": await ask("reports", "statistics", MONTH),
        "gate": await ask("reports", "statistics", {**MONTH, "period": "week", "gate": "east_gate"}),
        "clean": await ask("reports", "clean_transport", {**MONTH, "with_passages": True}),
        "carriers": await ask("reports", "carriers", MONTH),
        "custom": await ask(
            "reports", "statistics", {"period": "custom", "start": "2026-10-30", "end": "2026-11-06"}
        ),
    }


def _day(report: dict[str, Any], date: str) -> dict[str, Any]:
    return next(d for d in report["days"] if d["date"] == date)


async def test_a_followup_into_a_closed_day_changes_the_kept_month(
    reports_hub, month_clock, tmp_path
) -> None:
    hub = await reports_hub(config_dir=tmp_path / "plant")
    # Across the month's start (the entry before the period), across midnight between two closed days,
    # and from yesterday (closed, kept) into today.
    await _trip(hub, month_clock, "冀B20001", NOV - timedelta(hours=1), 120, 45_000, 15_000)
    await _trip(
        hub, month_clock, "冀B20002", NOV + timedelta(days=1, hours=23, minutes=30), 70, 15_000, 42_000
    )
    denied = await record(
        hub, month_clock, NOV + timedelta(days=3, hours=9), plate="冀B20003", direction="in", decision="deny",
        reason_code="forbidden", vehicle={**TRUCK, "emission_stage": "4"},
    )  # fmt: skip
    await _trip(
        hub, month_clock, "冀B20004", NOV + timedelta(days=4, hours=23, minutes=50), 30, 45_000, 15_000
    )
    month_clock.set(NOV + timedelta(days=5, hours=10))  # today is the 6th: the 1st to the 5th are closed

    first = await _reports(hub)
    stats = first["statistics"]
    assert stats["tonnage"]["in"] == 30.0 and stats["tonnage"]["out"] == 27.0
    assert _day(stats, "2026-11-03")["tonnes_out"] == 27.0  # the exit after midnight carried the load
    assert stats["trips"]["count"] == 2  # the trip that began in October is October's
    assert stats["trips"]["exit_without_entry"] == 0  # the lookback found the entry of the 31st
    assert stats["trips"]["dwell_max_min"] == 70.0
    assert _day(stats, "2026-11-05")["trips"] == 1  # its exit is today's, read from the ledger
    assert await _reports(hub) == first  # asked again: the same, from the kept days

    # Today, an officer re-weighs the exit of the 3rd and releases the truck denied on the 4th.
    exit_of_3rd = first["clean"]["passages"]["stage6"][0]["passage_id"]
    await followup(
        hub, month_clock, NOV + timedelta(days=5, hours=11), exit_of_3rd, "weight", {"weight_kg": 44_000}
    )
    await followup(
        hub, month_clock, NOV + timedelta(days=5, hours=11), denied, "release", {}, reason="保供特批"
    )
    after = await _reports(hub)
    stats = after["statistics"]
    assert stats["tonnage"]["out"] == 29.0 and _day(stats, "2026-11-03")["tonnes_out"] == 29.0
    assert stats["totals"]["released"] == 1 and _day(stats, "2026-11-04")["released"] == 1
    assert stats["trips"]["count"] == 3 and stats["trips"]["entry_without_exit"] == 1  # it went in
    assert after["gate"]["tonnage"]["out"] == 29.0
    assert after["clean"]["road"]["stage6"]["out"] == 29.0
    assert [c["released"] for c in after["carriers"]["carriers"]] == [1]
    custom = after["custom"]["tonnage"]
    assert (custom["in"], custom["out"]) == (60.0, 29.0)  # with the delivery of October 31st

    # What a restarted hub computes from the ledger alone is what the kept days gave.
    await hub.async_stop()
    again = await reports_hub(config_dir=tmp_path / "plant")
    assert await _reports(again) == after


async def test_a_followup_later_than_31_days_counts_in_no_period(reports_hub, month_clock) -> None:
    hub = await reports_hub()
    _, exit_id = await _trip(
        hub, month_clock, "冀B20005", NOV + timedelta(days=2, hours=9), 60, 15_000, 42_000
    )
    month_clock.set(NOV + timedelta(days=40))
    late = {"cargo": "钢材", "quantity": 10, "unit": "t"}
    await followup(hub, month_clock, NOV + timedelta(days=40), exit_id, "cargo", late)
    ask = hub.services.async_call
    for period in (MONTH, {"period": "custom", "start": "2026-11-03", "end": "2026-12-10"}):
        report = await ask("reports", "statistics", period)
        assert report["tonnage"]["out"] == 27.0 and report["tonnage"]["by_cargo"] == {
            "未填写": {"in": 0.0, "out": 27.0}
        }
