"""The guard's review queue: doubtful reads and denied trucks that still wait for a person.

A lane card shows only the lane's latest vehicle, so a doubtful read vanished from view when the next
truck came. The queue keeps each one until somebody settles it:
- a read the policy sent for review (`review`, or `needs_review`) stays until its passage is
  confirmed, corrected or released, however many vehicles follow it;
- a denied truck stays while it is the lane's latest vehicle (it is still at the barrier), or until
  it is released or its plate corrected.
It is fed by the same bus events as the live feed, and filled from the ledger when the hub starts
(doubtful reads of the last day that nobody settled), so a restart does not lose it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from hub.core import Event, Hub
from hub.core.const import EVENT_GATE_DECISION, EVENT_PASSAGE_RECORDED

_LOGGER = logging.getLogger(__name__)
KEEP = timedelta(days=1)  # older doubtful reads are the officer's (passage search), not the guard's
MAX_ITEMS = 200
SETTLED_BY = frozenset({"correction", "release"})
FIELDS = ("passage_id", "read_id", "gate", "lane", "plate", "colour", "direction", "decision",
          "reason_code", "reason_text", "needs_review", "confidence", "vehicle_class", "emission_stage",
          "fuel")  # fmt: skip
# What the passage row knows of the vehicle and its decision event does not: an English page words the
# reason with it (static/reasons.js).
ROW_FIELDS = ("plate", "emission_stage", "fuel")


def waiting_kind(decision: Mapping[str, Any]) -> str | None:
    """`review` for a doubtful read, `denied` for a refused truck, None for what needs nobody."""
    if decision.get("decision") == "review" or (
        decision.get("needs_review") and decision.get("decision") != "allow"
    ):
        return "review"
    if decision.get("decision") in ("deny", "error"):
        return "denied"
    return None


def _fill(item: dict[str, Any], row: Mapping[str, Any]) -> None:
    """What the item lacks, from its passage row; not after a correction (another plate, another vehicle)."""
    if row.get("plate") == item["plate"]:
        item.update({k: v for k, v in row.items() if item.get(k) is None})


class ReviewQueue:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.items: dict[str, dict[str, Any]] = {}  # passage_id -> item, oldest first
        self.rows: dict[str, dict[str, Any]] = {}  # passage_id -> ROW_FIELDS of its passage row, newest last

    def on_event(self, event: Event) -> None:
        data = event.data
        passage_id = data.get("passage_id")
        if event.event_type == EVENT_PASSAGE_RECORDED:
            if data.get("kind") in SETTLED_BY and isinstance(passage_id, str):
                self.items.pop(passage_id, None)
            elif data.get("kind") == "passage" and isinstance(passage_id, str):
                # The row's event and its decision's may come in either order.
                self.rows[passage_id] = row = {k: data.get(k) for k in ROW_FIELDS}
                while len(self.rows) > MAX_ITEMS:
                    del self.rows[next(iter(self.rows))]
                if passage_id in self.items:
                    _fill(self.items[passage_id], row)
            return
        if event.event_type != EVENT_GATE_DECISION or not isinstance(passage_id, str):
            return
        # A new vehicle at the lane: the denied truck before it has gone.
        for key, item in list(self.items.items()):
            same_lane = (item["gate"], item["lane"]) == (data.get("gate"), data.get("lane"))
            if same_lane and item["kind"] == "denied" and key != passage_id:
                del self.items[key]
        kind = waiting_kind(data)
        if kind is None:
            self.items.pop(passage_id, None)  # decided again (confirmed, corrected): settled
            return
        self._add(passage_id, kind, data, data.get("decided_at") or self.hub.now().isoformat())

    def _add(self, passage_id: str, kind: str, data: Mapping[str, Any], at: str) -> None:
        self.items.pop(passage_id, None)
        item = {**{k: data.get(k) for k in FIELDS}, "passage_id": passage_id, "kind": kind, "at": at}
        _fill(item, self.rows.get(passage_id, {}))
        self.items[passage_id] = item
        while len(self.items) > MAX_ITEMS:
            del self.items[next(iter(self.items))]

    def snapshot(self) -> list[dict[str, Any]]:
        oldest = (self.hub.now() - KEEP).isoformat()
        return [item for item in self.items.values() if str(item["at"]) >= oldest][::-1]

    async def async_load(self) -> None:
        """Doubtful reads of the last day that nobody settled, from the ledger (once, at start)."""
        if not self.hub.services.has_service("ledger", "query"):
            return
        start = (self.hub.now() - KEEP).isoformat()
        try:
            query = {"decision": "review", "start": start, "page_size": MAX_ITEMS, "sort": "seq"}
            result = await self.hub.services.async_call("ledger", "query", query)
        except Exception:  # the queue starts empty; the live events fill it
            _LOGGER.exception("Review queue: cannot read the ledger's doubtful reads")
            return
        live, self.items = self.items, {}
        for passage in result.get("items", []):
            if not any(f.get("kind") in SETTLED_BY for f in passage.get("followups", [])):
                self._add(passage["passage_id"], "review", passage, passage.get("recorded_at") or start)
        self.items.update(live)  # what came live since the start is newer, and already settled right
