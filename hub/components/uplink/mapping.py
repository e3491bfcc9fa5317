"""Field mapping between our records and a platform's JSON (pure: no I/O, table-tested).

Outbound, a rule names where our value comes from (`from: vehicle.vin`) or a constant (`value:`), then
an optional code list (`code: plate_colour`) and format (`format: time`). A code list maps our value to
the platform's; its `"*"` entry is the value for anything unlisted ("=" passes the value through).
Inbound (the platform's control measure) the same rules read backwards.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

FORMATS = (
    "time", "date", "iso", "epoch", "epoch_ms", "int", "float", "round1", "kg_to_t", "str", "upper",
    "bool01", "base64", "data_uri", "json",
)  # fmt: skip
MISSING = object()


class MappingError(ValueError):
    """Our record cannot be expressed in the platform's terms (a value outside its code list)."""


class FieldRule(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    src: str | None = Field(None, alias="from")
    value: Any = None
    code: str | None = None
    format: str | None = None
    required: bool = False  # the platform refuses a record without it (the simulator checks)
    max_length: int | None = Field(None, ge=1)


def get_path(obj: Any, path: str) -> Any:
    """`a.b.c` inside nested mappings; MISSING where a step is absent."""
    if path == "":
        return obj
    for step in path.split("."):
        if not isinstance(obj, Mapping) or step not in obj:
            return MISSING
        obj = obj[step]
    return obj


def set_path(obj: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for step in parents:
        obj = obj.setdefault(step, {})
    obj[last] = value


def as_datetime(value: Any, tz: Any) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, int | float):
        moment = datetime.fromtimestamp(value, tz)
    else:
        moment = datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment.astimezone(tz)


def _formatter(name: str, profile: Any) -> Callable[[Any], Any]:
    tz = profile.tz
    table: dict[str, Callable[[Any], Any]] = {
        "time": lambda v: as_datetime(v, tz).strftime(profile.time_format),
        "date": lambda v: (v if isinstance(v, date) and not isinstance(v, datetime)
                           else as_datetime(v, tz).date() if not isinstance(v, str) or "T" in v or " " in v
                           else date.fromisoformat(v)).strftime(profile.date_format),
        "iso": lambda v: as_datetime(v, tz).isoformat(),
        "epoch": lambda v: int(as_datetime(v, tz).timestamp()),
        "epoch_ms": lambda v: int(as_datetime(v, tz).timestamp() * 1000),
        "int": lambda v: int(v),
        "float": lambda v: float(v),
        "round1": lambda v: round(float(v), 1),
        "kg_to_t": lambda v: round(float(v) / 1000, 1),
        "str": lambda v: str(v),
        "upper": lambda v: str(v).upper(),
        "bool01": lambda v: 1 if v else 0,
        "base64": lambda v: base64.b64encode(v).decode("ascii"),
        "data_uri": data_uri,
        "json": lambda v: json.dumps(v, ensure_ascii=False, sort_keys=True),
    }  # fmt: skip
    return table[name]


def data_uri(data: bytes) -> str:
    """A photo as `data:image/<kind>;base64,...` (the cities that want the prefix)."""
    kind = "png" if data[:8] == b"\x89PNG\r\n\x1a\n" else "jpeg"
    return f"data:image/{kind};base64," + base64.b64encode(data).decode("ascii")


def encode_code(profile: Any, code: str, value: Any, where: str) -> Any:
    table = profile.codes[code]
    key = str(value).lower() if isinstance(value, bool) else str(value)
    if key in table:
        return table[key]
    if "*" in table:
        return value if table["*"] == "=" else table["*"]
    allowed = ", ".join(k for k in table if k != "*")
    raise MappingError(f"{where}: {value!r} is not in code list {code} ({allowed})")


def decode_code(profile: Any, code: str, value: Any, where: str) -> Any:
    table = profile.codes[code]
    for ours, theirs in table.items():
        if ours != "*" and str(theirs) == str(value):
            return ours
    if "*" in table and table["*"] == "=":
        return value
    raise MappingError(f"{where}: the platform's {value!r} is not in code list {code}")


def map_fields(profile: Any, rules: Mapping[str, FieldRule], source: Mapping[str, Any]) -> dict[str, Any]:
    """Our source dict -> the platform's record. A value we do not have is left out."""
    out: dict[str, Any] = {}
    for name, rule in rules.items():
        value = rule.value if rule.src is None else get_path(source, rule.src)
        if value is MISSING or value is None or value == "":
            continue
        if rule.code:
            value = encode_code(profile, rule.code, value, name)
        if rule.format:
            try:
                value = _formatter(rule.format, profile)(value)
            except (TypeError, ValueError, OverflowError) as err:
                raise MappingError(f"{name}: {value!r} cannot be written as {rule.format}: {err}") from None
        set_path(out, name, value)
    return out


def build_body(
    profile: Any, spec: Any, records: list[dict[str, Any]], context: Mapping[str, Any]
) -> dict[str, Any] | list[dict[str, Any]]:
    """The request body: the envelope fields (plant code, sent time ...) and the records."""
    items: Any = records if spec.batch else records[0]
    if not spec.items_field:
        return items
    body = map_fields(profile, spec.envelope, context)
    set_path(body, spec.items_field, items)
    return body


def map_inbound(profile: Any, spec: Any, payload: Mapping[str, Any]) -> dict[str, Any]:
    """The platform's message -> our names (the control measure)."""
    out: dict[str, Any] = {}
    for ours, rule in spec.fields.items():
        value = rule.value if rule.src is None else get_path(payload, rule.src)
        if value is MISSING or value is None or value == "":
            continue
        if rule.code:
            value = decode_code(profile, rule.code, value, ours)
        if rule.format:
            value = parse_value(profile, rule.format, value, ours)
        out[ours] = value
    return out


def parse_value(profile: Any, fmt: str, value: Any, where: str) -> Any:
    """Read a value written in one of the formats (inbound, and the simulator's checks)."""
    tz = profile.tz
    try:
        if fmt == "time":
            return datetime.strptime(str(value), profile.time_format).replace(tzinfo=tz)
        if fmt == "date":
            return datetime.strptime(str(value), profile.date_format).date()
        if fmt == "iso":
            return as_datetime(str(value), tz)
        if fmt in ("epoch", "epoch_ms"):
            return datetime.fromtimestamp(float(value) / (1000 if fmt == "epoch_ms" else 1), tz)
        if fmt == "int":
            return int(value)
        if fmt in ("float", "round1", "kg_to_t"):
            return float(value)
        if fmt == "base64":
            return base64.b64decode(str(value), validate=True)
        if fmt == "data_uri":
            head, sep, body = str(value).partition(";base64,")
            if not sep or not head.startswith("data:image/"):
                raise ValueError("no data:image/...;base64, prefix")
            return base64.b64decode(body, validate=True)
        if fmt == "bool01":
            return bool(int(value))
    except (TypeError, ValueError, OverflowError) as err:
        raise MappingError(f"{where}: {value!r} is not a valid {fmt}") from err
    return value


def check_record(profile: Any, rules: Mapping[str, FieldRule], item: Mapping[str, Any]) -> list[str]:
    """What a platform finds wrong with a record it received (the simulator's field checks)."""
    problems: list[str] = []
    for name, rule in rules.items():
        value = get_path(item, name)
        if value is MISSING or value is None or value == "":
            if rule.required:
                problems.append(f"缺少必填字段 missing {name}")
            continue
        if rule.code:
            allowed = {str(v) for k, v in profile.codes[rule.code].items() if k != "*" or v != "="}
            passthrough = profile.codes[rule.code].get("*") == "="
            if not passthrough and str(value) not in allowed:
                problems.append(f"字段 {name} 取值 {value!r} 不在代码表 not in code list {rule.code}")
                continue
        if rule.format and rule.format not in ("str", "upper", "json"):
            try:
                parse_value(profile, rule.format, value, name)
            except MappingError as err:
                problems.append(f"字段 {name} 格式错误 {err}")
        if rule.max_length and isinstance(value, str) and len(value) > rule.max_length:
            problems.append(f"字段 {name} 超长 longer than {rule.max_length}")
    return problems
