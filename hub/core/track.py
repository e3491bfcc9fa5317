"""Following entities: Home Assistant's `async_track_state_change_event`, for lanes and automations."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from .bus import Event
from .const import EVENT_STATE_CHANGED
from .events import EventStateChangedData

if TYPE_CHECKING:
    from .hub import Hub


def async_track_state_change_event(
    hub: Hub, entity_ids: str | Iterable[str], action: Callable[[Event[EventStateChangedData]], None]
) -> Callable[[], None]:
    """Call `action` with every `state_changed` event of the named entities; returns the unsubscribe.

    The action runs inside the bus's fire, in the loop: it must not block, and an exception it raises
    is logged by the bus and goes no further."""
    wanted = frozenset([entity_ids] if isinstance(entity_ids, str) else entity_ids)
    return hub.bus.async_listen(
        EVENT_STATE_CHANGED, action, event_filter=lambda event: event.data.get("entity_id") in wanted
    )
