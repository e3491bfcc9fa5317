"""JSON for the API and the live feed: hub objects (State, datetimes, pydantic models, bytes) made plain."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any

from pydantic import BaseModel

from hub.core import State


def _default(value: Any) -> Any:
    if isinstance(value, State):
        return value.as_dict()
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return float(value)
    return str(value)


def dumps(value: Any, ascii_only: bool = False) -> str:
    return json.dumps(value, default=_default, ensure_ascii=ascii_only, separators=(",", ":"))


def plate_read_for_feed(data: Mapping[str, Any]) -> dict[str, Any]:
    """A plate read for the feed: its photos as references (a viewer fetches them from /api/evidence
    with its own rights), never bytes, even from a sender that still puts them in the event."""
    out = {k: v for k, v in data.items() if k != "images" and not isinstance(v, bytes | bytearray)}
    photos = out.get("photos")
    out["photos"] = (
        {str(role): {"sha256": ref.get("sha256"), "size": ref.get("size")} for role, ref in photos.items()
         if isinstance(ref, Mapping)}
        if isinstance(photos, Mapping) else {}
    )  # fmt: skip
    return out
