"""The statistics' one grouped SQL pass (counts.py): every breakdown it feeds, for the plant and for one
gate, against an independent count over the raw ledger rows of a planted month."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any

from hub.core import Context
from hub.core.auth import Role
from tests.components.reports.conftest import MONTH_START, TZ, generate_month, raw_rows, record


def _inout(pairs: Counter) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = defaultdict(lambda: {"in": 0, "out": 0})
    for (key, direction), n in pairs.items():
        out[key][direction] += n
    return dict(out)


def expected(passages: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures as a person would count them, passage by passage."""
    outcomes: dict[Any, dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(("in", "out", "allow", "deny", "review"), 0)
    )
    unregistered: dict[str, dict[str, Any]] = {}
    in_use: dict[tuple[str, str], int] = {}  # (class, identity) -> passages
    for p in passages:
        day = datetime.fromisoformat(p["recorded_at"]).astimezone(TZ).date().isoformat()
        for key in (day, (p["gate"], p["lane"])):
            outcomes[key][p["direction"]] += 1
            outcomes[key][p["decision"]] += 1
        vehicle = p.get("vehicle") or {}
        if p["reason_code"] == "unregistered" or vehicle.get("registered") is False:
            u = unregistered.setdefault(
                p["plate"], {"plate": p["plate"], "passages": 0, "denied": 0, "at": []}
            )
            u["passages"] += 1
            u["denied"] += p["decision"] == "deny"
            u["at"].append(p["recorded_at"])
        if p["vehicle_class"] in ("in_plant", "machinery"):
            ident = p["plate"] or vehicle.get("env_code") or vehicle.get("internal_no")
            in_use[(p["vehicle_class"], ident)] = in_use.get((p["vehicle_class"], ident), 0) + 1
    denied = Counter(p["reason_code"] for p in passages if p["decision"] == "deny")
    texts: dict[str, list[str]] = defaultdict(list)
    for p in passages:
        if p["decision"] == "deny":
            texts[p["reason_code"]].append(p["reason_text"])
    return {
        "by_class": _inout(Counter((p["vehicle_class"], p["direction"]) for p in passages)),
        "by_fuel": _inout(Counter((p["fuel"] or "?", p["direction"]) for p in passages)),
        "by_colour": _inout(Counter((p["colour"] or "unknown", p["direction"]) for p in passages)),
        "by_vehicle_type": _inout(
            Counter(((p.get("vehicle") or {}).get("vehicle_type") or "?", p["direction"]) for p in passages)
        ),
        "by_lane": {key: value for key, value in outcomes.items() if isinstance(key, tuple)},
        "days": {key: value for key, value in outcomes.items() if isinstance(key, str)},
        "denied_by_reason": sorted(
            ((code, min(texts[code]), n) for code, n in denied.items()), key=lambda d: (-d[2], d[0])
        ),
        "unregistered": sorted(
            (u["plate"], u["passages"], min(u["at"]), max(u["at"]), u["denied"])
            for u in unregistered.values()
        ),
        "in_use": {cls: [n for (c, _), n in in_use.items() if c == cls] for cls in ("in_plant", "machinery")},
    }


def observed(s: dict[str, Any]) -> dict[str, Any]:
    return {
        "by_class": s["by_class"],
        "by_fuel": s["by_fuel"],
        "by_colour": s["by_colour"],
        "by_vehicle_type": s["by_vehicle_type"],
        "by_lane": {
            (d["gate"], d["lane"]): {k: d[k] for k in ("in", "out", "allow", "deny", "review")}
            for d in s["by_lane"]
        },
        "days": {
            d["date"]: {k: d[k] for k in ("in", "out", "allow", "deny", "review")}
            for d in s["days"]
            if d["in"] or d["out"]
        },
        "denied_by_reason": [(d["reason_code"], d["reason_text"], d["count"]) for d in s["denied_by_reason"]],
        "unregistered": [
            (u["plate"], u["passages"], u["first"], u["last"], u["denied"])
            for u in s["unregistered"]["items"]
        ],
    }


async def test_one_pass_figures_match_an_independent_count(reports_hub, month_clock) -> None:
    hub = await reports_hub()
    await generate_month(hub, month_clock, days=3)
    # A second gate with what the generated days lack: a review, a machine known by its internal number,
    # a vehicle whose register snapshot says unregistered though the reason is another, a gas truck.
    west = {"gate": "west_gate", "lane": "in"}
    second = MONTH_START + timedelta(days=1, hours=17)
    machine = {"internal_no": "CN-07", "vehicle_type": "叉车", "emission_stage": "4", "fuel": "B"}
    tanker = {"registered": False, "vehicle_type": "重型罐式货车", "emission_stage": "5", "fuel": "F"}
    at = [second + timedelta(minutes=m) for m in (0, 5, 9)]
    await record(hub, month_clock, at[0], **west, plate="", vehicle_class="machinery", colour="unknown",
                 vehicle=machine)  # fmt: skip
    await record(hub, month_clock, at[1], **west, plate="晋C55555", decision="review",
                 reason_code="doubtful_read", reason_text="待复核", vehicle=tanker)  # fmt: skip
    await record(hub, month_clock, at[2], **west, plate="晋C55555", decision="deny",
                 reason_code="unregistered", reason_text="未备案", colour="green")  # fmt: skip
    user = await hub.auth.async_add_user("lijian", "correct horse 3", frozenset({Role.INSPECTOR}))
    ctx = Context(user_id=user.id)
    passages = [r for r in await raw_rows(hub) if r["kind"] == "passage"]

    month = await hub.services.async_call(
        "reports", "statistics", {"period": "month", "date": "2026-11-15"}, ctx
    )
    want, got = expected(passages), observed(month)
    for key in ("by_class", "by_fuel", "by_colour", "by_vehicle_type", "by_lane", "days", "denied_by_reason",
                "unregistered"):  # fmt: skip
        assert got[key] == want[key], key
    assert got["by_vehicle_type"]["叉车"] == {"in": 1, "out": 0}
    assert {u[0] for u in got["unregistered"]} == {"豫A99999", "晋C55555"}
    for cls in ("in_plant", "machinery"):
        found = month[cls]
        assert found["vehicles"] == len(want["in_use"][cls])
        assert found["passages"] == sum(want["in_use"][cls])
    assert month["machinery"]["vehicles"] == 2  # JX-0001 by its environmental code, CN-07 by its number
    assert month["machinery"]["by_stage"] == {"2/diesel": 1, "4/diesel": 1}

    # one gate: the same figures of its passages only
    gate = await hub.services.async_call(
        "reports", "statistics", {"period": "month", "date": "2026-11-15", "gate": "west_gate"}, ctx
    )
    mine = [p for p in passages if p["gate"] == "west_gate"]
    want, got = expected(mine), observed(gate)
    for key in ("by_class", "by_fuel", "by_colour", "by_vehicle_type", "by_lane", "days", "denied_by_reason",
                "unregistered"):  # fmt: skip
        assert got[key] == want[key], key
    assert gate["totals"] == {"in": 3, "out": 0, "allow": 1, "deny": 1, "review": 1, "released": 0,
                              "corrections": 0}  # fmt: skip
    assert (gate["machinery"]["vehicles"], gate["in_plant"]["vehicles"]) == (1, 0)
