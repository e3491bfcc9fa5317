"""Validation of one register record: pure, no I/O (a photo check is passed in), table-driven by fields.py.

Every value is brought to its canonical form (plate normalised, codes from the code lists, dates ISO
`YYYY-MM-DD`), so a record that went through here once comes out unchanged the second time: exports
re-import identically, and a merge of stored values with a change validates like a new record.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from hub.util.plate import PlateColour, normalise_plate, validate_plate
from hub.util.vin import normalise_vin, validate_vin

from .codes import (
    COMBUSTION_FUELS,
    CodeError,
    clean,
    is_heavy,
    machine_type_index,
    parse_bool,
    parse_colour,
    parse_fuel,
    parse_machine_type,
    parse_stage,
    parse_vehicle_type,
    parse_whitelist,
    vehicle_type_index,
)
from .fields import DOCUMENTS, FIELDS, FieldSpec, VehicleClass

EARLIEST = date(1950, 1, 1)
ONSITE_AHEAD = timedelta(days=366)  # a machine may be booked onto the site up to a year ahead
MAX_CELL = 1000  # longer input is refused before any parsing
_CODE = re.compile(r"^[0-9A-Z\u4e00-\u9fff\-_/.]+$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_DATE_TEXT = re.compile(r"^(\d{4})[-/.年]?(\d{1,2})[-/.月]?(\d{1,2})日?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")
DEFAULTS: dict[str, Any] = {"special": False, "hazardous": False, "usable": True}
# A new-energy plate is issued to electric, plug-in hybrid and fuel-cell vehicles only (GA 36-2018).
NEW_ENERGY_FUELS = frozenset("COZ")


class RecordError(ValueError):
    """A record that cannot go into the register; `errors` lists (field, reason) in 中文 and English."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{name}: {reason}" if name else reason for name, reason in errors))
        self.errors = errors


@dataclass(frozen=True, slots=True)
class Rules:
    """What validation needs to know beyond the record: today's date and the plant's settings."""

    today: date
    vin_check_digit: bool = True
    require_documents: bool = False
    vehicle_types: Mapping[str, str] = field(default_factory=vehicle_type_index)
    machine_types: Mapping[str, str] = field(default_factory=machine_type_index)
    photo_exists: Callable[[str], bool] | None = None


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def control_problem(text: str) -> str | None:
    """Why a cell holding control characters is refused, or None.

    Trimming would change what was given: a leading tab is how some tools defuse a formula
    (`\\t=1+1`), and silently storing `=1+1` instead is a rewrite. Line breaks inside a cell (Alt+Enter
    in Excel) are ordinary text and are folded to spaces; everything else is refused with its position.
    """
    for position, char in enumerate(text, start=1):
        if unicodedata.category(char) != "Cc":
            continue
        if not text[: position - 1].strip():
            return f"以控制字符开头 starts with control character U+{ord(char):04X}; remove it"
        if char in "\r\n":
            continue
        return f"含控制字符 contains control character U+{ord(char):04X} at position {position}; remove it"
    return None


def validate_record(vclass: VehicleClass, raw: Mapping[str, Any], rules: Rules) -> dict[str, Any]:
    """The canonical record (every field of the class, None where empty), or RecordError naming each fault."""
    specs = FIELDS[vclass]
    known = {s.name for s in specs}
    errors = [(k, f"未知字段 unknown field for {vclass.value}") for k in raw if k not in known]
    record: dict[str, Any] = {}
    for spec in specs:
        value = raw.get(spec.name)
        if is_empty(value):
            record[spec.name] = DEFAULTS.get(spec.name)
            if spec.required:
                errors.append((spec.name, f"{spec.header}必填 required"))
            continue
        if isinstance(value, str) and len(value) > MAX_CELL:
            errors.append((spec.name, f"{spec.header}过长 too long ({len(value)} characters)"))
            continue
        if isinstance(value, str) and (problem := control_problem(value)):
            record[spec.name] = None
            errors.append((spec.name, f"{spec.header}{problem}"))
            continue
        try:
            record[spec.name] = _PARSERS[spec.kind](value, spec, rules)
        except (CodeError, ValueError) as err:
            record[spec.name] = None
            errors.append((spec.name, str(err)))
    errors += _CHECKS[vclass](record, rules, {name for name, _ in errors})
    if errors:
        raise RecordError(errors)
    return record


