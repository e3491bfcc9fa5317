"""Joins remote-sensing readings to passages: by plate where the unit read one, else by gate, lane and
time. Either may come first (a unit on the access road reads a truck before the camera does; one behind
the gate after), so both wait in memory for the join window, readings and passages alike."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .config import Join


@dataclass(slots=True)
class Passage:
    passage_id: str
    ts: float
    plate: str | None
    gate: str | None
    lane: str | None
    fleet: str | None = None
    emission_stage: str | None = None
    fuel: str | None = None
    readings: int = 0  # readings joined to it by lane (a lane's passage takes one unplated reading)

    @classmethod
    def of(cls, record: Mapping[str, Any]) -> Passage:
        return cls(
            passage_id=str(record["passage_id"]), ts=float(record.get("recorded_ts") or 0),
            plate=record.get("plate") or None, gate=record.get("gate"), lane=record.get("lane"),
            fleet=record.get("fleet"), emission_stage=record.get("emission_stage"), fuel=record.get("fuel"),
        )  # fmt: skip


@dataclass(slots=True)
class Reading:
    reading_id: str
    ts: float
    plate: str | None
    gate: str | None
    lane: str | None
    data: dict[str, Any] = field(default_factory=dict)


class Joiner:
    """Pure matching over what arrived within the window; the caller stores and acts on each join."""

    def __init__(self, config: Join) -> None:
        self.config = config
        self.passages: deque[Passage] = deque()
        self.pending: deque[Reading] = deque()
        self._keep = max(config.window_seconds, config.lane_window_seconds)

    def _prune(self, now_ts: float) -> None:
        for queue in (self.passages, self.pending):
            while queue and queue[0].ts < now_ts - 2 * self._keep:
                queue.popleft()

    def _fits(self, reading: Reading, passage: Passage) -> tuple[str, float] | None:
        gap = abs(reading.ts - passage.ts)
        if reading.plate:
            if passage.plate == reading.plate and gap <= self.config.window_seconds:
                return "plate", gap
            return None
        if (
            self.config.by_lane and reading.gate is not None and passage.readings == 0
            and (reading.gate, reading.lane or passage.lane) == (passage.gate, passage.lane)
            and gap <= self.config.lane_window_seconds
        ):  # fmt: skip
            return "lane", gap
        return None

    def add_reading(self, reading: Reading) -> tuple[Passage, str] | None:
        """The passage this reading joins now, with the method; else it waits for one."""
        self._prune(reading.ts)
        best: tuple[float, Passage, str] | None = None
        for passage in self.passages:
            fit = self._fits(reading, passage)
            if fit is not None and (best is None or fit[1] < best[0]):
                best = (fit[1], passage, fit[0])
        if best is None:
            self.pending.append(reading)
            return None
        if best[2] == "lane":
            best[1].readings += 1
        return best[1], best[2]

    def add_passage(self, passage: Passage) -> list[tuple[Reading, str]]:
        """Readings that were waiting for this passage (each taken off the waiting list)."""
        self._prune(passage.ts)
        self.passages.append(passage)
        joined: list[tuple[Reading, str]] = []
        for reading in list(self.pending):
            fit = self._fits(reading, passage)
            if fit is None:
                continue
            if fit[0] == "lane":
                if passage.readings:
                    continue
                passage.readings += 1
            self.pending.remove(reading)
            joined.append((reading, fit[0]))
        return joined
