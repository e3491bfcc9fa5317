"""Pure parts of the reports, table-driven: periods, alert switches to periods, the HJ formats, the
clean-transport classes, trip pairing with tonnage, formula injection."""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from hub.components.reports.alerts import periods, switches
from hub.components.reports.clean import overlap_share, road_class
from hub.components.reports.config import ScheduleConfig
from hub.components.reports.facts import Pairing, cargo_tonnes
from hub.components.reports.period import resolve
from hub.components.reports.schedule import due_jobs
from hub.components.reports.sheets import link_formula, risky
from hub.components.reports.tables import hj_date, hj_time, labelled
from hub.components.reports.tonnage import parse_rows

TZ = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("kind", "day", "first", "last"),
    [
        ("day", date(2026, 11, 5), date(2026, 11, 5), date(2026, 11, 5)),
        ("week", date(2026, 11, 5), date(2026, 11, 2), date(2026, 11, 8)),
        ("month", date(2026, 2, 14), date(2026, 2, 1), date(2026, 2, 28)),
        ("quarter", date(2026, 11, 5), date(2026, 10, 1), date(2026, 12, 31)),
        ("quarter", date(2026, 2, 5), date(2026, 1, 1), date(2026, 3, 31)),
        ("year", date(2026, 11, 5), date(2026, 1, 1), date(2026, 12, 31)),
    ],
)
def test_periods(kind: str, day: date, first: date, last: date) -> None:
    period = resolve(kind, day)
    assert (period.first, period.last) == (first, last)


def test_a_custom_period_needs_a_forward_range() -> None:
    assert resolve("custom", date(2026, 1, 1), date(2026, 1, 3), date(2026, 1, 9)).days[0] == date(2026, 1, 3)
    with pytest.raises(ValueError):
        resolve("custom", date(2026, 1, 1), date(2026, 1, 9), date(2026, 1, 3))
    with pytest.raises(ValueError):
        resolve("custom", date(2026, 1, 1))


def _ts(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=TZ).timestamp())


def _audit(seq: int, at: str, door: str, data: dict) -> tuple:
    return (seq, _ts(at), at, "wang" if door != "schedule" else None, door, json.dumps({"data": data}))


def test_alert_switches_become_periods() -> None:
    rows = [
        _audit(1, "2026-11-01T08:00:00", "ui", {"level": "yellow"}),
        # scheduled: asked on the 2nd for the 3rd; the schedule's own row marks the switch
        _audit(2, "2026-11-02T10:00:00", "ui", {"level": "orange", "start": "2026-11-03T00:00:00+08:00"}),
        _audit(3, "2026-11-03T00:00:00", "schedule", {"level": "orange", "response_level": "II"}),
        _audit(
            4, "2026-11-04T12:00:00", "opcua", {"response_level": "I", "end": "2026-11-05T00:00:00+08:00"}
        ),
    ]
    found = switches(rows, TZ)  # an end without offset is plant time
    assert [(s["level"], s["door"]) for s in found] == [
        ("yellow", "ui"),
        ("orange", "schedule"),
        ("red", "opcua"),
    ]
    got = periods(found, _ts("2026-11-02T00:00:00"), _ts("2026-11-10T00:00:00"))
    assert [(p["level"], p["from_ts"], p["to_ts"]) for p in got] == [
        ("yellow", _ts("2026-11-02T00:00:00"), _ts("2026-11-03T00:00:00")),
        ("orange", _ts("2026-11-03T00:00:00"), _ts("2026-11-04T12:00:00")),
        ("red", _ts("2026-11-04T12:00:00"), _ts("2026-11-05T00:00:00")),
    ]
    assert not got[2]["open"]


def test_hj_formats_and_labels() -> None:
    assert hj_time("2026-11-24T08:05:09+08:00") == "20261124 080509"
    assert hj_date("2019-05-06") == "20190506" and hj_date(None) == ""
    assert labelled("yellow", {"yellow": "黄色"}) == "黄色(yellow)" and labelled(None, {}) == ""


@pytest.mark.parametrize(
    ("stage", "fuel", "colour", "cls"),
    [
        ("D", "C", "yellow_green", "new_energy"),
        ("6", "C", "yellow", "new_energy"),
        ("6", "B", "yellow", "stage6"),
        ("5", "E", "yellow", "stage5"),
        ("4", "B", "yellow", "older"),
        (None, None, "yellow", "older"),
        ("5", "B", "green", "new_energy"),
    ],
)
def test_road_classes(stage, fuel, colour, cls) -> None:
    assert road_class({"emission_stage": stage, "fuel": fuel, "colour": colour}) == cls


def test_overlap_share_is_by_days() -> None:
    period = resolve("month", date(2026, 11, 1))
    assert overlap_share(date(2026, 11, 1), date(2026, 12, 30), period) == 0.5
    assert overlap_share(date(2026, 12, 1), date(2026, 12, 30), period) == 0


