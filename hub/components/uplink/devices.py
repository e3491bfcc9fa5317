"""Device status for platforms that ask for it: a heartbeat listing every lane's barrier and plate
camera (putdcstatus), and a status report per lane (gateStatusReport), both from the entities'
availability: `binary_sensor.<lane>_barrier_online` and `_camera_online` where the devices have them,
else whether the barrier's cover and the plate sensor are available. They go every `every N` seconds
of the profile's schedule (10 minutes unless it says otherwise); a lane's report also goes at once when
one of its devices comes or goes."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from hub.core.gate import lanes_in_states

from .stream import Stream

if TYPE_CHECKING:
    from .link import PlatformLink

_LOGGER = logging.getLogger(__name__)
DEFAULT_SECONDS = 600.0
GONE = ("unavailable", "unknown")


def _online(hub: Any, key: str, device: str, fallback: str) -> bool:
    health = hub.states.get(f"binary_sensor.{key}_{device}_online")
    if health is not None:
        return bool(health.state == "on")
    state = hub.states.get(fallback)
    return state is not None and state.state not in GONE


def lane_status(hub: Any) -> list[dict[str, Any]]:
    """Each lane's devices as the platform hears of them."""
    now = hub.now()
    out = []
    for gate, lane in sorted(lanes_in_states(hub.states)):
        key = f"{gate}_{lane}"
        out.append({
            "gate": gate, "lane": lane, "barrier": key, "time": now,
            "barrier_ok": _online(hub, key, "barrier", f"cover.{key}_barrier"),
            "camera_ok": _online(hub, key, "camera", f"sensor.{key}_plate"),
        })  # fmt: skip
    return out


class DeviceStream(Stream):
    """One of the two device messages, every `every N` seconds of the profile's schedule."""

    MESSAGES = ("device_heartbeat", "device_status")

    def __init__(self, link: PlatformLink, message: str) -> None:
        super().__init__(link, message, DEFAULT_SECONDS)
        self.message = message

    @property
    def wanted(self) -> bool:
        return self.message in self.link.profile.messages

    def device_changed(self) -> None:
        """A barrier or camera came or went: its lane's report goes now, not in ten minutes."""
        if self.message == "device_status" and self.wanted:
            self.async_request_refresh()

    async def async_step(self) -> bool:
        link = self.link
        lanes = lane_status(self.hub)
        if not lanes:
            return False
        stamp = int(self.hub.now().timestamp())
        entries = [(f"{self.message}-{item['barrier']}-{stamp}", item) for item in lanes]
        outcomes = await link.async_deliver(self.message, entries)
        refused = {rid: o.message for rid, o in outcomes.items() if o.status == "rejected"}
        if refused:
            _LOGGER.warning("Uplink %s: %s refused: %s", link.name, self.message, refused)
        else:
            link.succeeded()
        return False


def is_device_health(entity_id: str) -> bool:
    health = entity_id.endswith(("_barrier_online", "_camera_online"))
    return health and entity_id.startswith("binary_sensor.")
