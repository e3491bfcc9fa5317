"""Reading values out of MQTT payloads, matching topic filters, and logging bad input sparingly."""

from __future__ import annotations

import json
import logging
import math
import re
from typing import Any

from .const import MAX_SENSOR_PAYLOAD_BYTES

_PATH_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


class BadPayload(ValueError):
    """A sensor payload the bridge cannot read a value from; the message says why."""


def parse_json_path(path: str) -> list[str | int]:
    """`data.pm25` -> ["data", "pm25"]; `values[0].pm25` and `values.0.pm25` -> ["values", 0, "pm25"]."""
    parts: list[str | int] = []
    for name, index in _PATH_TOKEN.findall(path):
        if index:
            parts.append(int(index))
        elif name.isdigit():
            parts.append(int(name))
        else:
            parts.append(name)
    if not parts:
        raise ValueError(f"empty JSON path {path!r}")
    return parts


def extract_value(payload: bytes, path: list[str | int] | None, value_type: str) -> float | str:
    """The value a sensor shows: the payload itself, or the JSON value at `path`; BadPayload if none."""
    if len(payload) > MAX_SENSOR_PAYLOAD_BYTES:
        raise BadPayload(f"{len(payload)} bytes; at most {MAX_SENSOR_PAYLOAD_BYTES}")
    try:
        text = payload.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise BadPayload("not UTF-8 text") from None
    value: Any = text
    if path is not None:
        try:
            value = json.loads(text)
        except ValueError:
            raise BadPayload("not JSON") from None
        except RecursionError:  # `[[[[...` within the size limit still outruns the parser's stack
            raise BadPayload("JSON nested too deeply") from None
        for step in path:
            if isinstance(step, int) and isinstance(value, list) and -len(value) <= step < len(value):
                value = value[step]
            elif isinstance(step, str) and isinstance(value, dict) and step in value:
                value = value[step]
            else:
                raise BadPayload(f"no {step!r} in the JSON at that point")
    if value_type == "number":
        return _number(value)
    if value is None or isinstance(value, dict | list):
        raise BadPayload(f"{type(value).__name__} is not a value to show")
    text_value = value if isinstance(value, str) else json.dumps(value)
    if not text_value:
        raise BadPayload("empty value")
    return text_value[:255]


def _number(value: Any) -> float:
    if isinstance(value, bool) or value is None:
        raise BadPayload(f"{value!r} is not a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise BadPayload(f"{_short(value)} is not a number") from None
    if not math.isfinite(number):
        raise BadPayload(f"{value!r} is not a finite number")
    return number


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:40] + "…"


def topic_matches(topic_filter: str, topic: str) -> bool:
    """MQTT filter matching: `+` one level, `#` the rest (including none)."""
    filter_levels = topic_filter.split("/")
    levels = topic.split("/")
    for i, want in enumerate(filter_levels):
        if want == "#":
            return True
        if i >= len(levels) or (want != "+" and want != levels[i]):
            return False
    return len(levels) == len(filter_levels)


class ThrottledLog:
    """Logs the first bad payload of a topic, then every Nth, with the count, so a device stuck
    sending garbage is visible without flooding the log."""

    def __init__(self, logger: logging.Logger, every: int) -> None:
        self._logger = logger
        self._every = every
        self._counts: dict[str, int] = {}

    MAX_KEYS = 1000  # keys come from topics anyone may invent: beyond this many they share one count

    def warning(self, key: str, message: str, *args: Any) -> None:
        if key not in self._counts and len(self._counts) >= self.MAX_KEYS:
            key = "(other)"
        count = self._counts.get(key, 0) + 1
        self._counts[key] = count
        if count == 1 or count % self._every == 0:
            suffix = f" ({count} so far; logging one in {self._every})" if count > 1 else ""
            self._logger.warning(message + suffix, *args)

    def count(self, key: str) -> int:
        return self._counts.get(key, 0)
