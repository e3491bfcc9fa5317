"""The passage's weight step: a stable weight joins the lane's passage as a `weight` follow-up row.

A `weight_stable` (our weighbridge driver, or `weighing.py` for a lane's bound weight entity) belongs
to the last passage the ledger recorded at its lane (the lane's own, a guard's manual entry, a read
recorded late), as `passage_recorded` announces them, if that passage is within `weight_join_seconds`
of the weight and not weighed yet. One weight per passage. A weight that belongs to none is written to
the audit log (`ledger.weight_unmatched`, the action's name since the ledger first kept it), never
dropped. After a restart each lane's passage within the window is read back from the ledger
(`ledger.last_passages`), so a truck that was recorded before the restart is still weighed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from hub.core import Context, Event
from hub.core.events import PassageRecordedData, WeightStableData

if TYPE_CHECKING:
    from hub.core import Hub

_LOGGER = logging.getLogger(__name__)
UNMATCHED = "ledger.weight_unmatched"


@dataclass(slots=True)
class LanePassage:
    """The passage a weight at the lane would join."""

    passage_id: str
    recorded_ts: float
    weighed: bool = False


class WeightJoin:
    def __init__(self, hub: Hub, join_seconds: float) -> None:
        self.hub = hub
        self.join_seconds = join_seconds
        self.lanes: dict[tuple[str, str], LanePassage] = {}

    async def async_restore(self) -> None:
        """Each lane's passage within the join window, from the ledger (after a restart)."""
        try:
            within = {"within_hours": self.join_seconds / 3600}
            rows = await self.hub.services.async_call("ledger", "last_passages", within)
        except Exception as err:
            _LOGGER.error("Policy: cannot read the lanes' last passages for their weights: %s", err)
            return
        for row in rows:
            self.lanes[(row["gate"], row["lane"])] = LanePassage(
                row["passage_id"], float(row["recorded_ts"]), bool(row["weighed"])
            )

    def on_recorded(self, event: Event[PassageRecordedData]) -> None:
        """A passage row opens its lane for a weight; a weight row closes it."""
        d = event.data
        key = (str(d.get("gate")), str(d.get("lane")))
        if d["kind"] == "passage" and d["passage_id"]:
            self.lanes[key] = LanePassage(d["passage_id"], float(d["recorded_ts"]))
        elif d["kind"] == "weight" and (lane := self.lanes.get(key)) is not None:
            lane.weighed = lane.weighed or lane.passage_id == d.get("passage_id")

    def on_weight(self, event: Event[WeightStableData]) -> None:
        data = dict(event.data)
        gate, lane = str(data.get("gate")), str(data.get("lane"))
        try:
            at = datetime.fromisoformat(str(data.get("at")))
        except ValueError:  # the indicator gave no time we can read: the hub's
            at = self.hub.now()
        if at.tzinfo is None:  # an indicator's local time: the plant's zone
            at = at.replace(tzinfo=self.hub.clock.tz)
        passage = self.lanes.get((gate, lane))
        if passage is None:
            why = "no passage on this lane"
        elif at.timestamp() - passage.recorded_ts > self.join_seconds:
            why = f"the last passage on this lane is older than {self.join_seconds:.0f} s"
        elif passage.weighed:
            why = "the passage on this lane is weighed already"
        else:
            passage.weighed = True  # at once, so a second reading right after is not joined twice
            payload = {k: data[k] for k in ("weight_kg", "at", "indicator") if data.get(k) is not None}
            self.hub.async_create_task(
                self._async_join(passage.passage_id, payload, event.context), name="policy weight"
            )
            return
        _LOGGER.warning("Weight %s kg on %s/%s not joined: %s", data.get("weight_kg"), gate, lane, why)
        self._audit("unmatched", f"{gate}/{lane}", {**data, "why": why})

    async def _async_join(self, passage_id: str, payload: dict[str, Any], context: Context) -> None:
        body = {"passage_id": passage_id, "kind": "weight", "data": payload}
        try:
            await self.hub.services.async_call("ledger", "record_followup", body, context)
        except Exception as err:
            _LOGGER.warning("Weight for passage %s not recorded: %s", passage_id, err)
            self._audit("error", passage_id, {**payload, "why": str(err)})

    def _audit(self, outcome: str, target: str, detail: dict[str, Any]) -> None:
        entry: dict[str, Any] = {"action": UNMATCHED, "door": "internal", "outcome": outcome}
        entry.update(target=target, detail=detail)
        call = self.hub.services.async_call("ledger", "record_audit", entry, Context())
        self.hub.async_create_task(call, name="policy weight audit")  # a failure is logged by the task