@pytest.mark.parametrize(
    ("cargo", "tonnes"),
    [
        (None, None),
        ({"cargo": "煤"}, None),
        ({"quantity": 31.5}, None),
        ({"quantity": 31.5, "unit": "t"}, 31.5),
        ({"quantity": 2000, "unit": "kg"}, 2.0),
        ({"quantity": 3, "unit": "车"}, None),
    ],
)
def test_cargo_tonnes(cargo, tonnes) -> None:
    assert cargo_tonnes(cargo) == tonnes


def _p(seq: int, direction: str, plate: str = "冀B1", **extra) -> dict:
    return {
        "seq": seq,
        "recorded_ts": seq * 60,
        "direction": direction,
        "plate": plate,
        "decision": "allow",
        "cargo": None,
        **extra,
    }


def test_pairing_gives_trips_and_weighbridge_tonnage() -> None:
    seen, trips = [], []
    pairing = Pairing(seen.append, trips.append)
    pairing.feed(
        [
            _p(1, "in", weight_kg=45_000),
            _p(2, "in", "冀B2", weight_kg=15_000),
            _p(3, "out", weight_kg=15_000),
            _p(4, "out", "冀B2", weight_kg=41_000),
            _p(5, "out", "冀B3"),
            _p(6, "in", "冀B4", decision="deny"),
            _p(7, "in", "冀B5"),
        ]
    )
    pairing.finish()
    tonnes = {(p["seq"]): p["tonnes"] for p in seen}
    assert tonnes[1] == 30.0 and tonnes[3] is None  # delivered: on the entry
    assert tonnes[4] == 26.0 and tonnes[2] is None  # shipped: on the exit
    assert [(t["entry"] or {}).get("seq") for t in trips] == [1, 2, None, 7]
    assert [t["dwell_s"] for t in trips] == [120, 120, None, None]
    assert sorted(p["seq"] for p in seen) == [1, 2, 3, 4, 5, 6, 7]


@pytest.mark.parametrize(
    ("text", "bad"),
    [
        ("=1+2", True),
        ("+86", True),
        ("-1", True),
        ("@SUM(A1)", True),
        ("\tx", True),
        ("冀B1", False),
        ("a=b", False),
        (12, False),
    ],
)
def test_formula_injection_is_recognised(text, bad) -> None:
    assert risky(text) is bad


def test_a_link_formula_cannot_be_broken_out_of() -> None:
    assert link_formula("http://h/api/evidence/ab") == '=HYPERLINK("http://h/api/evidence/ab","查看")'
    assert link_formula('http://h/x"),CMD("calc') == '=HYPERLINK("http://h/x%22),CMD(%22calc","查看")'


@pytest.mark.parametrize(
    ("now", "jobs"),
    [
        ("2026-11-04T05:59:00", []),
        ("2026-11-04T06:00:00", [("statistics", "2026-11-03", "2026-11-03")]),
        (
            "2026-11-09T07:00:00",
            [("statistics", "2026-11-08", "2026-11-08"), ("statistics", "2026-11-02", "2026-11-08")],
        ),
        (
            "2026-12-01T06:30:00",
            [
                ("statistics", "2026-11-30", "2026-11-30"),
                ("statistics", "2026-11-01", "2026-11-30"),
                ("clean_transport", "2026-11-01", "2026-11-30"),
            ],
        ),
    ],
)
def test_the_schedule_asks_for_yesterday_the_week_and_the_month(now: str, jobs: list) -> None:
    config = ScheduleConfig.model_validate({"daily_at": "06:00"})
    due = due_jobs(config, datetime.fromisoformat(now).replace(tzinfo=TZ))
    assert [(kind, p.first.isoformat(), p.last.isoformat()) for kind, p in due] == jobs


def test_tonnage_rows_by_header_with_errors_by_row_number() -> None:
    rows = [
        ["运输方式", "方向", "开始日期", "结束日期", "吨数", "货物"],
        ["铁路", "入厂", "2026-11-01", "2026-11-30", "1,200.5", "铁矿石"],
        ["皮带通廊", "出厂", date(2026, 11, 1), date(2026, 11, 30), 300, None],
        [None, None, None, None, None, None],
        ["飞机", "入厂", "2026-11-01", "2026-11-30", 5, None],
        ["水路", "入厂", "2026-11-30", "2026-11-01", "x", None],
    ]
    entries, errors = parse_rows(rows, "ERP 导出")
    assert [(e.mode, e.direction, e.tonnes, e.source) for e in entries] == [
        ("rail", "in", 1200.5, "ERP 导出"),
        ("belt", "out", 300.0, "ERP 导出"),
    ]
    assert [e["row"] for e in errors] == [5, 6]
    assert parse_rows([["吨数"]], "x")[1][0]["error"].startswith("缺少列")
