"""Stable-weight detection: N readings within a band, once per vehicle, re-armed near zero."""

from __future__ import annotations

import statistics
from collections import deque


class StableWeight:
    """Feed every reading; `add` returns the stable weight (kg) once per vehicle, else None.

    A vehicle is weighed when `readings` consecutive readings lie within `band_kg` of each other and
    above `min_kg` (an empty bridge or a person walking over it is no vehicle). The detector re-arms
    only when the bridge goes back below `zero_kg`, so a truck standing still for minutes is one weight.
    """

    def __init__(self, readings: int, band_kg: float, min_kg: float, zero_kg: float) -> None:
        self.band_kg, self.min_kg, self.zero_kg = band_kg, min_kg, zero_kg
        self.window: deque[float] = deque(maxlen=readings)
        self.armed = True

    @property
    def steady(self) -> bool:
        """The last readings agree (what an indicator's 稳定 lamp shows), vehicle or not."""
        w = self.window
        return len(w) == w.maxlen and max(w) - min(w) <= self.band_kg

    def add(self, weight_kg: float) -> int | None:
        self.window.append(weight_kg)
        if weight_kg <= self.zero_kg:
            self.armed = True
            return None
        if self.armed and self.steady and min(self.window) >= self.min_kg:
            self.armed = False
            return round(statistics.median(self.window))
        return None

    def reset(self) -> None:
        """Forget the window (the device was away): a gap is not a steady reading."""
        self.window.clear()
