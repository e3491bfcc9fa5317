"""State triggers of every automation behind one bus listener, indexed by entity id.

The bus offers a filter per listener, so 200 automations with state triggers would each look at
every state change of the hub (bench/automation_latency.py: three million filter calls for 5,000
changes). One listener and a dict make it one lookup per change.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from hub.core import Event
from hub.core.bus import EventBus
from hub.core.const import EVENT_STATE_CHANGED
from hub.core.events import EventStateChangedData

_LOGGER = logging.getLogger(__name__)
Action = Callable[[Event], None]


class StateTracker:
    def __init__(self, bus: EventBus) -> None:
        self._bus = bus
        self._by_entity: dict[str, list[Action]] = {}
        self._unlisten: Callable[[], None] | None = None

    def track(self, entity_ids: Iterable[str], action: Action) -> Callable[[], None]:
        """Call `action` with each `state_changed` of the entities; returns the unsubscribe."""
        if self._unlisten is None:
            self._unlisten = self._bus.async_listen(EVENT_STATE_CHANGED, self._dispatch)
        wanted = list(dict.fromkeys(entity_ids))
        for entity_id in wanted:
            self._by_entity.setdefault(entity_id, []).append(action)

        def untrack() -> None:
            for entity_id in wanted:
                actions = self._by_entity.get(entity_id)
                if actions is not None and action in actions:
                    actions.remove(action)
                    if not actions:
                        del self._by_entity[entity_id]

        return untrack

    def _dispatch(self, event: Event[EventStateChangedData]) -> None:
        actions = self._by_entity.get(event.data["entity_id"])
        if not actions:
            return
        for action in list(actions):
            try:
                action(event)
            except Exception:  # one automation's trigger must not keep the change from the others
                _LOGGER.exception("Automation state trigger failed on %s", event.data.get("entity_id"))

    def stop(self) -> None:
        if self._unlisten is not None:
            self._unlisten()
            self._unlisten = None
        self._by_entity.clear()
