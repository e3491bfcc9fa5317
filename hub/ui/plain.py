"""Stored values as a person reads them on a page: ISO times in plant time to the second, and a mapping
(an audit row's call data) as `key: value` pairs with JSON's true/false/null, never a Python repr."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, tzinfo
from typing import Any

from .serialize import dumps

_ISO_MOMENT = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?")


def plant_time(value: Any, tz: tzinfo) -> str:
    """A moment (datetime or ISO text) as `YYYY-MM-DD HH:MM:SS` in plant time; other text as it is."""
    moment = value
    if isinstance(value, str) and _ISO_MOMENT.fullmatch(value.strip()):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            return value
    if not isinstance(moment, datetime):
        return "" if value is None else str(value)
    if moment.tzinfo is not None:  # a naive moment is the plant's already
        moment = moment.astimezone(tz)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def times_in_text(text: str, tz: tzinfo) -> str:
    """A sentence with ISO moments in it (a finding's summary) with each in plant time to the second."""
    return _ISO_MOMENT.sub(lambda found: plant_time(found.group(0), tz), text)


def value_text(value: Any, tz: tzinfo) -> str:
    if isinstance(value, bool) or value is None:
        return dumps(value)  # true, false, null
    if isinstance(value, str | datetime):
        return plant_time(value, tz)
    if isinstance(value, Mapping | list | tuple):
        return dumps(value)
    return str(value)


def pairs_text(data: Mapping[str, Any], tz: tzinfo, limit: int = 300) -> str:
    """`limit: 100, open_only: false`, cut at `limit` characters (an import's records run to megabytes)."""
    text = ", ".join(f"{key}: {value_text(value, tz)}" for key, value in data.items())
    return text if len(text) <= limit else text[: limit - 1] + "…"
