"""Video clip links (录像片段): a lane's NVR serves a clip of a passage from a URL template.

    ui:
      clips:
        - {gate: east_gate, lane: in, url: "http://nvr.plant.local/clip?ch=3&start={start}&end={end}",
           seconds: 30}

Placeholders: {start} and {end} (plant time, `2026-11-24T08:00:00`), {start_ts} and {end_ts} (Unix
seconds), {plate}, {gate}, {lane}; the passage's time ± `seconds`. Each value is URL-encoded, so a plate
or a time cannot change the URL's shape. Only http, https and rtsp URLs are accepted: the link is opened
by the person's browser or video player, and nothing else (javascript:, file:) may hide behind it.
"""

from __future__ import annotations

import string
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hub.core.gate import Slug

SCHEMES = ("http", "https", "rtsp")
PLACEHOLDERS = frozenset({"start", "end", "start_ts", "end_ts", "plate", "gate", "lane"})


class ClipLink(BaseModel):
    model_config = ConfigDict(extra="forbid")

    gate: Slug
    lane: Slug | None = None  # every lane of the gate when absent
    url: str = Field(min_length=8, max_length=500)
    seconds: int = Field(30, ge=1, le=3600)  # before and after the passage

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme.lower() not in SCHEMES or not parts.netloc:
            raise ValueError(f"a clip URL is http://, https:// or rtsp:// with a host, not {value!r}")
        names = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
        if unknown := names - PLACEHOLDERS:
            raise ValueError(f"unknown placeholders {sorted(unknown)}; known: {sorted(PLACEHOLDERS)}")
        return value


def clip_url(clips: list[ClipLink], passage: dict[str, Any], tz: Any) -> str | None:
    """The clip link of a passage (a ledger row), or None where its lane has no NVR configured."""
    gate, lane = passage.get("gate"), passage.get("lane")
    link = next((c for c in clips if c.gate == gate and c.lane == lane), None) or next(
        (c for c in clips if c.gate == gate and c.lane is None), None
    )
    at = passage.get("recorded_at")
    if link is None or not isinstance(at, str):
        return None
    moment = datetime.fromisoformat(at).astimezone(tz)
    start, end = moment - timedelta(seconds=link.seconds), moment + timedelta(seconds=link.seconds)
    values = {
        "start": start.strftime("%Y-%m-%dT%H:%M:%S"), "end": end.strftime("%Y-%m-%dT%H:%M:%S"),
        "start_ts": str(int(start.timestamp())), "end_ts": str(int(end.timestamp())),
        "plate": str(passage.get("plate") or ""), "gate": str(gate), "lane": str(lane),
    }  # fmt: skip
    return link.url.format(**{k: quote(v, safe="") for k, v in values.items()})
