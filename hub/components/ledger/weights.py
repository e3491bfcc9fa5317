"""Joins a stable weighbridge reading to the open passage of its lane, as a `weight` follow-up row."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from hub.core import Event, HubError

from .const import KIND_PASSAGE

if TYPE_CHECKING:
    from .recorder import Ledger

_LOGGER = logging.getLogger(__name__)


@dataclass(slots=True)
class _LaneOpen:
    passage_id: str
    recorded_ts: int
    weighed: bool = False


class LaneWeights:
    def __init__(self, ledger: Ledger, join_seconds: float) -> None:
        self.ledger = ledger
        self.join_seconds = join_seconds
        self._lanes: dict[tuple[str, str], _LaneOpen] = {}

    async def async_load(self) -> None:
        """After a restart: the last passage of each lane within the join window, and whether weighed."""
        since = int(self.ledger.hub.now().timestamp() - self.join_seconds)
        _, rows = await self.ledger.conn.execute_query(
            self.ledger.sql(
                "SELECT kind, passage_id, gate, lane, recorded_ts FROM ledger_record "
                "WHERE kind IN (?, ?) AND recorded_ts >= ? ORDER BY seq"
            ),
            [KIND_PASSAGE, "weight", since],
        )
        for kind, passage_id, gate, lane, ts in rows:
            self.async_note(
                {"kind": kind, "passage_id": passage_id, "gate": gate, "lane": lane, "recorded_ts": ts}
            )

    def async_note(self, record: dict[str, Any]) -> None:
        """Follow the committed rows: a passage opens its lane for a weight, a weight closes it."""
        key = (record.get("gate"), record.get("lane"))
        if record["kind"] == KIND_PASSAGE:
            self._lanes[key] = _LaneOpen(record["passage_id"], int(record["recorded_ts"]))  # type: ignore[index]
        elif record["kind"] == "weight":
            current = self._lanes.get(key)  # type: ignore[arg-type]
            if current is not None and current.passage_id == record["passage_id"]:
                current.weighed = True

    def async_on_weight(self, event: Event) -> None:
        data = dict(event.data)
        gate, lane = data.get("gate"), data.get("lane")
        at = _parse_time(data.get("at")) or self.ledger.hub.now()
        if at.tzinfo is None:  # an indicator's local time: the plant's zone
            at = at.replace(tzinfo=self.ledger.hub.clock.tz)
        current = self._lanes.get((gate, lane))  # type: ignore[arg-type]
        why = None
        if current is None:
            why = "no passage on this lane"
        elif at.timestamp() - current.recorded_ts > self.join_seconds:
            why = f"the last passage on this lane is older than {self.join_seconds:.0f} s"
        elif current.weighed:
            why = "the passage on this lane is weighed already"
        if why is not None or current is None:
            _LOGGER.warning("Weight %s kg on %s/%s not joined: %s", data.get("weight_kg"), gate, lane, why)
            self.ledger.audit_nowait(
                action="ledger.weight_unmatched", door="internal", outcome="unmatched",
                target=f"{gate}/{lane}", detail={**data, "why": why},
            )  # fmt: skip
            return
        current.weighed = True  # at once, so a second reading right after is not joined twice
        payload = {k: data.get(k) for k in ("weight_kg", "at", "indicator") if data.get(k) is not None}
        self.ledger.hub.async_create_task(self._async_join(current.passage_id, payload, event))

    async def _async_join(self, passage_id: str, payload: dict[str, Any], event: Event) -> None:
        try:
            await self.ledger.async_record_followup(passage_id, "weight", payload, None, event.context)
        except HubError as err:
            _LOGGER.warning("Weight for passage %s not recorded: %s", passage_id, err)
            self.ledger.audit_nowait(
                action="ledger.weight_unmatched", door="internal", outcome="error",
                target=passage_id, detail={**payload, "why": str(err)},
            )  # fmt: skip


def _parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None
