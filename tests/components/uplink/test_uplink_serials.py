"""Pure pieces of the city profiles: serial numbers, a profile laid over another, photos as data URIs."""

from __future__ import annotations

import base64

import pytest

from hub.components.uplink.mapping import MappingError, data_uri, parse_value
from hub.components.uplink.profile import load_profile, merged
from hub.components.uplink.serial import built_serial, passage_serial

PROFILE = load_profile("transport_control").with_codes({"gate": {"east_gate": "G01"}})


@pytest.mark.parametrize(
    ("row", "seq", "expected"),
    [
        ({"gate": "east_gate", "direction": "in"}, 7, "P1G01A26112408000000000007"),
        ({"gate": "east_gate", "direction": "out"}, 8, "P1G01B26112408000000000008"),
        ({"gate": "west_gate", "direction": "in"}, 9, "P1west_gateA26112408000000000009"),  # no code: as is
    ],
)
def test_serial_is_plant_gate_direction_second_and_sequence(row, seq, expected) -> None:
    assert built_serial(PROFILE, "P1", row, seq, "2026-11-24T08:00:00+08:00") == expected


def test_a_platform_issued_serial_wins() -> None:
    row = {"gate": "east_gate", "direction": "in", "seq": 3, "recorded_at": "2026-11-24T08:00:00+08:00"}
    assert passage_serial(PROFILE, "P1", row).endswith("00000003")
    issued = {**row, "vehicle": {"platform_check": {"serial": "JT42"}}}
    assert passage_serial(PROFILE, "P1", issued) == "JT42"


def test_a_gate_outside_a_closed_code_list_has_no_serial() -> None:
    closed = PROFILE.model_copy(update={"codes": {**PROFILE.codes, "gate": {"east_gate": "G01"}}})
    with pytest.raises(MappingError):
        built_serial(closed, "P1", {"gate": "west_gate", "direction": "in"}, 1, "2026-11-24T08:00:00+08:00")


def test_merged_profiles() -> None:
    base = {"a": {"x": 1, "y": 2}, "b": [1], "c": {"k": 1}}
    over = {"a": {"y": 3, "x": None}, "b": [2], "c": {"_replace": True, "z": 9}}
    assert merged(base, over) == {"a": {"y": 3}, "b": [2], "c": {"z": 9}}


def test_data_uri_round_trip() -> None:
    jpeg, png = b"\xff\xd8\xff\xe0jpeg", b"\x89PNG\r\n\x1a\npng"
    assert data_uri(jpeg).startswith("data:image/jpeg;base64,")
    assert data_uri(png) == "data:image/png;base64," + base64.b64encode(png).decode()
    assert parse_value(PROFILE, "data_uri", data_uri(jpeg), "tp") == jpeg
    with pytest.raises(MappingError):
        parse_value(PROFILE, "data_uri", base64.b64encode(jpeg).decode(), "tp")  # the prefix is missing
