"""The lanes' bound entities, followed for the policy (HA's `async_track_state_change_event` model).

Each lane's binding (hub.core.gate.LaneBinding) names its parts. This module turns their state changes
into what the rest of the hub consumes, whichever integration provides them:
- a plate entity's new value is a read, announced as `plate_read` like a camera's (an entity whose
  state carries a `read_id` announces its reads itself, with photos: our camera does), with the
  photos of the lane's bound image entities (`photo`, `plate_photo`) taken for it;
- a presence binary sensor marks arrival and departure (the lifecycle's `arrived` and `passed`);
- a bound barrier cover's movements drive the lifecycle like our barrier's;
- a weight entity is watched for a stable weight (`weighing.py`), announced as `weight_stable`, which
  the policy joins to the lane's passage (weight_join.py).
And it says how to command a part: the lane's own gate devices (the entity named as our barrier
integration names them, or carrying the lane's gate and lane) through `barrier.open|display|alarm`
with the lane, any other entity through its platform's service (`cover.open_cover`, `text.set_value`,
`switch.turn_on`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from hub.core import Context, Event, Hub, State
from hub.core.const import EVENT_PLATE_READ, STATE_ON, STATE_UNAVAILABLE, STATE_UNKNOWN
from hub.core.context import ulid_now
from hub.core.events import EventStateChangedData, PlateReadData
from hub.core.gate import DEFAULT_PARTS
from hub.core.photos import PhotoRef
from hub.core.track import async_track_state_change_event
from hub.util.plate import PlateColour

from .weighing import LaneWeighing

if TYPE_CHECKING:
    from .passage import LaneTrack

_LOGGER = logging.getLogger(__name__)
NO_VALUE = (STATE_UNAVAILABLE, STATE_UNKNOWN, "")
# what other LPR systems send for a colour: our codes, 黄牌, 黄, 黄绿 ...
_COLOUR_WORDS = {
    **{c.value: c.value for c in PlateColour}, **{c.label: c.value for c in PlateColour},
    **{c.label.removesuffix("牌"): c.value for c in PlateColour}, "渐变绿": PlateColour.GREEN.value,
}  # fmt: skip
# part -> the gate service that drives our own devices of a lane, and the platform service otherwise
_GATE_SERVICE = {"barrier": "open", "display": "display", "alarm": "alarm"}
_ENTITY_SERVICE = {"cover": "open_cover", "text": "set_value", "switch": "turn_on"}


def colour_of(value: Any) -> str:
    text = str(value or "").strip().lower()
    return _COLOUR_WORDS.get(text, _COLOUR_WORDS.get(text.removesuffix("牌"), PlateColour.UNKNOWN.value))


def confidence_of(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number / 100 if number > 1 else number  # some systems say 97 for 0.97


class LaneWiring:
    """Subscriptions to every lane's bound entities, and the way to command a lane's parts."""

    def __init__(self, hub: Hub, callbacks: LaneCallbacks, read_max_age: float) -> None:
        self.hub = hub
        self.callbacks = callbacks
        self.read_max_age = read_max_age
        self.barriers: dict[str, LaneTrack] = {}  # bound cover entity -> its lane
        self._weighing: list[LaneWeighing] = []
        self._unsubs: list[Callable[[], None]] = []

    def bind(self, track: LaneTrack) -> None:
        b = track.binding
        follow: dict[str, Callable[[Event[EventStateChangedData]], None]] = {}
        if b.plate is not None:
            follow[b.plate] = lambda e: self._on_plate(track, e)
        if b.presence is not None:
            follow[b.presence] = lambda e: self._on_presence(track, e)
        if b.barrier is not None:
            self.barriers[b.barrier] = track
            follow[b.barrier] = lambda e: self._on_barrier(track, e)
        if b.rfid is not None:
            follow[b.rfid] = lambda e: self._on_tag(track, e)
        if b.weight is not None:
            weighing = LaneWeighing(self.hub, b, b.weight)
            self._weighing.append(weighing)
            follow[b.weight] = weighing.on_state
        for entity_id, action in follow.items():
            self._unsubs.append(async_track_state_change_event(self.hub, entity_id, action))
        if b.presence is not None and (state := self.hub.states.get(b.presence)) is not None:
            track.presence = state.state == STATE_ON

    def stop(self) -> None:
        for unsub in self._unsubs:
            unsub()
        self._unsubs.clear()
        for weighing in self._weighing:
            weighing.stop()

    # ----- what the parts report -----------------------------------------------------------------
    def _on_plate(self, track: LaneTrack, event: Event[EventStateChangedData]) -> None:
        new = event.data["new_state"]
        old = event.data["old_state"]
        if new is None or new.state in NO_VALUE or "read_id" in new.attributes:
            return
        if (old is None or old.state in NO_VALUE) and self._stale(new):
            # The value came with a (re)connect: the tag's last plate, not a vehicle now.
            _LOGGER.debug("Lane %s: %s = %s is an old value, not a read", track.key, new.entity_id, new.state)
            return
        # Companions (colour, confidence) may be updated by the same message right after the plate.
        asyncio.get_running_loop().call_soon(self._announce_read, track, new)

    def _stale(self, state: State) -> bool:
        for key in ("source_time", "captured_at"):
            text = state.attributes.get(key)
            if isinstance(text, str):
                try:
                    when = datetime.fromisoformat(text)
                except ValueError:
                    continue
                if when.tzinfo is None:
                    when = when.replace(tzinfo=self.hub.clock.tz)
                return self.hub.now() - when > timedelta(seconds=self.read_max_age)
        return False

    def _companion(self, entity_id: str | None) -> str | None:
        state = self.hub.states.get(entity_id) if entity_id else None
        return state.state if state is not None and state.state not in NO_VALUE else None

    def _announce_read(self, track: LaneTrack, state: State) -> None:
        b = track.binding
        attrs = state.attributes
        colour = colour_of(self._companion(b.plate_colour) or attrs.get("colour") or attrs.get("plate_color"))
        confidence = confidence_of(self._companion(b.plate_confidence) or attrs.get("confidence"))
        # The lane's configured direction; else what the camera system says (a two-way lane); else in/out
        # by the lane's name.
        said = attrs.get("direction")
        direction = b.direction or (said if said in ("in", "out") else None) or b.read_direction
        read_id = ulid_now()
        now = self.hub.now()
        data: PlateReadData = {
            "read_id": read_id, "gate": b.gate, "lane": b.lane, "direction": str(direction),
            "plate": state.state, "colour": colour,
            "confidence": round(confidence, 3) if confidence is not None else None,
            "needs_review": confidence is not None and confidence < b.review_below,
            "source": state.entity_id, "captured_at": (state.last_updated or now).isoformat(),
            "read_at": now.isoformat(), "photos": self.recent_photos(track), "rfid": self.recent_tag(track),
        }  # fmt: skip
        self.hub.bus.async_fire(EVENT_PLATE_READ, data, Context(id=read_id, parent_id=state.context.id))

    def _on_tag(self, track: LaneTrack, event: Event[EventStateChangedData]) -> None:
        """At a lane without a plate camera a new tag is the lane's read (tags.py); beside a camera it
        only rides with the camera's read."""
        new = event.data["new_state"]
        b = track.binding
        if new is None or new.state in NO_VALUE:
            return
        camera = b.entity("plate")
        if b.plate is not None or (camera is not None and self.hub.states.get(camera) is not None):
            return
        if self.recent_tag(track) is None:
            return  # an old value that came with a reconnect, not a vehicle now
        read_id = ulid_now()
        now = self.hub.now()
        data: PlateReadData = {
            "read_id": read_id, "gate": b.gate, "lane": b.lane, "direction": str(b.read_direction),
            "plate": "", "colour": PlateColour.UNKNOWN.value, "confidence": None, "needs_review": False,
            "source": new.entity_id, "captured_at": (new.last_updated or now).isoformat(),
            "read_at": now.isoformat(), "photos": self.recent_photos(track), "rfid": new.state,
        }  # fmt: skip
        self.hub.bus.async_fire(EVENT_PLATE_READ, data, Context(id=read_id, parent_id=new.context.id))

    def recent_tag(self, track: LaneTrack) -> str | None:
        """The tag the lane's reader saw within `read_max_age` seconds, if any."""
        state = self.hub.states.get(track.binding.rfid) if track.binding.rfid else None
        if state is None or state.state in NO_VALUE:
            return None
        seen = state.attributes.get("read_at")
        try:
            when = datetime.fromisoformat(seen) if isinstance(seen, str) else state.last_updated
        except ValueError:
            when = state.last_updated
        if when is None:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=self.hub.clock.tz)
        return state.state if self.hub.now() - when <= timedelta(seconds=self.read_max_age) else None

    def recent_photos(self, track: LaneTrack) -> dict[str, PhotoRef]:
        """The lane's bound image entities' photos taken for this read: updated at most
        `photo_seconds` ago (an older one shows the vehicle before), as references to hub.photos."""
        b = track.binding
        found: dict[str, PhotoRef] = {}
        for role, entity_id in (("scene", b.photo), ("plate", b.plate_photo)):
            state = self.hub.states.get(entity_id) if entity_id else None
            if state is None or state.state in NO_VALUE or state.last_updated is None:
                continue
            sha, size = state.attributes.get("sha256"), state.attributes.get("size")
            fresh = self.hub.now() - state.last_updated <= timedelta(seconds=b.photo_seconds)
            if fresh and isinstance(sha, str) and isinstance(size, int):
                found[role] = PhotoRef(sha256=sha, size=size)
        return found

    def _on_presence(self, track: LaneTrack, event: Event[EventStateChangedData]) -> None:
        new = event.data["new_state"]
        if new is None or new.state not in ("on", "off"):
            return  # unavailable: the loop says nothing about the vehicle
        on = new.state == STATE_ON
        if on != track.presence:
            track.presence = on
            self.callbacks.presence_changed(track, on)

    def _on_barrier(self, track: LaneTrack, event: Event[EventStateChangedData]) -> None:
        new = event.data["new_state"]
        if new is not None:
            self.callbacks.barrier_moved(track, new.state)

    # ----- commanding the parts ------------------------------------------------------------------
    def command(self, track: LaneTrack, part: str) -> tuple[str, str, dict[str, Any]] | None:
        """(domain, service, target data) that drives the lane's `part`; None if it has none."""
        b = track.binding
        entity_id = b.entity(part)
        state = self.hub.states.get(entity_id) if entity_id else None
        if entity_id is None or state is None:
            return None
        gate_service = _GATE_SERVICE[part]
        ours = entity_id == DEFAULT_PARTS[part].format(key=b.key) or (
            state.attributes.get("gate") == b.gate and state.attributes.get("lane") == b.lane
        )
        if ours and self.hub.services.has_service("barrier", gate_service):
            return "barrier", gate_service, {"gate": b.gate, "lane": b.lane}
        platform = entity_id.split(".", 1)[0]
        service = _ENTITY_SERVICE.get(platform)
        if service is None or not self.hub.services.has_service(platform, service):
            return None
        return platform, service, {"entity_id": entity_id}


class LaneCallbacks(Protocol):
    """What the policy does when a lane's part reports (the passage lifecycle, lifecycle.py)."""

    def presence_changed(self, track: LaneTrack, on: bool) -> None: ...

    def barrier_moved(self, track: LaneTrack, position: str) -> None: ...
