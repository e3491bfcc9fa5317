"""Following entities: Home Assistant's `async_track_state_change_event`, for lanes and automations.

Every subscriber of a hub is behind one bus listener that looks the changed entity up in a dict
(HA's `_async_state_change_dispatcher`): a filter per subscriber would cost 200 automations 200 calls
on every state change of the plant (issue 15; bench/automation_latency.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from .bus import Event
from .const import EVENT_STATE_CHANGED
from .events import EventStateChangedData

if TYPE_CHECKING:
    from .hub import Hub

_LOGGER = logging.getLogger(__name__)
_DATA_KEY = "core.track_state_change"  # the hub's dispatcher, in hub.data
Action = Callable[[Event[EventStateChangedData]], None]


def async_track_state_change_event(
    hub: Hub, entity_ids: str | Iterable[str], action: Action
) -> Callable[[], None]:
    """Call `action` with every `state_changed` event of the named entities; returns the unsubscribe.

    The action runs inside the bus's fire, in the loop: it must not block, and an exception it raises
    is logged and goes no further (the other subscribers still get the change)."""
    dispatcher: _StateChangeDispatcher | None = hub.data.get(_DATA_KEY)
    if dispatcher is None:
        dispatcher = hub.data[_DATA_KEY] = _StateChangeDispatcher(hub)
        hub.async_on_stop(lambda: hub.data.pop(_DATA_KEY, None) and None)  # the bus drops its listener
    wanted = [entity_ids] if isinstance(entity_ids, str) else list(dict.fromkeys(entity_ids))
    return dispatcher.add(wanted, action)


class _StateChangeDispatcher:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.by_entity: dict[str, list[Action]] = {}
        self._unlisten: Callable[[], None] | None = None

    def add(self, entity_ids: list[str], action: Action) -> Callable[[], None]:
        if self._unlisten is None:
            self._unlisten = self.hub.bus.async_listen(EVENT_STATE_CHANGED, self._dispatch)
        for entity_id in entity_ids:
            self.by_entity.setdefault(entity_id, []).append(action)

        def remove() -> None:
            for entity_id in entity_ids:
                actions = self.by_entity.get(entity_id)
                if actions is not None and action in actions:
                    actions.remove(action)
                    if not actions:
                        del self.by_entity[entity_id]
            if not self.by_entity and self._unlisten is not None:
                self._unlisten()
                self._unlisten = None

        return remove

    def _dispatch(self, event: Event[EventStateChangedData]) -> None:
        actions = self.by_entity.get(event.data["entity_id"])
        if not actions:
            return
        for action in list(actions):
            try:
                action(event)
            except Exception:
                _LOGGER.exception("State change listener %r failed on %s", action, event.data["entity_id"])
