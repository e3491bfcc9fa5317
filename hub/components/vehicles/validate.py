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
from .problems import problem

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


def control_problem(text: str, header: str = "") -> str | None:
    """Why a cell holding control characters is refused, or None.

    Trimming would change what was given: a leading tab is how some tools defuse a formula
    (`\\t=1+1`), and silently storing `=1+1` instead is a rewrite. Line breaks inside a cell (Alt+Enter
    in Excel) are ordinary text and are folded to spaces; everything else is refused with its position.
    """
    for position, char in enumerate(text, start=1):
        if unicodedata.category(char) != "Cc":
            continue
        if not text[: position - 1].strip():
            return problem("control_start", header=header, char=f"{ord(char):04X}")
        if char in "\r\n":
            continue
        return problem("control_char", header=header, char=f"{ord(char):04X}", position=position)
    return None


def validate_record(vclass: VehicleClass, raw: Mapping[str, Any], rules: Rules) -> dict[str, Any]:
    """The canonical record (every field of the class, None where empty), or RecordError naming each fault."""
    specs = FIELDS[vclass]
    known = {s.name for s in specs}
    errors = [(k, problem("unknown_field", vclass=vclass.value)) for k in raw if k not in known]
    record: dict[str, Any] = {}
    for spec in specs:
        value = raw.get(spec.name)
        if is_empty(value):
            record[spec.name] = DEFAULTS.get(spec.name)
            if spec.required:
                errors.append((spec.name, problem("required", header=spec.header)))
            continue
        if isinstance(value, str) and len(value) > MAX_CELL:
            errors.append((spec.name, problem("too_long", header=spec.header, length=len(value))))
            continue
        if isinstance(value, str) and (refused := control_problem(value, spec.header)):
            record[spec.name] = None
            errors.append((spec.name, refused))
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
        raise ValueError(problem("text_too_long", header=spec.header, max=spec.max_len))
    return text


def _code(value: Any, spec: FieldSpec, rules: Rules) -> str:
    text = clean(value).upper().replace(" ", "")
    if len(text) > spec.max_len:
        raise ValueError(problem("code_too_long", header=spec.header, max=spec.max_len))
    if not _CODE.match(text):
        raise ValueError(problem("code_chars", header=spec.header, value=text))
    return text


def _plate(value: Any, spec: FieldSpec, rules: Rules) -> str:
    plate = normalise_plate(clean(value))
    if refused := validate_plate(plate):
        raise ValueError(problem("plate_invalid", problem=refused))
    return plate


def _vin(value: Any, spec: FieldSpec, rules: Rules) -> str:
    vin = normalise_vin(clean(value))
    if refused := validate_vin(vin, check_digit=rules.vin_check_digit):
        raise ValueError(refused)
    return vin


def parse_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = clean(value)
    match = _DATE_TEXT.match(text)
    if not match:
        raise ValueError(problem("date_format", value=text))
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        raise ValueError(problem("no_such_date", value=text)) from None


def _date(value: Any, spec: FieldSpec, rules: Rules, latest: date | None = None) -> str:
    day = parse_date(value)
    latest = latest or rules.today
    if not EARLIEST <= day <= latest:
        raise ValueError(problem("out_of_range", header=spec.header, value=day, low=EARLIEST, high=latest))
    return day.isoformat()


def _number(value: Any, spec: FieldSpec, cast: type) -> Any:
    try:
        if isinstance(value, bool):
            raise ValueError
        number = float(value) if isinstance(value, int | float) else float(clean(value).replace(",", ""))
    except ValueError:
        raise ValueError(problem("not_number", header=spec.header, value=clean(value))) from None
    if not math.isfinite(number):
        raise ValueError(problem("not_number", header=spec.header, value=clean(value)))
    if cast is int and not number.is_integer():
        raise ValueError(problem("not_whole", header=spec.header, value=f"{number:g}"))
    if not spec.low <= number <= spec.high:
        low, high = f"{spec.low:g}", f"{spec.high:g}"
        raise ValueError(problem("out_of_range", header=spec.header, value=f"{number:g}", low=low, high=high))
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
        raise ValueError(problem("photo_hash", value=digest[:80]))
    if rules.photo_exists is not None and not rules.photo_exists(digest):
        raise ValueError(problem("photo_missing", sha256=digest))
    return digest


