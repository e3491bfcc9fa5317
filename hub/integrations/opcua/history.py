"""HistoryRead from the ledger: passage events of EcoGate, a gate or a lane, and the recorded values of
a lane's `plate.text` and `weight.kg`.

asyncua's HistoryManager keeps its own copy of what it saw since start, and answers a node it does not
historize with Good and nothing. This one takes its place: it asks the ledger (the `ledger.query`
service, as the session's user, so the ledger's roles apply) for the passages of a time range, oldest
first (newest first when the start is after the end), NumValuesPerNode at a time with a continuation
point; the range is on the ledger's recorded time, the events' Time is the read's (events.py). Any
other history read (processed, at time, modified values, another node) answers
BadHistoryOperationUnsupported; a HistoryUpdate, BadHistoryOperationUnsupported too (the ledger is
append-only).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from asyncua import ua
from asyncua.server.monitored_item_service import WhereClauseEvaluator

from hub.core import Context, Hub, HubError, Unauthorized

from .const import ROOT_ID
from .events import PassageEvents, read_time
from .mapping import SLUG
from .security import HubUaUser, current_user

_LOGGER = logging.getLogger(__name__)
PAGE_MAX = 500  # the ledger query's largest page
VALUE_KEYS = {"plate.text": "plate", "weight.kg": "weight_kg"}  # variable -> field of the passage


class BadContinuationPoint(Exception):
    """A continuation point this server did not give."""


class LedgerHistory:
    """What asyncua's InternalSession calls as `iserver.history_manager`."""

    def __init__(self, hub: Hub, aspace: Any, events: PassageEvents, idx: int, known_lane: Any) -> None:
        self.hub, self.aspace, self.events, self.idx = hub, aspace, events, idx
        self._known_lane = known_lane  # (gate, lane) -> bool

    async def init(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def update_history(self, params: ua.HistoryUpdateParameters) -> list[ua.HistoryUpdateResult]:
        unsupported = ua.StatusCode(ua.StatusCodes.BadHistoryOperationUnsupported)
        return [ua.HistoryUpdateResult(StatusCode=unsupported) for _ in params.HistoryUpdateDetails]

    async def read_history(self, params: ua.HistoryReadParameters) -> list[ua.HistoryReadResult]:
        results = []
        for item in params.NodesToRead:
            if params.ReleaseContinuationPoints:  # nothing is held: a point is the next offset
                results.append(ua.HistoryReadResult())
                continue
            try:
                results.append(await self._async_read(params.HistoryReadDetails, item))
            except Unauthorized:
                results.append(_status("BadUserAccessDenied"))
            except BadContinuationPoint:
                results.append(_status("BadContinuationPointInvalid"))
            except (HubError, ValueError) as err:
                _LOGGER.warning("OPC UA history read of %s: %s", item.NodeId.to_string(), err)
                results.append(_status("BadHistoryOperationInvalid"))
        return results

    async def _async_read(self, details: Any, item: ua.HistoryReadValueId) -> ua.HistoryReadResult:
        node_id = item.NodeId
        if node_id not in self.aspace:
            return _status("BadNodeIdUnknown")
        text = str(node_id.Identifier) if node_id.NamespaceIndex == self.idx else ""
        if isinstance(details, ua.ReadEventDetails):
            where = self._notifier(text)
            if where is None:
                return _status("BadHistoryOperationUnsupported")
            records, cont = await self._async_passages(where, details, item.ContinuationPoint)
            select = details.Filter.SelectClauses
            wanted = WhereClauseEvaluator(_LOGGER, self.aspace, details.Filter.WhereClause)  # event types
            built = [self.events.build(r, _lane_id(r)) for r in records]
            events = [
                ua.HistoryEventFieldList(EventFields=e.to_event_fields(select))
                for e in built
                if wanted.eval(e)
            ]
            return ua.HistoryReadResult(ContinuationPoint=cont, HistoryData=ua.HistoryEvent(Events=events))
        if isinstance(details, ua.ReadRawModifiedDetails) and not details.IsReadModified:
            parts = text.split(".")
            key = VALUE_KEYS.get(".".join(parts[2:]))
            where = self._notifier(".".join(parts[:2])) if key and len(parts) == 4 else None
            if key is None or where is None:
                return _status("BadHistoryOperationUnsupported")
            records, cont = await self._async_passages(where, details, item.ContinuationPoint)
            vtype = ua.VariantType.String if key == "plate" else ua.VariantType.Double
            values = [
                ua.DataValue(
                    ua.Variant(r[key], vtype), SourceTimestamp=read_time(r), ServerTimestamp=read_time(r)
                )
                for r in records
                if r.get(key) is not None
            ]
            return ua.HistoryReadResult(ContinuationPoint=cont, HistoryData=ua.HistoryData(DataValues=values))
        return _status("BadHistoryOperationUnsupported")

    def _notifier(self, text: str) -> dict[str, str] | None:
        """The ledger filter of an event notifier of ours: EcoGate, a gate or a lane."""
        if text == ROOT_ID:
            return {}
        gate, _, lane = text.partition(".")
        if not SLUG.match(gate) or (lane and not SLUG.match(lane)):
            return None
        if lane:
            return {"gate": gate, "lane": lane} if self._known_lane(gate, lane) else None
        return {"gate": gate}

    async def _async_passages(
        self, where: dict[str, str], details: Any, point: bytes | None
    ) -> tuple[list[dict[str, Any]], bytes | None]:
        """A page of the passages `where` in the details' time range, and the point to go on from."""
        user = current_user()
        if not isinstance(user, HubUaUser) or not user.user_id:
            raise Unauthorized("history needs a signed-in hub user")
        start, end = _plausible(details.StartTime), _plausible(details.EndTime)
        count = details.NumValuesPerNode
        newest_first = start is not None and end is not None and start > end
        if newest_first:
            start, end = end, start
        size = min(count or PAGE_MAX, PAGE_MAX)
        try:
            offset = int(json.loads(point)["offset"]) if point else 0
        except (ValueError, KeyError, TypeError):
            raise BadContinuationPoint from None
        query: dict[str, Any] = {**where, "sort": "-recorded_at" if newest_first else "recorded_at",
                                 "page_size": size, "page": offset // size + 1}  # fmt: skip
        if start is not None:
            query["start"] = start
        if end is not None:
            query["end"] = end
        found = await self.hub.services.async_call(
            "ledger", "query", query, Context(user_id=user.user_id), door="opcua"
        )
        items = found["items"]
        more = offset + len(items) < int(found["total"]) and len(items) == size
        cont = json.dumps({"offset": offset + len(items)}).encode() if more else None
        return items, cont


def _status(name: str) -> ua.HistoryReadResult:
    return ua.HistoryReadResult(StatusCode=ua.StatusCode(getattr(ua.StatusCodes, name)))


def _plausible(moment: datetime | None) -> datetime | None:
    """None for an open end (OPC UA's 1601 or a far future); aware UTC otherwise."""
    if moment is None or moment.year < 2000 or moment.year > 2099:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _lane_id(record: dict[str, Any]) -> str | None:
    gate, lane = record.get("gate"), record.get("lane")
    return f"{gate}.{lane}" if isinstance(gate, str) and isinstance(lane, str) else None
