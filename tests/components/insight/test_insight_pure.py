"""The limits, the join and the anomaly rules as pure functions (table-driven, no I/O)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hub.components.insight.anomalies import AnomalyRules
from hub.components.insight.config import DEFAULT_LIMITS, Anomalies, Join, Limit
from hub.components.insight.join import Joiner, Passage, Reading
from hub.components.insight.limits import exceeded

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 24, 9, 0, tzinfo=TZ)
STAGED = [Limit(fuel="B", stages=["6"], opacity_pct=10, no_ppm=500), *DEFAULT_LIMITS]


@pytest.mark.parametrize(
    ("fuel", "stage", "reading", "expected"),
    [
        ("B", "6", {"no_ppm": 450, "opacity_pct": 2}, set()),
        ("B", "6", {"no_ppm": 900, "opacity_pct": 2}, {"no_ppm"}),  # over the 国六 limit only
        ("B", "5", {"no_ppm": 900, "opacity_pct": 2}, set()),
        ("B", "4", {"no_ppm": 1600, "opacity_pct": 35}, {"no_ppm", "opacity_pct"}),
        ("E", "5", {"no_ppm": 400, "hc_ppm": 300, "co_pct": 0.1}, {"hc_ppm"}),  # gas: GB 18285 limits
        ("B", "4", {"no_ppm": 1600, "opacity_pct": 35, "valid": False}, set()),  # invalid: never
        ("B", "4", {"no_ppm": None}, set()),  # not measured
    ],
)
def test_limits_by_fuel_and_stage(fuel, stage, reading, expected) -> None:
    assert set(exceeded(STAGED, fuel, stage, reading)) == expected


def passage(pid: str, seconds: float, plate: str | None, lane: str = "in") -> Passage:
    return Passage(pid, T0.timestamp() + seconds, plate, "east_gate", lane)


def reading(rid: str, seconds: float, plate: str | None, lane: str | None = "in") -> Reading:
    return Reading(rid, T0.timestamp() + seconds, plate, "east_gate", lane)


def test_a_reading_joins_by_plate_within_the_window_either_order() -> None:
    joiner = Joiner(Join(window_seconds=120, lane_window_seconds=20))
    joiner.add_passage(passage("p1", 0, "冀B10001"))
    joiner.add_passage(passage("p2", 5, "冀B10002"))
    joined = joiner.add_reading(reading("r1", 30, "冀B10001"))
    assert joined is not None and (joined[0].passage_id, joined[1]) == ("p1", "plate")
    assert joiner.add_reading(reading("r2", 400, "冀B10002")) is None  # too late: waits, joins nothing
    early = reading("r3", 500, "冀B10003")  # the unit read it before the camera
    assert joiner.add_reading(early) is None
    later = joiner.add_passage(passage("p3", 560, "冀B10003"))
    assert [(r.reading_id, m) for r, m in later] == [("r3", "plate")]


def test_an_unplated_reading_joins_the_nearest_passage_of_its_lane_once() -> None:
    joiner = Joiner(Join(window_seconds=120, lane_window_seconds=20))
    joiner.add_passage(passage("p1", 0, "冀B10001"))
    joiner.add_passage(passage("p2", 12, "冀B10002", lane="out"))
    joined = joiner.add_reading(reading("r1", 8, None))
    assert joined is not None and (joined[0].passage_id, joined[1]) == ("p1", "lane")
    assert joiner.add_reading(reading("r2", 9, None)) is None  # p1 has its reading
    assert joiner.add_reading(reading("r3", 60, None)) is None  # nothing of the lane that close
    assert Joiner(Join(by_lane=False)).add_reading(reading("r4", 0, None)) is None


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def entry(plate: str, fleet: str, decision: str = "allow", pid: str | None = None) -> dict[str, str]:
    return {"plate": plate, "fleet": fleet, "direction": "in", "decision": decision,
            "passage_id": pid or f"{plate}-{decision}"}  # fmt: skip


def test_a_vehicle_entering_far_more_often_than_its_fleet() -> None:
    rules = AnomalyRules(Anomalies(frequent_factor=3, frequent_min_entries=6))
    found = []
    for i in range(5):  # five trucks, two trips each
        for trip in range(2):
            found += rules.on_passage(entry(f"冀B1000{i}", "顺达"), at(i + trip * 60))
    assert found == []
    for k in range(6):  # one of them comes in eight times in all
        found += rules.on_passage(entry("冀B10000", "顺达"), at(200 + k * 20))
    assert [(a.rule, a.subject) for a in found] == [("frequent_vehicle", "冀B10000")]
    assert found[0].detail["entries"] == 7 and found[0].detail["fleet_median"] == 2


def test_night_activity_out_of_pattern() -> None:
    rules = AnomalyRules(Anomalies(night_min_history=10))
    day = [a for d in range(12) for a in rules.on_passage(entry("冀B1", "顺达"), at(d * 1440 + 60))]
    assert day == []
    night = rules.on_passage(entry("冀B1", "顺达"), T0.replace(hour=2) + timedelta(days=13))
    assert [(a.rule, a.subject) for a in night] == [("night_activity", "顺达")]
    other = AnomalyRules(Anomalies(night_min_history=10))
    assert other.on_passage(entry("冀B2", "宏远"), T0.replace(hour=2)) == []  # no history: no pattern


def test_repeated_denials_followed_by_a_release() -> None:
    rules = AnomalyRules(Anomalies(denials_before_release=3))
    rules.on_passage(entry("冀B1", "顺达", "deny", "d1"), at(0))
    assert rules.on_release("d1", at(1).timestamp()) == []  # one denial, then released: normal
    for i in range(2, 5):
        rules.on_passage(entry("冀B1", "顺达", "deny", f"d{i}"), at(i))
    found = rules.on_release("d4", at(5).timestamp())
    assert [(a.rule, a.subject) for a in found] == [("denied_then_released", "冀B1")]


def test_a_lane_weighing_without_plate_reads() -> None:
    rules = AnomalyRules(Anomalies(weights_without_reads=3))
    found = []
    for i in range(6):  # a read before each weight: normal
        rules.on_plate_read("east_gate", "in")
        found += rules.on_vehicle_seen("east_gate", "in", at(i).timestamp())
    assert found == []
    for i in range(3):
        found += rules.on_vehicle_seen("east_gate", "in", at(10 + i).timestamp())
    assert [(a.rule, a.subject) for a in found] == [("lane_without_reads", "east_gate_in")]


def test_ranges_given_are_merged_over_the_defaults() -> None:
    ranges = Anomalies.model_validate({"ranges": {"pm25": [0, 600]}}).ranges
    assert ranges["pm25"] == (0, 600) and ranges["humidity"] == (0, 100)


def test_a_microstation_flat_out_of_range_or_silent() -> None:
    rules = AnomalyRules(Anomalies(flat_readings=5, missing_minutes=15))
    found = []
    for i in range(20):
        values = {"pm25": 30 + i % 3, "no2": 20.0, "temperature": 8.1}  # a still temperature is weather
        found += rules.on_air_quality("fence", values, i * 30.0)
    assert [(a.rule, a.subject) for a in found] == [("station_flat", "fence/no2")]
    assert [a.rule for a in rules.on_air_quality("fence", {"pm25": 5000}, 700)] == ["station_out_of_range"]
    assert rules.check_silence(700 + 14 * 60) == []
    assert [a.subject for a in rules.check_silence(700 + 16 * 60)] == ["fence"]
    assert rules.check_silence(700 + 60 * 60) == []  # raised once per silence
