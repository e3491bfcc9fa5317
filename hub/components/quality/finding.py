"""A finding as the rules make it (pure data), before it is stored."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .const import MAX_RECORDS


@dataclass(slots=True)
class Finding:
    rule: str
    key: str  # unique within the rule: the same defect found again is the same finding
    day: str  # plant-time day (YYYY-MM-DD)
    subject: str | None  # plate, lane, platform or register key
    summary: str  # one line, Chinese then English (store, CLI, MQTT); pages word it from detail
    seqs: list[int] = field(default_factory=list)  # ledger records involved
    detail: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.seqs) > MAX_RECORDS:
            self.detail.setdefault("records_total", len(self.seqs))
            self.seqs = self.seqs[:MAX_RECORDS]
