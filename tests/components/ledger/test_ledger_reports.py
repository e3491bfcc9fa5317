"""Inspection reports: counts by stage/class/fuel/decision, normal vs alert days, a sample, a video window,
and the Excel export an inspector takes away."""

from __future__ import annotations

import io
from datetime import timedelta

import openpyxl
import pytest

from hub.core import Context, ServiceValidationError, Unauthorized
from hub.core.auth import Role
from tests.components.ledger.conftest import passage


async def _record(hub, n: int, **overrides):
    return await hub.services.async_call("ledger", "record_passage", passage(n, **overrides))


async def _inspector(hub) -> Context:
    user = await hub.auth.async_add_user("lijian", "correct horse", frozenset({Role.INSPECTOR}))
    return Context(user_id=user.id)


async def test_counts_of_a_day_and_a_month(ledger_hub, clock) -> None:
    hub = await ledger_hub()
    ctx = await _inspector(hub)
    await _record(hub, 1)
    await _record(hub, 2, vehicle={"emission_stage": "6", "fuel": "E"}, decision="deny")
    await _record(hub, 3, vehicle_class="machinery", vehicle={"emission_stage": "4", "fuel": "B"})
    await _record(hub, 4, direction="out", lane="out")
    clock.advance(timedelta(days=1))
    await _record(hub, 5)
    day = (clock.now() - timedelta(days=1)).date()

    r = await hub.services.async_call("ledger", "report", {"report": "counts", "date": day.isoformat()}, ctx)
    assert (r["entries"], r["exits"], r["denied"]) == (3, 1, 1)
    assert r["by_stage"] == {"4": 1, "5": 1, "6": 1}
    assert r["by_class"] == {"machinery": 1, "transport": 2}
    assert r["by_fuel"] == {"B": 2, "E": 1}
    assert r["by_decision"] == {"allow": 3, "deny": 1, "review": 0}

    month = await hub.services.async_call(
        "ledger", "report", {"report": "counts", "period": "month", "date": day.isoformat()}, ctx
    )
    assert month["start"].endswith("-01") and len(month["days"]) == 30
    assert (month["entries"], month["by_stage"]["5"]) == (4, 2)


async def test_normal_days_against_alert_days(ledger_hub, clock) -> None:
    hub = await ledger_hub()
    first = clock.now().date()
    # Day 1 normal: 3 entries of 2 vehicles; day 2 orange: 1 entry; day 3 nothing; day 4 normal: 1 entry.
    await _record(hub, 1)
    await _record(hub, 1)
    await _record(hub, 2)
    await _record(hub, 9, direction="out", lane="out")
    clock.advance(timedelta(days=1))
    await _record(hub, 3, alert_level="normal")
    await _record(hub, 4, alert_level="orange", rule="alert:orange")
    clock.advance(timedelta(days=2))
    await _record(hub, 5)
    r = await hub.services.async_call(
        "ledger", "report",
        {"report": "averages", "start": first.isoformat(), "end": (first + timedelta(days=3)).isoformat()},
    )  # fmt: skip
    assert [d["level"] for d in r["per_day"]] == ["normal", "orange", "none", "normal"]
    assert [(d["entries"], d["vehicles"]) for d in r["per_day"]][:2] == [(3, 2), (2, 2)]
    assert r["normal"] == {"days": 2, "avg_entries": 2.0, "avg_vehicles": 1.5,
                           "dates": [first.isoformat(), (first + timedelta(days=3)).isoformat()]}  # fmt: skip
    assert (r["alert"]["days"], r["alert"]["avg_entries"], r["empty_days"]) == (1, 2.0, 1)


async def test_sample_is_random_checked_and_repeatable(ledger_hub, clock) -> None:
    hub = await ledger_hub()
    ctx = await _inspector(hub)
    for n in range(12):
        await _record(hub, n, images={} if n == 3 else passage(n)["images"])
    data = {"report": "sample", "size": 12, "seed": 7}
    r = await hub.services.async_call("ledger", "report", data, ctx)
    assert (r["population"], r["size"], r["complete"]) == (12, 12, 11)
    bad = next(i for i in r["items"] if not i["complete"])
    assert bad["plate"] == "冀B00003" and "photo_plate" in bad["missing"]
    good = next(i for i in r["items"] if i["complete"])
    assert good["photo_check"]["plate"]["state"] == "ok"

    five = {"report": "sample", "size": 5, "seed": 42}
    a = await hub.services.async_call("ledger", "report", five, ctx)
    b = await hub.services.async_call("ledger", "report", five, ctx)
    assert [i["seq"] for i in a["items"]] == [i["seq"] for i in b["items"]] and a["size"] == 5
    with pytest.raises(ServiceValidationError):
        await hub.services.async_call("ledger", "report", {"report": "window"}, ctx)


async def test_window_and_export(ledger_hub, clock) -> None:
    hub = await ledger_hub()
    ctx = await _inspector(hub)
    start = clock.now()
    for n in range(6):
        await _record(hub, n, lane="in" if n % 2 == 0 else "in2")
        clock.advance(timedelta(minutes=3))
    window = {"report": "window", "at": start.isoformat(), "minutes": 10, "gate": "east_gate", "lane": "in"}
    r = await hub.services.async_call("ledger", "report", window, ctx)
    assert [i["plate"] for i in r["items"]] == ["冀B00000", "冀B00002"]  # minute 0 and 6; minute 12 is out

    out = await hub.services.async_call("ledger", "export", {"report": window, "format": "xlsx"}, ctx)
    assert out["rows"] == 2 and out["filename"].endswith(".xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(out["content"])).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0][0] == "视频比对时段通行记录" and "台账测试" in values[1][0]
    assert values[2][:6] == ["序号", "记录时间", "门岗", "车道", "方向", "车牌号码"]
    assert [v[5] for v in values[3:]] == ["冀B00000", "冀B00002"] and values[3][4] == "入厂"

    query = {"query": {"start": start.isoformat(), "sort": "recorded_at"}, "format": "csv"}
    csv_out = await hub.services.async_call("ledger", "export", query, ctx)
    text = csv_out["content"].decode("utf-8-sig")
    assert csv_out["rows"] == 6 and text.count("冀B0000") == 6

    await hub.async_block_till_done()
    audit = await hub.services.async_call("ledger", "audit_query", {"action": "ledger.export"}, ctx)
    assert audit["total"] == 2
    guard = await hub.auth.async_add_user("menwei", "correct horse", frozenset({Role.GUARD}))
    with pytest.raises(Unauthorized):
        await hub.services.async_call("ledger", "report", {"report": "counts"}, Context(user_id=guard.id))
