"""Command topics: which entities take commands, and what a payload asks for (pure, no I/O).

A command becomes a hub service call (`barrier.open`, `policy.set_alert_level` ...), made by the
bridge with the configured command user's context and door "mqtt", so roles and audit apply as for
the HMI. Anything that is not a command this entity understands is a `BadCommand` with the reason.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .const import (
    ALERT_LEVEL_ENTITY,
    ALERT_LEVEL_EXTRA_KEYS,
    ALERT_LEVELS,
    MAX_COMMAND_BYTES,
    PAYLOAD_CLOSE,
    PAYLOAD_OPEN,
)


class BadCommand(ValueError):
    """A command payload the bridge will not act on; the message says why."""


@dataclass(frozen=True, slots=True)
class ServiceRequest:
    domain: str
    service: str
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CommandTarget:
    kind: str  # "barrier" or "alert_level"
    gate: str | None = None
    lane: str | None = None
    options: tuple[str, ...] = ()


def command_target(entity_id: str, attributes: Mapping[str, Any]) -> CommandTarget | None:
    """The commands an entity takes, if any: barrier covers and the plant's alert-level select."""
    if entity_id.startswith("cover.") and entity_id.endswith("_barrier"):
        gate, lane = attributes.get("gate"), attributes.get("lane")
        if isinstance(gate, str) and isinstance(lane, str):
            return CommandTarget("barrier", gate=gate, lane=lane)
    if entity_id == ALERT_LEVEL_ENTITY:
        options = attributes.get("options")
        levels = tuple(options) if isinstance(options, list | tuple) and options else ALERT_LEVELS
        return CommandTarget("alert_level", options=tuple(str(o) for o in levels))
    return None


def parse_command(target: CommandTarget, payload: bytes) -> ServiceRequest:
    """The service call a command payload asks for; BadCommand if it asks for nothing valid."""
    if len(payload) > MAX_COMMAND_BYTES:
        raise BadCommand(f"payload of {len(payload)} bytes; at most {MAX_COMMAND_BYTES}")
    try:
        text = payload.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise BadCommand("payload is not UTF-8 text") from None
    if target.kind == "barrier":
        word = text.upper()
        if word not in (PAYLOAD_OPEN, PAYLOAD_CLOSE):
            raise BadCommand(f"{_show(text)} is not {PAYLOAD_OPEN} or {PAYLOAD_CLOSE}")
        service = "open" if word == PAYLOAD_OPEN else "close"
        return ServiceRequest("barrier", service, {"gate": target.gate, "lane": target.lane})
    if target.kind == "alert_level":
        data = _alert_level_data(text)
        if data["level"] not in target.options:
            raise BadCommand(f"{_show(str(data['level']))} is not one of {', '.join(target.options)}")
        return ServiceRequest("policy", "set_alert_level", data)
    raise BadCommand(f"unknown command kind {target.kind}")


def _alert_level_data(text: str) -> dict[str, Any]:
    """`orange`, or JSON {"level": "orange", "measure_code": ..., "reason": ...}."""
    if not text.startswith("{"):
        return {"level": text.lower()}
    try:
        data = json.loads(text)
    except ValueError as err:
        raise BadCommand(f"payload is not valid JSON: {err}") from None
    except RecursionError:  # `[[[[...` within the size limit still outruns the parser's stack
        raise BadCommand("payload JSON is nested too deeply") from None
    if not isinstance(data, dict) or not isinstance(data.get("level"), str):
        raise BadCommand('a JSON command needs "level" as text')
    unknown = sorted(set(data) - ALERT_LEVEL_EXTRA_KEYS - {"level"})
    if unknown:
        raise BadCommand(f"unknown keys {', '.join(unknown)}")
    return {**data, "level": data["level"].lower()}


def _show(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:40] + "…")
