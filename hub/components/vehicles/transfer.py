"""Rows of a file <-> register records: header matching, row-by-row validation, export labels. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from hub.util.plate import normalise_plate, validate_plate

from .codes import COLOUR_LABELS, FUEL_LABELS, STAGE_LABELS, WHITELIST_LABELS, CodeError, bool_label, clean
from .codes import parse_colour as _parse_colour
from .fields import FIELDS, FieldSpec, VehicleClass, fold_header, header_index
from .pacing import breathing
from .problems import coded, problem
from .tabular import HEADER_SEARCH_ROWS, Row, TableError, detect_format, read_table
from .validate import RecordError, Rules, control_problem, is_empty, parse_date, validate_record


@dataclass(slots=True)
class ParsedFile:
    items: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # (row number, record)
    errors: list[dict[str, Any]] = field(default_factory=list)  # {"row", "reason", "problems"}
    warnings: list[str] = field(default_factory=list)

    def fail(self, row: int, reason: str, fields: Sequence[tuple[str, str]] = ()) -> None:
        """A refused row: `reason` the bilingual sentence, `problems` each fault by field, code and values,
        for a page to word in its language."""
        problems = [
            {"field": name, "message": text, **coded(text)} for name, text in (fields or [("", reason)])
        ]
        self.errors.append({"row": row, "reason": reason, "problems": problems})


def _find_header(
    rows: Sequence[Row], index: Mapping[str, str], what: str, expected: Sequence[str]
) -> tuple[int, list[str | None]]:
    for position, (_, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        mapping = [index.get(fold_header(c)) if not is_empty(c) else None for c in cells]
        if sum(m is not None for m in mapping) >= min(2, len(index)):
            seen: dict[str, int] = {}
            for column, name in enumerate(mapping):
                if name is not None and name in seen:
                    raise TableError(
                        problem("header_twice", first=seen[name] + 1, second=column + 1, name=name)
                    )
                if name is not None:
                    seen[name] = column
            return position, mapping
    raise TableError(problem("no_header", what=what, columns=", ".join(expected[:4])))


def _reason(err: RecordError, specs: Mapping[str, FieldSpec]) -> str:
    return "; ".join(f"{specs[n].header} {n}: {r}" if n in specs else r for n, r in err.errors)


def parse_register_rows(vclass: VehicleClass, rows: Sequence[Row], rules: Rules) -> ParsedFile:
    """Validate every data row of a file; a row that fails is reported by its number, the others kept."""
    index = header_index(vclass)
    headers = [s.header for s in FIELDS[vclass]]
    position, mapping = _find_header(rows, index, vclass.label, headers)
    result = ParsedFile()
    header_cells = rows[position][1]
    for column, name in enumerate(mapping):
        if name is None and not is_empty(header_cells[column]):
            result.warnings.append(
                problem("ignored_column", column=column + 1, header=clean(header_cells[column]))
            )
    missing = [s.header for s in FIELDS[vclass] if s.required and s.name not in mapping]
    if missing:
        raise TableError(problem("missing_columns", columns=", ".join(missing)))
    specs = {s.name: s for s in FIELDS[vclass]}
    for number, cells in breathing(rows[position + 1 :]):  # a small file is read in a thread
        raw = {name: cells[col] for col, name in enumerate(mapping) if name is not None and col < len(cells)}
        try:
            result.items.append((number, validate_record(vclass, raw, rules)))
        except RecordError as err:
            result.fail(number, _reason(err, specs), err.errors)
    return result


def parse_register_file(
    vclass: VehicleClass, content: bytes, name: str | None, fmt: str | None, max_rows: int, rules: Rules
) -> ParsedFile:
    """A file's rows, validated (blocking; run in the import worker, see worker.py)."""
    rows = read_table(content, detect_format(content, name, fmt), max_rows)
    return parse_register_rows(vclass, rows, rules)


def parse_blacklist_file(content: bytes, fmt: str, max_rows: int, tz: tzinfo) -> ParsedFile:
    return parse_blacklist_rows(read_table(content, fmt, max_rows), tz)


def parse_register_records(
    vclass: VehicleClass, records: Iterable[Mapping[str, Any]], rules: Rules
) -> ParsedFile:
    """The same for records given as dicts (keys: field names or headers); row numbers count from 1."""
    index = header_index(vclass)
    specs = {s.name: s for s in FIELDS[vclass]}
    result = ParsedFile()
    for number, given in breathing(enumerate(records, start=1)):  # runs in a thread beside the gate
        if not isinstance(given, Mapping):
            result.fail(number, problem("not_a_record", value=str(given)[:80]))
            continue
        raw = {index.get(fold_header(str(k)), str(k)): v for k, v in given.items()}
        try:
            result.items.append((number, validate_record(vclass, raw, rules)))
        except RecordError as err:
            result.fail(number, _reason(err, specs), err.errors)
    return result


