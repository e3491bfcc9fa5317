"""The state machine: the current public state of every entity."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from .bus import EventBus
from .clock import Clock
from .const import EVENT_STATE_CHANGED, MAX_STATE_LENGTH, STATE_UNAVAILABLE
from .context import Context
from .events import EventStateChangedData

ENTITY_ID_PATTERN = re.compile(r"^[a-z0-9_]+\.[a-z0-9_]+$")


def split_entity_id(entity_id: str) -> tuple[str, str]:
    domain, _, object_id = entity_id.partition(".")
    return domain, object_id


def valid_entity_id(entity_id: str) -> bool:
    return bool(ENTITY_ID_PATTERN.match(entity_id))


@dataclass(frozen=True, slots=True)
class State:
    """An entity's state at one moment. Immutable: a change makes a new State."""

    entity_id: str
    state: str
    attributes: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    last_changed: datetime | None = None
    last_updated: datetime | None = None
    context: Context = field(default_factory=Context)

    @property
    def domain(self) -> str:
        return split_entity_id(self.entity_id)[0]

    @property
    def available(self) -> bool:
        return self.state != STATE_UNAVAILABLE

    def as_dict(self) -> dict[str, Any]:
        return {
            "entity_id": self.entity_id,
            "state": self.state,
            "attributes": dict(self.attributes),
            "last_changed": self.last_changed.isoformat() if self.last_changed else None,
            "last_updated": self.last_updated.isoformat() if self.last_updated else None,
            "context": self.context.as_dict(),
        }


class StateMachine:
    """entity_id -> State. `state_changed` fires only when the state or an attribute really changed."""

    def __init__(self, bus: EventBus, clock: Clock) -> None:
        self._bus = bus
        self._clock = clock
        self._states: dict[str, State] = {}

    def get(self, entity_id: str) -> State | None:
        return self._states.get(entity_id)

    def all(self, domain: str | None = None) -> list[State]:
        if domain is None:
            return list(self._states.values())
        return [s for s in self._states.values() if s.domain == domain]

    def entity_ids(self, domain: str | None = None) -> list[str]:
        return [s.entity_id for s in self.all(domain)]

    def async_set(
        self,
        entity_id: str,
        new_state: str,
        attributes: Mapping[str, Any] | None = None,
        context: Context | None = None,
        *,
        force_update: bool = False,
    ) -> State:
        if not valid_entity_id(entity_id):
            raise ValueError(f"invalid entity id {entity_id!r}: expected <domain>.<object_id> in [a-z0-9_]")
        new_state = str(new_state)
        if len(new_state) > MAX_STATE_LENGTH:
            raise ValueError(
                f"state of {entity_id} is {len(new_state)} characters; at most {MAX_STATE_LENGTH}"
            )
        attrs = dict(attributes or {})
        old = self._states.get(entity_id)
        same_state = old is not None and old.state == new_state
        if same_state and old is not None and dict(old.attributes) == attrs and not force_update:
            return old
        now = self._clock.now()
        state = State(
            entity_id,
            new_state,
            MappingProxyType(attrs),
            last_changed=old.last_changed if same_state and old is not None else now,
            last_updated=now,
            context=context or Context(),
        )
        self._states[entity_id] = state
        # An annotated literal, not the TypedDict's call: this is the busiest event (a call is 4x slower).
        data: EventStateChangedData = {"entity_id": entity_id, "old_state": old, "new_state": state}
        self._bus.async_fire(EVENT_STATE_CHANGED, data, state.context)
        return state

    def async_remove(self, entity_id: str, context: Context | None = None) -> bool:
        old = self._states.pop(entity_id, None)
        if old is None:
            return False
        data: EventStateChangedData = {"entity_id": entity_id, "old_state": old, "new_state": None}
        self._bus.async_fire(EVENT_STATE_CHANGED, data, context)
        return True
