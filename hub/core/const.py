"""Names shared by the whole hub: event types, special states, the data-directory layout."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Generic

from typing_extensions import TypeVar

from .events import (
    AirQualityData,
    AlertLevelChangedData,
    EventStateChangedData,
    GateDecisionData,
    HubStartedData,
    NoEventData,
    PassageRecordedData,
    PlateReadData,
    RegisterChangedData,
    RemoteSensingReadingData,
    ServiceCalledData,
    ServiceRegisteredData,
    UserLoginData,
    VehicleArrivedData,
    WeightStableData,
)

# Invariant: an EventType[PlateReadData] is no EventType[Mapping[str, Any]], so the bus can check the
# data fired and the listeners subscribed against the one the name declares.
_DataT = TypeVar("_DataT", bound=Mapping[str, Any], default=Mapping[str, Any])


class EventType(str, Generic[_DataT]):
    """An event name that also says what its data looks like (hub/core/events.py), for the type checker.
    At run time it is the plain string."""

    __slots__ = ()


# Events fired by the core itself.
EVENT_HUB_START: Final = EventType[NoEventData]("hub_start")
EVENT_HUB_STARTED: Final = EventType[HubStartedData]("hub_started")
EVENT_HUB_STOP: Final = EventType[NoEventData]("hub_stop")
EVENT_STATE_CHANGED: Final = EventType[EventStateChangedData]("state_changed")
EVENT_SERVICE_REGISTERED: Final = EventType[ServiceRegisteredData]("service_registered")
EVENT_SERVICE_CALLED: Final = EventType[ServiceCalledData]("service_called")
EVENT_USER_LOGIN: Final = EventType[UserLoginData]("user_login")

# Events of the passage path, fired by integrations and components.
EVENT_PLATE_READ: Final = EventType[PlateReadData]("plate_read")
EVENT_GATE_DECISION: Final = EventType[GateDecisionData]("gate_decision")
EVENT_PASSAGE_RECORDED: Final = EventType[PassageRecordedData]("passage_recorded")
EVENT_WEIGHT_STABLE: Final = EventType[WeightStableData]("weight_stable")
# The demo traffic: a simulated vehicle reaches a lane; that lane's simulated devices react.
EVENT_VEHICLE_ARRIVED: Final = EventType[VehicleArrivedData]("vehicle_arrived")

# Events one room fires for another; the rooms re-export them from their own const.py.
EVENT_ALERT_LEVEL_CHANGED: Final = EventType[AlertLevelChangedData]("alert_level_changed")  # policy
EVENT_REGISTER_CHANGED: Final = EventType[RegisterChangedData]("register_changed")  # vehicles
EVENT_REMOTE_SENSING_READING: Final = EventType[RemoteSensingReadingData]("remote_sensing_reading")
EVENT_AIR_QUALITY_DATA: Final = EventType[AirQualityData]("air_quality_data")  # airquality stations

MATCH_ALL: Final = "*"

STATE_UNAVAILABLE: Final = "unavailable"
STATE_UNKNOWN: Final = "unknown"
STATE_ON: Final = "on"
STATE_OFF: Final = "off"

# Longest entity state string; attributes carry anything longer.
MAX_STATE_LENGTH: Final = 255
