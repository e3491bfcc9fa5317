"""One event, sent up its notifier chain: lane -> gate -> EcoGate -> Server.

asyncua delivers an event only to the monitored items of the one node that emits it, so the hub used
to emit every passage twice (by EcoGate and by Server) under two EventIds: a client watching both
saw each passage twice as two different events. Here an event is made once (one EventId) and handed
to the monitored items of every notifier on its chain (Part 3, 7.16 HasNotifier): a client on a lane
gets that lane's events, a client on Server all of them, a client on both the same EventId twice,
once per monitored item, as the specification has it.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

from asyncua import Server, ua

from .const import ROOT_ID

SERVER = ua.NodeId(ua.ObjectIds.Server)


def chain(idx: int, source_id: str | None) -> list[ua.NodeId]:
    """The notifiers above a source (`east_gate.in`, `east_gate`, None for EcoGate itself)."""
    ids: list[ua.NodeId] = []
    if source_id and source_id not in (ROOT_ID, "Plant"):
        gate, _, lane = source_id.partition(".")
        if lane:
            ids.append(ua.NodeId(source_id, idx))
        ids.append(ua.NodeId(gate, idx))
    return [*ids, ua.NodeId(ROOT_ID, idx), SERVER]


def stamp(event: Any, when: datetime | None, message: str | None = None) -> None:
    """A new EventId and the times, as asyncua's EventGenerator.trigger does."""
    event.EventId = ua.Variant(uuid.uuid4().bytes, ua.VariantType.ByteString)
    event.Time = when or datetime.now(UTC)
    event.ReceiveTime = datetime.now(UTC)
    local = ua.TimeZoneDataType()
    local.Offset = time.localtime(event.Time.timestamp()).tm_gmtoff // 60
    event.LocalTime = local
    if message is not None:
        event.Message = ua.LocalizedText(message)


async def async_deliver(
    server: Server,
    event: Any,
    notifiers: list[ua.NodeId],
    subscription_id: int | None = None,
    monitored_item: int | None = None,
) -> None:
    """Hand the event to the monitored items on each notifier (of one subscription, or all; or to one
    monitored item of that subscription, when it watches one of the notifiers)."""
    service = server.iserver.subscription_service
    if monitored_item is not None:
        found = service.subscriptions.get(subscription_id) if subscription_id is not None else None
        if found is not None and (notifier := watched(found, monitored_item)) in notifiers:
            event.emitting_node = notifier
            await found.monitored_item_srv.trigger_event(event, monitored_item)
        return
    if subscription_id is not None:
        found = service.subscriptions.get(subscription_id)
        subscriptions = [found] if found is not None else []
    else:
        subscriptions = list(service.subscriptions.values())
    for subscription in subscriptions:
        for notifier in notifiers:
            event.emitting_node = notifier  # what asyncua matches monitored items by
            await subscription.monitored_item_srv.trigger_event(event)


def watched(subscription: Any, monitored_item: int) -> ua.NodeId | None:
    """The notifier an event monitored item watches (asyncua keeps it in its own bookkeeping only)."""
    for node_id, items in subscription.monitored_item_srv._monitored_events.items():
        if monitored_item in items:
            return node_id
    return None
