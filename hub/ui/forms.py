"""Search forms of the pages (query strings) turned into ledger query data. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, tzinfo
from typing import Any

from hub.core.validation import EARLIEST_YEAR, LATEST_YEAR
from hub.util.plate import normalise_plate, plate_kind

PAGE_SIZE = 50
_PASSAGE_CHOICES = {"direction": ("in", "out"), "decision": ("allow", "deny", "review")}


def parse_moment(text: str, tz: tzinfo) -> datetime:
    """A form's date and time (`datetime-local`, or ISO with an offset); a naive one is plant time.

    ValueError outside the years a plant can mean: year 1 or 9999 overflows the first second added.
    """
    moment = datetime.fromisoformat(text.strip())
    if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        raise ValueError(f"a date between {EARLIEST_YEAR} and {LATEST_YEAR} is expected")
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def _common(query: Mapping[str, str], tz: tzinfo) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    data: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for key in ("start", "end"):
        value = (query.get(key) or "").strip()
        if value:
            try:
                data[key] = parse_moment(value, tz).isoformat()
            except ValueError:
                problems.append((key, "not a date and time"))
    for key, default in (("page", 1), ("page_size", PAGE_SIZE)):
        value = (query.get(key) or "").strip()
        try:
            data[key] = int(value) if value else default
        except ValueError:
            problems.append((key, "not a whole number"))
    return data, problems


def passage_filters(query: Mapping[str, str], tz: tzinfo) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """`ledger.query` data from the passage search form.

    `at_exact` turns `start` into the one second a record was made in (the passage detail link).
    """
    data, problems = _common(query, tz)
    if query.get("at_exact") and "start" in data:
        data["end"] = (datetime.fromisoformat(data["start"]) + timedelta(seconds=1)).isoformat()
    plate = (query.get("plate") or "").strip().upper()
    if plate:
        # A whole plate is contained in no other plate: it is looked up in the plate index, whatever the
        # mode. Part of a plate is matched against the ledger's plates first (ledger/query.py).
        whole = plate_kind(normalise_plate(plate)) is not None
        exact = query.get("plate_mode") == "exact" or whole
        data["plate" if exact else "plate_contains"] = normalise_plate(plate) if exact else plate
    for key in ("gate", "lane"):
        value = (query.get(key) or "").strip()
        if value:
            data[key] = value
    for key, allowed in _PASSAGE_CHOICES.items():
        value = (query.get(key) or "").strip()
        if value and value not in allowed:
            problems.append((key, f"one of {', '.join(allowed)}"))
        elif value:
            data[key] = value
    return data, problems


def audit_filters(query: Mapping[str, str], tz: tzinfo) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    data, problems = _common(query, tz)
    for key in ("username", "action", "door", "outcome", "target"):
        value = (query.get(key) or "").strip()
        if value:
            data[key] = value
    return data, problems
