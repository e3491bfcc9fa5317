"""Constants of the demo traffic generator."""

from typing import Any, Final

from hub.core.const import EventType

DOMAIN: Final = "traffic"

# A simulated vehicle reaches a lane: the simulated camera, weighbridge and barrier of that lane react.
EVENT_VEHICLE_ARRIVED: Final = EventType[dict[str, Any]]("vehicle_arrived")
