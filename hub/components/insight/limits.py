"""Which measures of a remote-sensing reading are over the limit for the vehicle's fuel and stage."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .config import Limit
from .const import MEASURES


def limit_for(limits: Sequence[Limit], fuel: str | None, stage: str | None) -> Limit | None:
    return next((limit for limit in limits if limit.applies(fuel, stage)), None)


def exceeded(limits: Sequence[Limit], fuel: str | None, stage: str | None, reading: Mapping[str, Any]) -> (
    dict[str, tuple[float, float]]
):  # fmt: skip
    """measure -> (value read, limit) for each measure over its limit; nothing for an invalid reading."""
    if not reading.get("valid", True):
        return {}
    limit = limit_for(limits, fuel, stage)
    if limit is None:
        return {}
    out: dict[str, tuple[float, float]] = {}
    for measure in MEASURES:
        bound, value = getattr(limit, measure), reading.get(measure)
        if bound is not None and isinstance(value, int | float) and value > bound:
            out[measure] = (float(value), float(bound))
    return out
