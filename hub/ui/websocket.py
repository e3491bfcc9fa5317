"""The live feed: state changes, plate reads (without image bytes), decisions and passages, as JSON.

One bus listener per event type serialises each event once and puts it in every client's queue; a
client that cannot keep up is disconnected (it reconnects and reloads the snapshot) rather than
holding memory or slowing the hub.

Protocol (`GET /api/websocket`, signed in by session cookie or Authorization header):
- server -> client: {"type": "hello", "user": ..., "events": [...]} then
  {"type": "event", "event_type": ..., "data": {...}, "time_fired": ..., "context": {...}} per event;
- client -> server (optional): {"type": "subscribe", "event_types": [...]} narrows the feed;
  {"type": "ping"} is answered {"type": "pong"}.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from aiohttp import WSMsgType, web

from hub.core import Event, Hub
from hub.core.const import (
    EVENT_GATE_DECISION,
    EVENT_HUB_STARTED,
    EVENT_PASSAGE_RECORDED,
    EVENT_PLATE_READ,
    EVENT_STATE_CHANGED,
)

from .const import FEED_EVENTS
from .jsonbody import BadJson, parse_json
from .responses import principal_of, ui_of
from .review import ReviewQueue
from .serialize import dumps, plate_read_for_feed

_LOGGER = logging.getLogger(__name__)
CLIENT_QUEUE = 2000  # events; a control-room screen falling this far behind is reconnected
HEARTBEAT_SECONDS = 30.0


class _Client:
    def __init__(self, events: set[str]) -> None:
        self.events = events
        self.queue: asyncio.Queue[str | None] = asyncio.Queue(CLIENT_QUEUE)

    def offer(self, event_type: str, text: str) -> bool:
        if event_type not in self.events:
            return True
        try:
            self.queue.put_nowait(text)
        except asyncio.QueueFull:
            return False
        return True

    def close(self) -> None:
        """Drop what is queued and tell the sender to close the connection."""
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(None)


class LiveFeed:
    """Fans bus events out to WebSocket clients and remembers each lane's latest read and decision."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.clients: set[_Client] = set()
        self.last_by_lane: dict[str, dict[str, Any]] = {}
        self.review = ReviewQueue(hub)
        self._unsubs: list[Callable[[], None]] = []

    def async_start(self) -> None:
        self._unsubs = [self.hub.bus.async_listen(t, self._on_event) for t in FEED_EVENTS]
        self._unsubs.append(
            self.hub.bus.async_listen_once(
                EVENT_HUB_STARTED,
                lambda _e: self.hub.async_create_task(self.review.async_load(), name="ui review queue"),
            )
        )

    async def async_stop(self) -> None:
        for unsub in self._unsubs:
            unsub()
        for client in list(self.clients):
            client.close()

    def _on_event(self, event: Event) -> None:
        data = self._shape(event)
        if event.event_type != EVENT_STATE_CHANGED:
            self._remember(event.event_type, data)
            self.review.on_event(event)
        if not self.clients:
            return
        text = dumps({
            "type": "event", "event_type": event.event_type, "data": data,
            "time_fired": event.time_fired, "context": event.context.as_dict(),
        })  # fmt: skip
        for client in list(self.clients):
            if not client.offer(event.event_type, text):
                _LOGGER.warning("A live-feed client fell %d events behind; disconnecting it", CLIENT_QUEUE)
                self.clients.discard(client)
                client.close()

    @staticmethod
    def _shape(event: Event) -> dict[str, Any]:
        if event.event_type == EVENT_STATE_CHANGED:
            old, new = event.data.get("old_state"), event.data.get("new_state")
            return {
                "entity_id": event.data.get("entity_id"),
                "old_state": old.state if old is not None else None,
                "new_state": new.as_dict() if new is not None else None,
            }
        if event.event_type == EVENT_PLATE_READ:
            return plate_read_for_feed(event.data)
        return dict(event.data)

    def _remember(self, event_type: str, data: dict[str, Any]) -> None:
        gate, lane = data.get("gate"), data.get("lane")
        if not isinstance(gate, str) or not isinstance(lane, str):
            return
        if event_type == EVENT_PASSAGE_RECORDED and data.get("kind", "passage") != "passage":
            return
        entry = self.last_by_lane.setdefault(f"{gate}_{lane}", {"where": (gate, lane)})
        entry[event_type] = data
        if event_type == EVENT_PLATE_READ and entry.get(EVENT_GATE_DECISION, {}).get("read_id") != data.get(
            "read_id"
        ):
            entry.pop(EVENT_GATE_DECISION, None)  # the decision shown must be about the plate shown


async def websocket_handler(request: web.Request) -> web.StreamResponse:
    feed: LiveFeed = ui_of(request).feed
    principal = principal_of(request)
    ws = web.WebSocketResponse(heartbeat=HEARTBEAT_SECONDS, max_msg_size=64 * 1024)
    await ws.prepare(request)
    client = _Client(set(FEED_EVENTS))
    feed.clients.add(client)
    await ws.send_str(dumps({"type": "hello", "user": principal.user.username, "events": list(FEED_EVENTS)}))
    sender = asyncio.get_running_loop().create_task(_send(ws, client))
    try:
        async for message in ws:
            if message.type != WSMsgType.TEXT:
                continue
            await _on_message(ws, client, message.data)
    finally:
        feed.clients.discard(client)
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sender
    return ws


async def _send(ws: web.WebSocketResponse, client: _Client) -> None:
    while (text := await client.queue.get()) is not None:
        await ws.send_str(text)
    await ws.close(code=1013, message=b"fell behind; reconnect")


async def _on_message(ws: web.WebSocketResponse, client: _Client, text: str) -> None:
    try:
        message = parse_json(text)
    except BadJson as err:
        await ws.send_str(dumps({"type": "error", "message": err.message}))
        return
    if not isinstance(message, dict):
        await ws.send_str(dumps({"type": "error", "message": "send JSON objects with a `type`"}))
        return
    kind = message.get("type")
    if kind == "ping":
        await ws.send_str(dumps({"type": "pong"}))
    elif kind == "subscribe" and isinstance(message.get("event_types"), list):
        wanted = {str(t) for t in message["event_types"]}
        client.events = wanted & set(FEED_EVENTS)
        await ws.send_str(dumps({"type": "subscribed", "event_types": sorted(client.events)}))
    else:
        await ws.send_str(dumps({"type": "error", "message": f"unknown message type {kind!r}"}))


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/websocket", websocket_handler)
