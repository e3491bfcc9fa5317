"""Plate cameras: each lane's camera turns a passing vehicle into a `plate_read` event and a plate sensor.

Sources: `simulator` (demo traffic). Camera push over HTTP and frames recognised by the hub itself
arrive with the gate-device work (issue 5).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from hub.core import DeviceInfo, Hub
from hub.core.gate import Direction, LaneRef

from .binary_sensor import CameraOnline
from .const import DEFAULT_CONFIDENCE_THRESHOLD, DEFAULT_MERGE_SECONDS, DOMAIN
from .lane import CameraLane
from .sensor import PlateSensor
from .simulator import SimulatedCamera


class CameraConfig(LaneRef):
    direction: Direction | Literal["both"] = "both"
    source: Literal["simulator"] = "simulator"
    name: str | None = None


class AnprConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    confidence_threshold: float = Field(DEFAULT_CONFIDENCE_THRESHOLD, ge=0, le=1)
    merge_seconds: float = Field(DEFAULT_MERGE_SECONDS, ge=0, le=300)
    cameras: list[CameraConfig] = Field(min_length=1)


CONFIG_SCHEMA = AnprConfig


async def async_setup(hub: Hub, config: AnprConfig) -> bool:
    lanes: dict[str, CameraLane] = {}
    for index, camera in enumerate(config.cameras):
        lane = CameraLane(
            hub,
            camera.gate,
            camera.lane,
            threshold=config.confidence_threshold,
            merge_seconds=config.merge_seconds,
        )
        lanes[lane.key] = lane
        device = DeviceInfo(
            identifier=f"anpr:{lane.key}",
            name=camera.name or f"{camera.gate} {camera.lane} plate camera",
            manufacturer="EcoGate" if camera.source == "simulator" else None,
            model="simulated ANPR camera" if camera.source == "simulator" else None,
        )
        online = CameraOnline(lane.key, device)
        await hub.entities.async_add(DOMAIN, [PlateSensor(lane, device), online])
        if camera.source == "simulator":
            hub.async_on_stop(SimulatedCamera(hub, lane, seed=index).async_start())
            online.async_set_online(True)
    hub.data[DOMAIN] = lanes
    return True
