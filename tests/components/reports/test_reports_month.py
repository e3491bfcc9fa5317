"""Statistics of a generated month, each figure against an independent count over the raw ledger rows."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from hub.core import Context
from hub.core.auth import Role
from tests.components.reports.conftest import TZ, generate_month, raw_rows


def _day(row: dict[str, Any]) -> str:
    return datetime.fromisoformat(row["recorded_at"]).astimezone(TZ).date().isoformat()


async def _inspector(hub) -> Context:
    user = await hub.auth.async_add_user("lijian", "correct horse 3", frozenset({Role.INSPECTOR}))
    return Context(user_id=user.id)


async def test_month_statistics_match_the_raw_rows(reports_hub, month_clock) -> None:
    hub = await reports_hub()
    traffic = await generate_month(hub, month_clock)
    ctx = await _inspector(hub)
    rows = await raw_rows(hub)
    passages = [r for r in rows if r["kind"] == "passage"]
    released_ids = {r["passage_id"] for r in rows if r["kind"] == "release"}

    month = await hub.services.async_call(
        "reports", "statistics", {"period": "month", "date": "2026-11-15"}, ctx
    )
    assert (month["start"], month["end"], len(month["days"])) == ("2026-11-01", "2026-11-30", 30)
    directions = Counter(p["direction"] for p in passages)
    decisions = Counter(p["decision"] for p in passages)
    t = month["totals"]
    assert (t["in"], t["out"]) == (directions["in"], directions["out"])
    assert (t["allow"], t["deny"], t["review"]) == (
        decisions["allow"],
        decisions["deny"],
        decisions["review"],
    )
    assert t["released"] == len(released_ids) == traffic.released
    assert t["corrections"] == traffic.corrections == 1
    by_class = Counter((p["vehicle_class"], p["direction"]) for p in passages)
    assert {(k, d): v[d] for k, v in month["by_class"].items() for d in ("in", "out") if v[d]} == dict(
        by_class
    )
    fam = {"B": "diesel", "E": "gas", "C": "electric"}
    by_stage = Counter(
        (f"{p['emission_stage'] or '?'}/{fam.get(p['fuel'] or '', 'other')}", p["direction"])
        for p in passages
    )
    assert {(k, d): v[d] for k, v in month["by_stage"].items() for d in ("in", "out") if v[d]} == dict(
        by_stage
    )
    assert month["by_stage"]["5/gas"]["in"] == 30 and month["by_stage"]["5/diesel"]["in"] == 30
    denied = Counter(p["reason_code"] for p in passages if p["decision"] == "deny")
    assert {d["reason_code"]: d["count"] for d in month["denied_by_reason"]} == dict(denied)
    assert month["unregistered"]["vehicles"] == 1 and month["unregistered"]["passages"] == 30
    assert month["unregistered"]["items"][0]["plate"] == "豫A99999"
    assert (
        month["releases"][0]["approver"] == "李厂长" and month["releases"][0]["release_reason"] == "保供特批"
    )
    assert (month["corrections"][0]["to"], month["corrections"][0]["reason"]) == ("冀B10012", "识别错误")
    # in-plant vehicles and machinery in use: one each; the 国二 machine is not usable in an orange alert
    assert (month["in_plant"]["vehicles"], month["machinery"]["vehicles"]) == (1, 1)
    assert month["machinery"]["share_usable_in_alert"] == 0.0
    assert month["in_plant"]["share_usable_in_alert"] == 0.0
    # tonnage: weighbridge nets and the cargo supplement, as planned by the generator
    assert month["tonnage"]["in"] == traffic.tonnes["in"] and month["tonnage"]["out"] == traffic.tonnes["out"]
    assert month["tonnage"]["by_cargo"]["钢材"]["out"] == 26.5 * 30
    # trips: each vehicle that went in came out again the same day
    went_in = [
        p
        for p in passages
        if p["direction"] == "in"
        and (p["decision"] == "allow" or p["passage_id"] in released_ids)
        and p["plate"]
    ]
    assert month["trips"]["count"] == len(went_in) and month["trips"]["complete"] == len(went_in)
    # per day, against the raw rows of that day
    for row in month["days"]:
        today = [p for p in passages if _day(p) == row["date"]]
        assert row["in"] == sum(p["direction"] == "in" for p in today)
        assert row["deny"] == sum(p["decision"] == "deny" for p in today)
        assert row["released"] == sum(p["passage_id"] in released_ids for p in today)
        assert row["tonnes_in"] == traffic.tonnes_by_day[row["date"]]["in"]
        assert row["tonnes_out"] == traffic.tonnes_by_day[row["date"]]["out"]

    # a day and a week are the sums of their days
    week = await hub.services.async_call(
        "reports", "statistics", {"period": "week", "date": "2026-11-11"}, ctx
    )
    assert (week["start"], week["end"]) == ("2026-11-09", "2026-11-15")
    days = {d["date"]: d for d in month["days"]}
    assert week["totals"]["in"] == sum(days[d["date"]]["in"] for d in week["days"])
    day = await hub.services.async_call("reports", "statistics", {"date": "2026-11-05"}, ctx)
    assert day["totals"]["in"] == days["2026-11-05"]["in"] and day["days"][0] == days["2026-11-05"]
    # one lane only
    lane = await hub.services.async_call(
        "reports",
        "statistics",
        {"period": "month", "date": "2026-11-01", "gate": "east_gate", "lane": "out"},
        ctx,
    )
    assert lane["totals"]["in"] == 0 and lane["totals"]["out"] == directions["out"]
    # the exit lane's tonnage is what left by it (trips pair across the lanes), and no trip began there
    assert lane["tonnage"]["out"] == traffic.tonnes["out"] and lane["tonnage"]["in"] == 0
    assert lane["trips"]["count"] == 0

    # the alert period: who switched it, what passed, what broke the rule in force
    report = await hub.services.async_call(
        "reports", "alerts", {"period": "month", "date": "2026-11-01"}, ctx
    )
    (alert,) = report["periods"]
    assert (alert["level"], alert["response_level"], alert["switched_by"]) == ("orange", "II", "wang")
    assert alert["start"].startswith("2026-11-10T08:00") and alert["end"].startswith("2026-11-12T08:00")
    inside = [
        p for p in passages if traffic.alert[0] <= datetime.fromisoformat(p["recorded_at"]) < traffic.alert[1]
    ]
    assert alert["passed"]["in"] == sum(p["direction"] == "in" and p["decision"] == "allow" for p in inside)
    broke = [p for p in inside if p.get("rule")]
    assert [v["seq"] for v in alert["violations"]] == [p["seq"] for p in broke]
    assert alert["violations_released"] == sum(p["passage_id"] in released_ids for p in broke)

    # carriers
    cards = await hub.services.async_call("reports", "carriers", {"date": "2026-11-01"}, ctx)
    by_fleet = {c["fleet"]: c for c in cards["carriers"]}
    assert by_fleet["个体"]["denied"] == 30 and by_fleet["顺达物流"]["trips"] == 60
