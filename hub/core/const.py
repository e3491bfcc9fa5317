"""Names shared by the whole hub: event types, special states, the data-directory layout."""

from __future__ import annotations

from typing import Any, Final, Generic, TypeVar

_DataT = TypeVar("_DataT", bound=dict[str, Any])


class EventType(str, Generic[_DataT]):
    """An event name that also says what its data looks like, for the type checker."""

    __slots__ = ()


# Events fired by the core itself.
EVENT_HUB_START: Final = EventType[dict[str, Any]]("hub_start")
EVENT_HUB_STARTED: Final = EventType[dict[str, Any]]("hub_started")
EVENT_HUB_STOP: Final = EventType[dict[str, Any]]("hub_stop")
EVENT_STATE_CHANGED: Final = EventType[dict[str, Any]]("state_changed")
EVENT_SERVICE_REGISTERED: Final = EventType[dict[str, Any]]("service_registered")
EVENT_SERVICE_CALLED: Final = EventType[dict[str, Any]]("service_called")
EVENT_USER_LOGIN: Final = EventType[dict[str, Any]]("user_login")

# Events of the passage path, fired by integrations and components.
EVENT_PLATE_READ: Final = EventType[dict[str, Any]]("plate_read")
EVENT_GATE_DECISION: Final = EventType[dict[str, Any]]("gate_decision")
EVENT_PASSAGE_RECORDED: Final = EventType[dict[str, Any]]("passage_recorded")
EVENT_WEIGHT_STABLE: Final = EventType[dict[str, Any]]("weight_stable")
# The demo traffic: a simulated vehicle reaches a lane; that lane's simulated devices react.
EVENT_VEHICLE_ARRIVED: Final = EventType[dict[str, Any]]("vehicle_arrived")

MATCH_ALL: Final = "*"

STATE_UNAVAILABLE: Final = "unavailable"
STATE_UNKNOWN: Final = "unknown"
STATE_ON: Final = "on"
STATE_OFF: Final = "off"

# Longest entity state string; attributes carry anything longer.
MAX_STATE_LENGTH: Final = 255
