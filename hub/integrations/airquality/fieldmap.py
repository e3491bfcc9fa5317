"""The generic field map: values out of a JSON document by configured paths (MQTT and HTTP push alike)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

MAX_DOCUMENT_BYTES = 64 * 1024
_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


class FieldMapError(ValueError):
    """The document does not give what the map asks for; the message names the field."""


def parse_path(path: str) -> list[str | int]:
    """`data.pm25` -> ["data", "pm25"]; `values[0].pm25` -> ["values", 0, "pm25"]."""
    parts: list[str | int] = [int(index) if index else name for name, index in _TOKEN.findall(path)]
    if not parts:
        raise ValueError(f"empty JSON path {path!r}")
    return parts


def load_document(payload: bytes) -> dict[str, Any]:
    if len(payload) > MAX_DOCUMENT_BYTES:
        raise FieldMapError(f"{len(payload)} bytes; at most {MAX_DOCUMENT_BYTES}")
    try:
        document = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise FieldMapError("not a JSON document") from None
    if not isinstance(document, dict):
        raise FieldMapError("a JSON object expected")
    return document


def lookup(document: Any, path: list[str | int]) -> Any:
    """The value at `path`, or None where the document has nothing there."""
    value = document
    for step in path:
        if isinstance(step, int) and isinstance(value, list) and -len(value) <= step < len(value):
            value = value[step]
        elif isinstance(step, str) and isinstance(value, dict) and step in value:
            value = value[step]
        else:
            return None
    return value


def number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise FieldMapError(f"{name}: {str(value)[:20]!r} is not a number")
    try:
        result = float(value)
    except ValueError:
        raise FieldMapError(f"{name}: {str(value)[:20]!r} is not a number") from None
    if not math.isfinite(result):
        raise FieldMapError(f"{name}: not a finite number")
    return result


def read_numbers(document: Mapping[str, Any], paths: Mapping[str, list[str | int]]) -> dict[str, float]:
    """Every mapped number present in the document (absent ones are left out); at least one."""
    out: dict[str, float] = {}
    for name, path in paths.items():
        raw = lookup(document, path)
        if raw is not None:
            out[name] = number(name, raw)
    if not out:
        raise FieldMapError(f"none of {', '.join(paths)} in the document")
    return out
