"""Device status for platforms that ask for it: a heartbeat listing every lane's barrier and plate
camera (putdcstatus), and a status report per lane (gateStatusReport), both from the entities'
availability: `binary_sensor.<lane>_barrier_online` and `_camera_online` where the devices have them,
else whether the barrier's cover and the plate sensor are available. They go every `every N` seconds
of the profile's schedule (10 minutes unless it says otherwise); a lane's report also goes at once when
one of its devices comes or goes."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from hub.core.gate import lanes_in_states

from .delivery import async_deliver

if TYPE_CHECKING:
    from hub.core import Event

    from .link import PlatformLink

_LOGGER = logging.getLogger(__name__)
MESSAGES = ("device_heartbeat", "device_status")
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


async def async_device_step(link: PlatformLink) -> bool:
    wanted = [m for m in MESSAGES if m in link.profile.messages]
    if not wanted:
        return False
    loop_now = asyncio.get_running_loop().time()
    lanes: list[dict[str, Any]] | None = None
    for message in wanted:
        if loop_now < link.next_run.get(message, 0.0):
            continue
        lanes = lane_status(link.hub) if lanes is None else lanes
        link.next_run[message] = loop_now + link.period(message, DEFAULT_SECONDS)
        if not lanes:
            continue
        stamp = int(link.hub.now().timestamp())
        entries = [(f"{message}-{item['barrier']}-{stamp}", item) for item in lanes]
        outcomes = await async_deliver(link, message, entries)
        refused = {rid: o.message for rid, o in outcomes.items() if o.status == "rejected"}
        if refused:
            _LOGGER.warning("Uplink %s: %s refused: %s", link.name, message, refused)
        else:
            link.succeeded()
    return False


def on_device_change(link: PlatformLink, event: Event) -> None:
    """A barrier or camera came or went: its lane's report goes now, not in ten minutes."""
    if "device_status" in link.profile.messages:
        link.next_run["device_status"] = 0.0
        link.wake(scan=False)


def is_device_health(entity_id: str) -> bool:
    health = entity_id.endswith(("_barrier_online", "_camera_online"))
    return health and entity_id.startswith("binary_sensor.")
