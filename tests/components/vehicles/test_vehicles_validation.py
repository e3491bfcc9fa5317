"""Validation of register records, table-driven, no I/O: plates, VINs, code lists, dates, cross rules."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from hub.components.vehicles.codes import (
    CodeError,
    is_heavy,
    parse_bool,
    parse_colour,
    parse_fuel,
    parse_stage,
    parse_vehicle_type,
    vehicle_type_index,
)
from hub.components.vehicles.fields import VehicleClass
from hub.components.vehicles.transfer import export_rows, parse_register_rows
from hub.components.vehicles.validate import RecordError, Rules, record_key, validate_record
from hub.util.vin import validate_vin, vin_check_digit
from tests.components.vehicles.conftest import in_plant, machinery, transport, vin

TODAY = date(2026, 11, 24)
RULES = Rules(today=TODAY)
T, P, M = VehicleClass.TRANSPORT, VehicleClass.IN_PLANT, VehicleClass.MACHINERY


def errors_of(vclass: VehicleClass, record: dict[str, Any], rules: Rules = RULES) -> dict[str, str]:
    try:
        validate_record(vclass, record, rules)
    except RecordError as err:
        return dict(err.errors)
    return {}


@pytest.mark.parametrize(
    ("plate", "colour", "stored"),
    [
        ("冀B12345", "yellow", "冀B12345"),
        ("冀b·12345", "黄牌", "冀B12345"),  # separators, lower case, Chinese colour name
        ("京AD12345", "green", "京AD12345"),  # small new-energy (8 characters)
        ("冀B12345D", "yellow_green", "冀B12345D"),  # large new-energy
        ("冀B1234挂", "yellow", "冀B1234挂"),  # trailer
        ("粤Z1234港", "black", "粤Z1234港"),  # Hong Kong cross-border
        ("津AO1234", "blue", "津A01234"),  # O after the authority letter reads as 0
    ],
)
def test_valid_plates(plate: str, colour: str, stored: str) -> None:
    fuel = "C" if colour in ("green", "yellow_green") else "B"
    stage = "D" if fuel == "C" else "6"
    record = validate_record(T, transport(plate=plate, colour=colour, fuel=fuel, emission_stage=stage), RULES)
    assert record["plate"] == stored and record_key(T, record) == stored


@pytest.mark.parametrize(
    ("plate", "colour", "field", "words"),
    [
        ("冀B1234", "yellow", "plate", "7 characters"),
        ("XB12345", "yellow", "plate", "province"),
        ("冀B12!45", "yellow", "plate", "position 5"),
        ("冀B12I45", "yellow", None, ""),  # I after the authority letter is read as 1: valid
        ("冀B12345D", "yellow", "colour", "cannot be yellow"),  # new-energy plate, wrong colour
        ("冀B12345", "green", "colour", "cannot be green"),
        ("冀B12345", "紫色", "colour", "车牌颜色"),
        ("冀B12345", "unknown", "colour", "车牌颜色"),  # the register needs the real colour
        ("冀B12345", "", "colour", "必填"),
    ],
)
def test_invalid_plates(plate: str, colour: str, field: str | None, words: str) -> None:
    errors = errors_of(T, transport(plate=plate, colour=colour))
    if field is None:
        assert errors == {}
        return
    assert field in errors and words in errors[field], errors


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (vin(7), None),
        (vin(7).lower(), None),  # normalised to upper case
        (vin(7)[:16], "17"),
        (vin(7)[:8] + ("1" if vin(7)[8] != "1" else "2") + vin(7)[9:], "check digit"),
        ("LFWADRJFOJ1000001", "I, O, Q"),
        ("LFWADRJF#J1000001", "invalid characters"),
    ],
)
def test_vin(value: str, problem: str | None) -> None:
    errors = errors_of(T, transport(vin=value))
    if problem is None:
        assert errors == {}
    else:
        assert problem in errors["vin"], errors


def test_vin_check_digit_known_value_and_switch() -> None:
    # The worked example of ISO 3779 / the NHTSA: 1M8GDM9AXKP042788, check digit X.
    assert vin_check_digit("1M8GDM9A_KP042788".replace("_", "0")) == "X"
    assert validate_vin("1M8GDM9AXKP042788") is None
    bad = "1M8GDM9A1KP042788"
    assert "check digit" in (validate_vin(bad) or "")
    assert errors_of(T, transport(vin=bad), Rules(today=TODAY, vin_check_digit=False)) == {}


@pytest.mark.parametrize(
    ("text", "code"),
    [("5", "5"), (5, "5"), (5.0, "5"), ("国五", "5"), ("国V", "5"), ("国Ⅴ", "5"), ("国5", "5"),
     ("国六b", "6"), ("国VIb", "6"), ("国五燃气", "5"), ("d", "D"), ("电动", "D"), ("国0", "0"),
     ("国三", "3")],
)  # fmt: skip
def test_emission_stage_spellings(text: object, code: str) -> None:
    assert parse_stage(text, allow_none=False) == code


def test_emission_stage_none_only_for_machinery() -> None:
    assert parse_stage("x", allow_none=True) == "X"
    with pytest.raises(CodeError, match="machinery"):
        parse_stage("X", allow_none=False)
    with pytest.raises(CodeError, match="国七"):
        parse_stage("国七", allow_none=False)


@pytest.mark.parametrize(
    ("text", "code"),
    [("B", "B"), ("b", "B"), ("柴油", "B"), ("天然气", "E"), ("LNG", "E"), ("电", "C"), ("纯电动", "C"),
     ("混合动力", "O"), ("汽油", "A"), ("LPG", "F")],
)  # fmt: skip
def test_fuel_spellings(text: str, code: str) -> None:
    assert parse_fuel(text) == code


def test_unknown_codes_name_what_is_allowed() -> None:
    with pytest.raises(CodeError, match="B 柴油"):
        parse_fuel("煤")
    with pytest.raises(CodeError, match="重型半挂牵引车"):
        parse_vehicle_type("大卡车", vehicle_type_index())
    assert parse_colour("黄绿双拼") == "yellow_green"


@pytest.mark.parametrize(
    ("text", "stored", "heavy"),
    [("Q11", "重型半挂牵引车", True), ("重型自卸货车", "重型自卸货车", True), ("H17", "重型自卸货车", True),
     ("N3", "N3", True), ("n2", "N2", False), ("轻型厢式货车", "轻型厢式货车", False)],
)  # fmt: skip
def test_vehicle_types(text: str, stored: str, heavy: bool) -> None:
    assert parse_vehicle_type(text, vehicle_type_index()) == stored
    assert is_heavy(stored) is heavy


def test_extra_vehicle_types_from_configuration() -> None:
    rules = Rules(today=TODAY, vehicle_types=vehicle_type_index(["重型洒水车"]))
    assert validate_record(T, transport(vehicle_type="重型洒水车"), rules)["vehicle_type"] == "重型洒水车"


@pytest.mark.parametrize(
    ("text", "value"),
    [("是", True), ("否", False), ("已联网", True), ("N", False), ("1", True), (True, True)],
)
def test_yes_no(text: object, value: bool) -> None:
    assert parse_bool(text) is value


@pytest.mark.parametrize(
    ("value", "stored", "problem"),
    [
        ("20210501", "2021-05-01", None),
        ("2021-05-01", "2021-05-01", None),
        ("2021/5/1", "2021-05-01", None),
        ("2021年5月1日", "2021-05-01", None),
        (date(2021, 5, 1), "2021-05-01", None),
        ("2021-02-30", None, "no such date"),
        ("1949-12-31", None, "out of range"),
        ("2026-11-25", None, "out of range"),  # tomorrow
        ("01/05/2021", None, "yyyymmdd"),
    ],
)
def test_registration_date(value: object, stored: str | None, problem: str | None) -> None:
    if problem is None:
        assert validate_record(T, transport(registration_date=value), RULES)["registration_date"] == stored
    else:
        assert problem in errors_of(T, transport(registration_date=value))["registration_date"]


@pytest.mark.parametrize(
    ("vclass", "record", "field", "words"),
    [
        (T, transport(fuel="C", emission_stage="6"), "emission_stage", "electric"),
        (T, transport(fuel="B", emission_stage="D"), "fuel", "electric"),
        (T, transport(network_status=None), "network_status", "国六"),  # 国六 heavy diesel
        (T, transport(plate="京AD12345", colour="green", fuel="B", emission_stage="6"), "fuel", "new-energy"),
        (T, transport(kerb_mass_kg=30000), "kerb_mass_kg", "kerb"),
        (T, transport(gross_mass_kg="很重"), "gross_mass_kg", "number"),
        (T, transport(gross_mass_kg=12.5), "gross_mass_kg", "whole number"),
        (T, transport(rated_load_kg=-1), "rated_load_kg", "range"),
        (T, transport(fleet="车" * 101), "fleet", "100"),
        (T, transport(colour_of_truck="red"), "colour_of_truck", "unknown field"),
        (T, transport(emission_stage="X"), "emission_stage", "machinery"),
        (P, in_plant(internal_no=None), "internal_no", "required"),
        (P, in_plant(plate="冀B12345"), "colour", "colour"),
        (P, in_plant(internal_no="CN 01#"), "internal_no", "letters"),
        (M, machinery(env_code=None, internal_no=None), "env_code", "required"),
        (M, machinery(engine_no=None), "engine_no", "combustion"),
        (M, machinery(machine_type="飞机"), "machine_type", "装载机"),
        (M, machinery(onsite_date="2028-01-01"), "onsite_date", "range"),
    ],
)
def test_rules_across_fields(vclass: VehicleClass, record: dict[str, Any], field: str, words: str) -> None:
    errors = errors_of(vclass, record)
    assert field in errors and words in errors[field], errors


def test_not_required_where_the_rule_does_not_apply() -> None:
    assert errors_of(T, transport(network_status=None, emission_stage="5")) == {}  # only 国六
    assert errors_of(T, transport(network_status=None, vehicle_type="轻型厢式货车")) == {}  # only heavy
    assert errors_of(P, in_plant(internal_no=None, env_code="JB00000001")) == {}
    assert errors_of(P, in_plant(internal_no=None, plate="冀B12345", colour="yellow")) == {}
    electric = machinery(fuel="C", emission_stage="D", engine_model=None, engine_maker=None, engine_no=None)
    assert errors_of(M, electric) == {}
    assert validate_record(M, machinery(emission_stage="无"), RULES)["emission_stage"] == "X"


def test_documents_required_when_configured() -> None:
    strict = Rules(today=TODAY, require_documents=True, photo_exists=lambda sha: sha == "a" * 64)
    assert "随车清单" in errors_of(T, transport(), strict)["photo_emission_list"]
    assert errors_of(T, transport(photo_licence="a" * 64), strict) == {}
    assert "no stored photo" in errors_of(T, transport(photo_licence="b" * 64), strict)["photo_licence"]
    assert "发动机铭牌" in errors_of(M, machinery(), strict)["photo_engine_plate"]


def test_every_fault_of_a_record_is_named_at_once() -> None:
    errors = errors_of(T, transport(vin="123", fuel="煤", registration_date="yesterday"))
    assert set(errors) == {"vin", "fuel", "registration_date"}


@pytest.mark.parametrize(
    ("vclass", "record"),
    [(T, transport()), (P, in_plant(plate="冀B99999", colour="yellow", whitelist="保民生", special="是")),
     (M, machinery(usable=False, onsite_date="2026-12-01")), (T, transport(note="=HYPERLINK(\"x\")"))],
)  # fmt: skip
@pytest.mark.parametrize("labels", [True, False])
def test_validated_records_survive_export_rows(
    vclass: VehicleClass, record: dict[str, Any], labels: bool
) -> None:
    stored = validate_record(vclass, record, RULES)
    assert validate_record(vclass, stored, RULES) == stored  # canonical form is a fixed point
    headers, rows = export_rows(vclass, [stored], labels)
    parsed = parse_register_rows(vclass, [(1, headers), (2, rows[0])], RULES)
    assert parsed.errors == [] and parsed.items == [(2, stored)]


def test_headers_in_english_and_with_marks() -> None:
    stored = validate_record(T, transport(), RULES)
    headers = [
        "*plate",
        "Colour",
        "车辆类型（必填）",
        "VIN",
        "registration_date",
        "fuel",
        "排放标准",
        "联网状态",
        "其他",
    ]
    values = [stored["plate"], "黄", "Q11", stored["vin"], "20210501", "柴油", "国六", "是", "x"]
    parsed = parse_register_rows(T, [(3, headers), (4, values)], RULES)
    assert parsed.errors == [] and parsed.items[0][1]["vehicle_type"] == "重型半挂牵引车"
    assert parsed.warnings and "其他" in parsed.warnings[0]
