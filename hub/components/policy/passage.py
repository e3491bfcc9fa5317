"""Passages in memory: one tracked object per vehicle at a lane, with its lifecycle phase.

The ledger holds the history; this holds what is going on now, so the policy knows which passage a
barrier movement, a repeat read, a release or a correction belongs to.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from hub.core import Context
from hub.core.events import GateDecisionData
from hub.core.gate import LaneBinding

from .const import FINISHED, Phase, Verdict
from .decide import Decision

if TYPE_CHECKING:
    from .sensor import DecisionSensor

KEEP_PASSAGES = 1000  # recent passages kept for releases and corrections by id
_NOT_SUMMED = ("gate", "lane", "decision", "allowed")  # the sensor is the lane's, its state the decision


@dataclass(eq=False, slots=True)
class Passage:
    passage_id: str
    read_id: str | None
    gate: str
    lane: str
    direction: str
    plate: str
    colour: str
    decision: Decision
    alert_level: str
    created_at: datetime
    last_seen: datetime
    confidence: float | None = None
    vehicle: dict[str, Any] = field(default_factory=dict)
    phase: Phase = Phase.NEW
    seq: int | None = None  # the passage row's sequence number, once committed
    last_seq: int | None = None  # the latest row about it (a release, a correction)
    seen_open: bool = False  # the arm was seen opening or open since the policy opened it
    merged_reads: int = 0
    error: str | None = None
    seen_monotonic: float | None = None  # last_seen on the monotonic clock (intervals; NTP steps it not)

    @property
    def key(self) -> str:
        return f"{self.gate}_{self.lane}"

    @property
    def finished(self) -> bool:
        return self.phase in FINISHED

    @property
    def verdict(self) -> str:
        return "error" if self.phase is Phase.ERROR else self.decision.verdict.value

    def summary(self) -> dict[str, Any]:
        """The decision sensor's attributes: the `gate_decision` fields and where the passage is."""
        shown = {k: v for k, v in self.event_data().items() if k not in _NOT_SUMMED}
        return {**shown, "lifecycle": self.phase.value, "decided_at": self.created_at.isoformat(),
                "merged_reads": self.merged_reads, "error": self.error}  # fmt: skip

    def event_data(self) -> GateDecisionData:
        """`gate_decision`, plus `allowed` for simple listeners."""
        d = self.decision
        return {
            "passage_id": self.passage_id if self.seq is not None else None,
            "read_id": self.read_id,
            "seq": self.last_seq or self.seq,
            "gate": self.gate,
            "lane": self.lane,
            "direction": self.direction,
            "plate": self.plate,
            "colour": self.colour,
            "vehicle_class": d.vehicle_class,
            "decision": self.verdict,
            "allowed": d.verdict is Verdict.ALLOW and self.phase is not Phase.ERROR,
            "reason_code": str(d.reason_code),
            "reason_text": d.reason_text,
            "rule": d.rule,
            "alert_level": self.alert_level,
            "needs_review": d.needs_review,
        }


# A lifecycle step: (passage_id, phase, extra data such as the arrival time)
Step = tuple[str, Phase, dict[str, Any]]


class LaneTrack:
    """One lane: its current passage, a lock that keeps its decisions in order, its decision sensor,
    the entities bound to its parts, and whether a vehicle stands in it (if it has a presence part)."""

    def __init__(self, gate: str, lane: str, binding: LaneBinding | None = None) -> None:
        self.gate = gate
        self.lane = lane
        self.key = f"{gate}_{lane}"
        self.binding = binding or LaneBinding(gate=gate, lane=lane)
        self.presence = False
        self.arrived_at: datetime | None = None  # when presence last came on
        self.lock = asyncio.Lock()
        self.current: Passage | None = None
        self.sensor: DecisionSensor | None = None
        self.lifecycle_steps: list[Step] = []  # not yet written
        self.lifecycle_writer: asyncio.Task[None] | None = None
        self.missing_logged: set[str] = set()

    def write_state(self, context: Context | None = None) -> None:
        if self.sensor is not None and self.sensor.entity_id is not None:
            self.sensor.async_write_state(context)


class RecentPassages(OrderedDict[str, Passage]):
    """passage_id -> Passage for the last KEEP_PASSAGES passages."""

    def add(self, passage: Passage) -> None:
        self[passage.passage_id] = passage
        while len(self) > KEEP_PASSAGES:
            self.popitem(last=False)

    def by_read(self, read_id: str) -> Passage | None:
        return next((p for p in reversed(self.values()) if p.read_id == read_id), None)