# ----- export -----------------------------------------------------------------------------------------
def _labelled(spec: FieldSpec, value: Any) -> Any:
    if value is None:
        return None
    kind = spec.kind
    if kind == "colour":
        return COLOUR_LABELS.get(value, value)
    if kind in ("stage", "machine_stage"):
        return STAGE_LABELS.get(value, value)
    if kind == "fuel":
        return FUEL_LABELS.get(value, value)
    if kind == "whitelist":
        return WHITELIST_LABELS.get(value, value)
    if kind in ("bool", "usable"):
        return bool_label(value)
    return _plain(spec, value)


def _plain(spec: FieldSpec, value: Any) -> Any:
    if value is None:
        return None
    if spec.kind in ("date", "onsite_date"):
        return date.fromisoformat(value)
    if spec.kind in ("bool", "usable"):
        return "1" if value else "0"
    return value


def export_rows(
    vclass: VehicleClass, records: Iterable[Mapping[str, Any]], labels: bool = True
) -> tuple[list[str], list[list[Any]]]:
    """Headers (Chinese, the import's own) and rows; with labels, codes are shown as their names."""
    specs = FIELDS[vclass]
    convert = _labelled if labels else _plain
    rows = [[convert(spec, record.get(spec.name)) for spec in specs] for record in records]
    return [s.header for s in specs], rows


# ----- the platform's blacklist -----------------------------------------------------------------------
BLACKLIST_HEADERS = {
    fold_header(k): v
    for v, names in {
        "plate": ("plate", "车牌号码", "车牌", "号牌号码"),
        "colour": ("colour", "color", "车牌颜色", "号牌颜色"),
        "reason": ("reason", "原因", "超标原因", "拉黑原因", "备注"),
        "valid_until": ("valid_until", "有效期至", "截止日期", "到期时间"),
    }.items()
    for k in names
}


def parse_moment(value: Any, tz: tzinfo) -> datetime:
    """A time of day or a date; a bare date means until the end of that day (plant time)."""
    if isinstance(value, datetime) and (value.tzinfo or value.time() != time()):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    # An Excel date cell comes as midnight: it names a day.
    value = value.date() if isinstance(value, datetime) else value
    text = clean(value)
    if not isinstance(value, date) and len(text) > 10:
        try:
            moment = datetime.fromisoformat(text.replace("/", "-"))
        except ValueError:
            raise ValueError(problem("time_format", value=text)) from None
        return moment if moment.tzinfo else moment.replace(tzinfo=tz)
    day = parse_date(value)
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=tz)


def parse_blacklist_rows(rows: Sequence[Row], tz: tzinfo) -> ParsedFile:
    position, mapping = _find_header(
        rows, BLACKLIST_HEADERS, "黑名单 blacklist", ("车牌号码", "车牌颜色", "原因")
    )
    if "plate" not in mapping:
        raise TableError(problem("missing_plate_column"))
    result = ParsedFile()
    seen: dict[str, int] = {}
    for number, cells in rows[position + 1 :]:
        raw = {name: cells[col] for col, name in enumerate(mapping) if name is not None and col < len(cells)}
        try:
            item = blacklist_item(raw, tz)
        except (ValueError, CodeError) as err:
            result.fail(number, str(err))
            continue
        if item["plate"] in seen:
            result.fail(number, problem("row_duplicate", row=seen[item["plate"]]))
            continue
        seen[item["plate"]] = number
        result.items.append((number, item))
    return result


def blacklist_item(raw: Mapping[str, Any], tz: tzinfo) -> dict[str, Any]:
    if is_empty(raw.get("plate")):
        raise ValueError(problem("plate_required"))
    plate = normalise_plate(clean(raw["plate"]))
    colour = None if is_empty(raw.get("colour")) else _parse_colour(raw["colour"])
    if refused := validate_plate(plate, colour):
        raise ValueError(problem("plate_invalid", problem=refused))
    given = raw.get("reason")
    if isinstance(given, str) and (refused := control_problem(given, "原因")):
        raise ValueError(refused)
    reason = " ".join(clean(given or "").split())[:200] or "监管平台超标排放车辆"
    until = None if is_empty(raw.get("valid_until")) else parse_moment(raw["valid_until"], tz)
    return {"plate": plate, "colour": colour, "reason": reason, "valid_until": until}
