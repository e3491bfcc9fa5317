"""A `plate_read` event checked and reduced to what the policy and the ledger need.

The event comes from cameras and their pushes: anything in it may be wrong. A read that cannot name
its lane is dropped with a log line naming why; a plate that is not a valid Chinese plate is kept
(the ledger must see it) but goes to the guard.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hub.core.photos import MAX_PHOTO_BYTES, PhotoRef
from hub.util.plate import PlateColour, normalise_plate, validate_plate

from .decide import Read

_SLUG = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_IMAGE_ROLE = re.compile(r"^[a-z_]{1,16}$")
_COLOURS = frozenset(c.value for c in PlateColour)
_TAG = re.compile(r"^[0-9A-Z]{4,64}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
MAX_PLATE = 16


class BadRead(ValueError):
    """A plate_read that names no usable lane."""


@dataclass(frozen=True, slots=True)
class Incoming:
    gate: str
    lane: str
    read: Read
    read_id: str | None
    captured_at: datetime | None = None
    photos: dict[str, PhotoRef] = field(default_factory=dict)  # in the hub's photo store, by role
    plate_problem: str | None = None
    received: float = 0.0  # the hub's monotonic clock when the read arrived: its age is measured from it
    rfid: str | None = None  # the tag an RFID reader of the lane saw with the read (tags.py)

    @property
    def key(self) -> str:
        return f"{self.gate}_{self.lane}"


def parse_read(data: Mapping[str, Any], received: float = 0.0) -> Incoming:
    gate, lane = str(data.get("gate") or ""), str(data.get("lane") or "")
    if not _SLUG.match(gate) or not _SLUG.match(lane):
        raise BadRead(f"gate {gate!r} / lane {lane!r} are not lane names (lower-case a-z, 0-9, _)")
    direction = str(data.get("direction") or "")
    if direction not in ("in", "out"):
        raise BadRead(f"direction {direction!r} is neither in nor out")
    raw_plate = str(data.get("plate") or "")
    plate = normalise_plate(raw_plate)[:MAX_PLATE]
    colour = str(data.get("colour") or "unknown")
    colour = colour if colour in _COLOURS else "unknown"
    problem = validate_plate(plate) if plate else "no plate read"
    confidence: float | None = None
    try:
        if (said := data.get("confidence")) is not None:
            confidence = min(max(float(said), 0.0), 1.0)
    except (TypeError, ValueError):
        confidence = None
    captured = data.get("captured_at")
    try:
        captured_at = captured if isinstance(captured, datetime) else datetime.fromisoformat(str(captured))
    except ValueError:
        captured_at = None
    photos = data.get("photos") or {}
    kept = {
        str(role): PhotoRef(sha256=str(ref["sha256"]), size=int(ref["size"]))
        for role, ref in (photos.items() if isinstance(photos, Mapping) else ())
        if _IMAGE_ROLE.match(str(role)) and _is_ref(ref)
    }
    read_id = data.get("read_id")
    tag = str(data.get("rfid") or "").strip().upper()
    return Incoming(
        gate=gate,
        lane=lane,
        read=Read(
            plate=plate,
            colour=colour,
            direction=direction,
            confidence=confidence,
            needs_review=bool(data.get("needs_review")) or problem is not None,
        ),
        read_id=str(read_id)[:64] if read_id else None,
        captured_at=captured_at,
        photos=kept,
        plate_problem=problem,
        received=received,
        rfid=tag if _TAG.match(tag) else None,
    )


def _is_ref(ref: Any) -> bool:
    """A photo reference as the photo store gives it: {"sha256": hex, "size": bytes}."""
    if not isinstance(ref, Mapping):
        return False
    sha, size = ref.get("sha256"), ref.get("size")
    return (
        isinstance(sha, str) and bool(_SHA256.match(sha))
        and isinstance(size, int) and not isinstance(size, bool) and 0 < size <= MAX_PHOTO_BYTES
    )  # fmt: skip
