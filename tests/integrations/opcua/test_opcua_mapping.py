"""Which variable each entity feeds, and how values are typed: table-driven, no I/O."""

from __future__ import annotations

from datetime import UTC, datetime
from types import MappingProxyType

import pytest
from asyncua import ua

from hub.core import State
from hub.integrations.opcua.mapping import (
    LaneIndex,
    convert,
    lane_points,
    lanes_in_config,
    plant_points,
    read_points,
)

V = ua.VariantType


@pytest.mark.parametrize(
    ("object_id", "attributes", "lane"),
    [
        ("east_gate_in_plate", {"gate": "east_gate", "lane": "in"}, ("east_gate", "in")),
        (
            "west_gate_main_in_camera_online",
            {"gate": "west_gate", "lane": "main_in"},
            ("west_gate", "main_in"),
        ),
        ("east_gate_in_weight", {}, ("east_gate", "in")),  # no attributes: the last word is the lane
        ("east_gate_in_barrier_online", {}, ("east_gate", "in")),
        (
            "east_gate_in_display",
            {"gate": "north", "lane": "x"},
            ("east_gate", "in"),
        ),  # attributes of another lane
        ("plant_entries_today", {}, None),
        ("uplink_province_pending", {}, None),
        ("in_weight", {}, None),
        ("east_gate_in_something", {}, None),
    ],
)
def test_lanes_are_discovered_from_attributes_or_known_suffixes(object_id, attributes, lane) -> None:
    assert LaneIndex.discover(object_id, attributes) == lane


def test_the_longest_lane_key_wins() -> None:
    lanes = LaneIndex()
    assert lanes.add("east_gate", "in") and lanes.add("east_gate", "in_2")
    assert not lanes.add("east_gate", "in") and not lanes.add("East", "in")
    assert lanes.match("east_gate_in_2_plate") == ("east_gate", "in_2", "plate")
    assert lanes.match("east_gate_in_plate") == ("east_gate", "in", "plate")
    assert lanes.match("east_gate_in") is None


@pytest.mark.parametrize(
    ("raw", "vtype", "expected"),
    [
        ("on", V.Boolean, True),
        ("off", V.Boolean, False),
        (True, V.Boolean, True),
        ("12", V.Int64, 12),
        ("12.0", V.Int64, 12),
        ("31250.5", V.Double, 31250.5),
        (None, V.String, ""),
        ("2026-11-24T08:00:00+08:00", V.DateTime, datetime(2026, 11, 24, 0, 0, tzinfo=UTC)),
        (1796083200, V.DateTime, datetime(2026, 12, 1, 0, 0, tzinfo=UTC)),
    ],
)
def test_values_convert_to_the_variable_type(raw, vtype, expected) -> None:
    assert convert(raw, vtype) == expected


@pytest.mark.parametrize(("raw", "vtype"), [("maybe", V.Boolean), ("heavy", V.Double), (None, V.Int64)])
def test_values_that_do_not_fit_are_refused(raw, vtype) -> None:
    with pytest.raises(ValueError):
        convert(raw, vtype)


def test_readings_carry_a_bad_status_instead_of_a_wrong_value() -> None:
    weight = lane_points("weight")
    gone = read_points(weight, State("sensor.a_b_weight", "unavailable"))
    assert {r.status for r in gone} == {"BadNoCommunication"}
    odd = read_points(weight, State("sensor.a_b_weight", "heavy", MappingProxyType({"steady": True})))
    assert [(r.point.field, r.status, r.value) for r in odd] == [
        ("kg", "BadTypeMismatch", None),
        ("steady", "Good", True),
    ]
    unknown_kind = lane_points("queue_length")
    assert [(p.group, p.field, p.vtype) for p in unknown_kind] == [("queue_length", "state", V.String)]


@pytest.mark.parametrize(
    ("entity_id", "fields"),
    [
        (
            "select.plant_alert_level",
            ["alert_level", "alert_state", "alert_response_level", "alert_measure", "alert_source"],
        ),
        ("sensor.plant_denied_today", ["denied_today"]),
        ("sensor.uplink_province_pending", ["upload_backlog_province"]),
        ("binary_sensor.uplink_city_connected", ["uplink_city_connected"]),
        ("sensor.plant_weather", []),
        ("sensor.east_gate_in_plate", []),
    ],
)
def test_plant_variables(entity_id, fields) -> None:
    assert [p.field for p in plant_points(entity_id)] == fields


def test_lanes_named_anywhere_in_the_configuration() -> None:
    config = {
        "barrier": {"lanes": [{"gate": "east_gate", "lane": "in"}, {"gate": "east_gate", "lane": "out"}]},
        "anpr": {"cameras": [{"gate": "east_gate", "lane": "in", "direction": "in"}]},
        "traffic": {"lanes": [{"gate": "West Gate", "lane": "main"}]},  # not a slug: ignored
        "hub": {"name": "x"},
    }
    assert lanes_in_config(config) == [("east_gate", "in"), ("east_gate", "out")]


def _state(entity_id: str, value: str, **attributes: object) -> State:
    return State(entity_id, value, MappingProxyType(dict(attributes)))


@pytest.mark.parametrize(
    ("what", "value", "attributes", "field", "expected", "status"),
    [
        ("barrier", "closed", {}, "state", 0, "Good"),  # BarrierPositionEnum
        ("barrier", "fault", {}, "state", 4, "Good"),
        ("barrier", "stopped", {}, "state", None, "BadTypeMismatch"),  # not one of the enumeration
        ("barrier", "open", {}, "position", "open", "Good"),  # the text beside it stays
        ("decision", "review", {}, "state", 2, "Good"),
        ("plate", "冀B12345", {"confidence": 0.97}, "confidence", 97.0, "Good"),  # percent
    ],
)
def test_lane_readings_enumerations_and_percent(what, value, attributes, field, expected, status) -> None:
    from hub.integrations.opcua.mapping import lane_points

    readings = {r.point.field: r for r in read_points(lane_points(what), _state("x.y", value, **attributes))}
    reading = readings[field]
    assert reading.status == status
    assert (
        reading.value == pytest.approx(expected) if isinstance(expected, float) else reading.value == expected
    )


@pytest.mark.parametrize(
    ("raw", "ok"), [("0", True), ("4294967295", True), ("-1", False), ("4294967296", False)]
)
def test_counters_are_uint32(raw, ok) -> None:
    (point,) = plant_points("sensor.plant_entries_today")
    assert point.vtype == V.UInt32
    (reading,) = read_points([point], _state("sensor.plant_entries_today", raw))
    assert (reading.status == "Good") is ok