# ----- rules across fields ------------------------------------------------------------------------------
def _road_checks(record: dict[str, Any], rules: Rules, bad: set[str], vclass: VehicleClass) -> list:
    errors: list[tuple[str, str]] = []
    plate, colour = record.get("plate"), record.get("colour")
    if plate and colour:
        refused = validate_plate(plate, PlateColour(colour))
        if refused:
            errors.append(("colour", problem("colour_mismatch", problem=refused)))
        elif colour in ("green", "yellow_green") and record.get("fuel") not in (None, *NEW_ENERGY_FUELS):
            errors.append(("fuel", problem("new_energy_fuel")))
    elif plate and "colour" not in bad:
        errors.append(("colour", problem("colour_needed")))
    errors += _stage_fuel(record)
    if (
        record.get("emission_stage") == "6" and record.get("fuel") == "B"
        and is_heavy(record.get("vehicle_type")) and record.get("network_status") is None
    ):  # fmt: skip
        errors.append(("network_status", problem("network_needed")))
    kerb, gross = record.get("kerb_mass_kg"), record.get("gross_mass_kg")
    if kerb and gross and kerb > gross:
        errors.append(("kerb_mass_kg", problem("kerb_over_gross", kerb=kerb, gross=gross)))
    errors += _documents(record, rules, vclass)
    return errors


def _stage_fuel(record: dict[str, Any]) -> list[tuple[str, str]]:
    stage, fuel = record.get("emission_stage"), record.get("fuel")
    if fuel == "C" and stage not in (None, "D"):
        return [("emission_stage", problem("electric_stage"))]
    if stage == "D" and fuel in COMBUSTION_FUELS:
        return [("fuel", problem("stage_d_fuel", fuel=fuel))]
    return []


def _documents(record: dict[str, Any], rules: Rules, vclass: VehicleClass) -> list[tuple[str, str]]:
    needed = DOCUMENTS[vclass]
    if not rules.require_documents or any(record.get(name) for name in needed):
        return []
    code = "documents_road" if vclass is not VehicleClass.MACHINERY else "documents_machine"
    return [(needed[0], problem(code, names=" or ".join(needed)))]


def _transport(record: dict[str, Any], rules: Rules, bad: set[str]) -> list[tuple[str, str]]:
    return _road_checks(record, rules, bad, VehicleClass.TRANSPORT)


def _in_plant(record: dict[str, Any], rules: Rules, bad: set[str]) -> list[tuple[str, str]]:
    errors = _road_checks(record, rules, bad, VehicleClass.IN_PLANT)
    if not ({"plate", "internal_no", "env_code"} & bad) and not (
        record.get("plate") or record.get("internal_no") or record.get("env_code")
    ):
        errors.append(("internal_no", problem("in_plant_key")))
    return errors


def _machinery(record: dict[str, Any], rules: Rules, bad: set[str]) -> list[tuple[str, str]]:
    errors = _stage_fuel(record)
    if not ({"env_code", "internal_no"} & bad) and not (record.get("env_code") or record.get("internal_no")):
        errors.append(("env_code", problem("machinery_key")))
    if record.get("fuel") in COMBUSTION_FUELS:
        for name, header in (
            ("engine_model", "发动机型号"),
            ("engine_maker", "发动机生产厂"),
            ("engine_no", "发动机编号"),
        ):
            if not record.get(name) and name not in bad:
                errors.append((name, problem("engine_needed", header=header)))
    errors += _documents(record, rules, VehicleClass.MACHINERY)
    return errors


_CHECKS = {
    VehicleClass.TRANSPORT: _transport,
    VehicleClass.IN_PLANT: _in_plant,
    VehicleClass.MACHINERY: _machinery,
}