def record_key(vclass: VehicleClass, record: Mapping[str, Any]) -> str:
    """What people call the record: the plate of a road vehicle, the code of the others."""
    if vclass is VehicleClass.TRANSPORT:
        return str(record["plate"])
    if vclass is VehicleClass.IN_PLANT:
        return str(record["internal_no"] or record["env_code"] or record["plate"])
    return str(record["env_code"] or record["internal_no"])


def codes_of(record: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(c for c in (record.get("env_code"), record.get("internal_no")) if c)


# ----- parsers of one value ---------------------------------------------------------------------------
def _text(value: Any, spec: FieldSpec, rules: Rules) -> str:
    text = " ".join(clean(value).split())  # no line breaks or runs of spaces inside a cell
    if spec.max_len and len(text) > spec.max_len:
        raise ValueError(f"{spec.header}最多{spec.max_len}个字符 at most {spec.max_len} characters")
    return text


def _code(value: Any, spec: FieldSpec, rules: Rules) -> str:
    text = clean(value).upper().replace(" ", "")
    if len(text) > spec.max_len:
        raise ValueError(f"{spec.header}最多{spec.max_len}位 at most {spec.max_len} characters")
    if not _CODE.match(text):
        raise ValueError(
            f"{spec.header}只能含字母、数字、汉字和 -_/. letters, digits, 汉字, - _ / . only: {text!r}"
        )
    return text


def _plate(value: Any, spec: FieldSpec, rules: Rules) -> str:
    plate = normalise_plate(clean(value))
    problem = validate_plate(plate)
    if problem:
        raise ValueError(f"车牌号码无效 invalid plate: {problem}")
    return plate


def _vin(value: Any, spec: FieldSpec, rules: Rules) -> str:
    vin = normalise_vin(clean(value))
    problem = validate_vin(vin, check_digit=rules.vin_check_digit)
    if problem:
        raise ValueError(problem)
    return vin


def parse_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = clean(value)
    match = _DATE_TEXT.match(text)
    if not match:
        raise ValueError(
            f"日期格式应为 yyyymmdd 或 yyyy-mm-dd  date expected as yyyymmdd or yyyy-mm-dd, got {text!r}"
        )
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        raise ValueError(f"日期不存在 no such date {text!r}") from None


def _date(value: Any, spec: FieldSpec, rules: Rules, latest: date | None = None) -> str:
    day = parse_date(value)
    latest = latest or rules.today
    if not EARLIEST <= day <= latest:
        raise ValueError(
            f"{spec.header}超出范围 {day.isoformat()} is out of range "
            f"{EARLIEST.isoformat()}..{latest.isoformat()}"
        )
    return day.isoformat()


def _number(value: Any, spec: FieldSpec, cast: type) -> Any:
    try:
        if isinstance(value, bool):
            raise ValueError
        number = float(value) if isinstance(value, int | float) else float(clean(value).replace(",", ""))
    except ValueError:
        raise ValueError(f"{spec.header}应为数字 expected a number, got {clean(value)!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"{spec.header}应为数字 expected a number, got {clean(value)!r}")
    if cast is int and not number.is_integer():
        raise ValueError(f"{spec.header}应为整数 expected a whole number, got {number:g}")
    if not spec.low <= number <= spec.high:
        raise ValueError(f"{spec.header}超出范围 {number:g} is out of range {spec.low:g}..{spec.high:g}")
    return cast(number)


_PARSERS: dict[str, Callable[[Any, FieldSpec, Rules], Any]] = {
    "text": _text,
    "code": _code,
    "plate": _plate,
    "colour": lambda v, s, r: parse_colour(v),
    "vin": _vin,
    "date": _date,
    "onsite_date": lambda v, s, r: _date(v, s, r, r.today + ONSITE_AHEAD),
    "int": lambda v, s, r: _number(v, s, int),
    "float": lambda v, s, r: _number(v, s, float),
    "bool": lambda v, s, r: parse_bool(v),
    "usable": lambda v, s, r: parse_bool(v),
    "stage": lambda v, s, r: parse_stage(v, allow_none=False),
    "machine_stage": lambda v, s, r: parse_stage(v, allow_none=True),
    "fuel": lambda v, s, r: parse_fuel(v),
    "vtype": lambda v, s, r: parse_vehicle_type(v, r.vehicle_types),
    "mtype": lambda v, s, r: parse_machine_type(v, r.machine_types),
    "whitelist": lambda v, s, r: parse_whitelist(v),
    "photo": lambda v, s, r: _photo(v, r),
}


def _photo(value: Any, rules: Rules) -> str:
    digest = clean(value).lower()
    if not _SHA256.match(digest):
        raise ValueError(
            f"照片应为 SHA-256 a photo is given by its SHA-256 (64 hex digits), got {digest[:80]!r}"
        )
    if rules.photo_exists is not None and not rules.photo_exists(digest):
        raise ValueError(f"照片不存在 no stored photo {digest}; upload it first")
    return digest


# ----- rules across fields ------------------------------------------------------------------------------
def _road_checks(record: dict[str, Any], rules: Rules, bad: set[str], vclass: VehicleClass) -> list:
    errors: list[tuple[str, str]] = []
    plate, colour = record.get("plate"), record.get("colour")
    if plate and colour:
        problem = validate_plate(plate, PlateColour(colour))
        if problem:
            errors.append(("colour", f"车牌颜色与号牌不符 plate colour does not fit: {problem}"))
        elif colour in ("green", "yellow_green") and record.get("fuel") not in (None, *NEW_ENERGY_FUELS):
            errors.append(
                ("fuel", "新能源号牌车辆燃料应为电/混合动力 a new-energy plate needs fuel C, O or Z")
            )
    elif plate and "colour" not in bad:
        errors.append(("colour", "有车牌时必须填写车牌颜色 a plate needs its colour"))
    errors += _stage_fuel(record)
    if (
        record.get("emission_stage") == "6" and record.get("fuel") == "B"
        and is_heavy(record.get("vehicle_type")) and record.get("network_status") is None
    ):  # fmt: skip
        errors.append(
            ("network_status", "国六重型柴油车须填写联网状态 联网状态 is required for 国六 heavy diesel")
        )
    kerb, gross = record.get("kerb_mass_kg"), record.get("gross_mass_kg")
    if kerb and gross and kerb > gross:
        errors.append(
            ("kerb_mass_kg", f"整备质量大于总质量 kerb mass {kerb} kg exceeds gross mass {gross} kg")
        )
    errors += _documents(record, rules, vclass)
    return errors


def _stage_fuel(record: dict[str, Any]) -> list[tuple[str, str]]:
    stage, fuel = record.get("emission_stage"), record.get("fuel")
    if fuel == "C" and stage not in (None, "D"):
        return [("emission_stage", "纯电动车辆排放阶段应为D an electric vehicle's emission stage is D")]
    if stage == "D" and fuel in COMBUSTION_FUELS:
        return [("fuel", f"排放阶段D为电动，燃料不能是{fuel} stage D (electric) does not burn fuel {fuel}")]
    return []


def _documents(record: dict[str, Any], rules: Rules, vclass: VehicleClass) -> list[tuple[str, str]]:
    needed = DOCUMENTS[vclass]
    if not rules.require_documents or any(record.get(name) for name in needed):
        return []
    what = "随车清单或行驶证照片" if vclass is not VehicleClass.MACHINERY else "发动机铭牌照片"
    return [(needed[0], f"缺少{what} a document photo is required ({' or '.join(needed)})")]


def _transport(record: dict[str, Any], rules: Rules, bad: set[str]) -> list[tuple[str, str]]:
    return _road_checks(record, rules, bad, VehicleClass.TRANSPORT)


def _in_plant(record: dict[str, Any], rules: Rules, bad: set[str]) -> list[tuple[str, str]]:
    errors = _road_checks(record, rules, bad, VehicleClass.IN_PLANT)
    if not ({"plate", "internal_no", "env_code"} & bad) and not (
        record.get("plate") or record.get("internal_no") or record.get("env_code")
    ):
        errors.append(
            (
                "internal_no",
                "须填写内部管理编号、环保登记编码或车牌 internal number, env code or plate required",
            )
        )
    return errors


def _machinery(record: dict[str, Any], rules: Rules, bad: set[str]) -> list[tuple[str, str]]:
    errors = _stage_fuel(record)
    if not ({"env_code", "internal_no"} & bad) and not (record.get("env_code") or record.get("internal_no")):
        errors.append(
            ("env_code", "须填写环保登记编码或内部编号 env registration code or internal number required")
        )
    if record.get("fuel") in COMBUSTION_FUELS:
        for name, header in (
            ("engine_model", "发动机型号"),
            ("engine_maker", "发动机生产厂"),
            ("engine_no", "发动机编号"),
        ):
            if not record.get(name) and name not in bad:
                errors.append((name, f"{header}必填 required for a machine with a combustion engine"))
    errors += _documents(record, rules, VehicleClass.MACHINERY)
    return errors


_CHECKS = {
    VehicleClass.TRANSPORT: _transport,
    VehicleClass.IN_PLANT: _in_plant,
    VehicleClass.MACHINERY: _machinery,
}
