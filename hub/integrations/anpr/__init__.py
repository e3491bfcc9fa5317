"""Plate cameras: each lane's camera turns a passing vehicle into a `plate_read` event and a plate sensor.

Sources per camera:
- `push`: the camera recognises and pushes (HTTP, multipart or JSON+base64) to the hub's push endpoint,
  with its own `token` (put it in secrets.yaml: `token: !secret east_gate_in_camera`);
- `folder`: the camera uploads frames into a folder (FTP); the hub recognises them;
- `rtsp`: the hub reads the stream and recognises a frame on motion or on a loop-detector entity;
- `simulator`: the demo traffic; with `render: true` it draws a plate scene and the hub recognises it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hub.core import DeviceInfo, Hub
from hub.core.gate import Direction, LaneRef

from .allowance import PushAllowance
from .binary_sensor import CameraFrozen, CameraOnline
from .camera import AnprCamera, FolderWatcher
from .const import DEFAULT_CONFIDENCE_THRESHOLD, DEFAULT_MERGE_SECONDS, DOMAIN, FRAMES_WAITING_PER_LANE
from .engine import RecognitionEngine, RecognizerConfig
from .frames import LaneTurns
from .frozen import RepeatedFrames
from .lane import CameraLane
from .push import PushCamera, PushServer
from .sensor import FramesDropped, PlateSensor

MIN_TOKEN_LENGTH = 16


class CameraConfig(LaneRef):
    direction: Direction | Literal["both"] = "both"
    source: Literal["simulator", "push", "folder", "rtsp"] = "simulator"
    name: str | None = None
    folder: str | None = None  # source folder
    url: str | None = None  # source rtsp (any URL or file OpenCV opens)
    trigger_entity: str | None = None  # rtsp: a loop detector turning on
    motion_threshold: float = Field(0.02, ge=0, le=1)  # rtsp: share of changed pixels; 0 = off
    cooldown_seconds: float = Field(3.0, ge=0)
    render: bool = False  # simulator: draw a plate image and recognise it (real OCR, more CPU)
    offline_after: float = Field(300.0, ge=0)  # push/folder: silence after which the camera is offline
    token: str | None = None  # push: this camera's own secret, sent as `Authorization: Bearer <token>`
    pushes_per_minute: int = Field(60, ge=1, le=6000)  # push: more are refused (429) until it slows down
    frozen_after: float = Field(120.0, ge=0)  # the same frame for this long: camera frozen; 0 = no alarm

    @model_validator(mode="after")
    def _source_needs(self) -> CameraConfig:
        if self.source == "folder" and not self.folder:
            raise ValueError("source folder needs `folder`")
        if self.source == "rtsp" and not self.url:
            raise ValueError("source rtsp needs `url`")
        if self.source == "push" and not self.token:
            raise ValueError(
                "source push needs the camera's own `token` (e.g. `token: !secret east_gate_in_camera`)"
            )
        if self.source == "push" and len(self.token or "") < MIN_TOKEN_LENGTH:
            raise ValueError(f"a push camera's `token` must be at least {MIN_TOKEN_LENGTH} characters")
        if self.source != "push" and self.token:
            raise ValueError("`token` is for source push only")
        return self


class PushConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Loopback unless the plant names its camera network's address: never every interface by default.
    host: str = "127.0.0.1"
    port: int = Field(8081, ge=0, le=65535)

    @model_validator(mode="before")
    @classmethod
    def _no_shared_token(cls, data: Any) -> Any:
        if isinstance(data, dict) and "token" in data:
            raise ValueError("push.token is gone: give each push camera its own `token` under `cameras`")
        return data


class AnprConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    confidence_threshold: float = Field(DEFAULT_CONFIDENCE_THRESHOLD, ge=0, le=1)
    merge_seconds: float = Field(DEFAULT_MERGE_SECONDS, ge=0, le=300)
    recognizer: RecognizerConfig = Field(default_factory=RecognizerConfig)
    push: PushConfig = Field(default_factory=PushConfig)
    cameras: list[CameraConfig] = Field(min_length=1)


CONFIG_SCHEMA = AnprConfig


class AnprIntegration:
    def __init__(self, hub: Hub, config: AnprConfig) -> None:
        self.hub = hub
        self.config = config
        self.engine = RecognitionEngine(config.recognizer, config.confidence_threshold)
        self.turns = LaneTurns(hub, FRAMES_WAITING_PER_LANE)
        self.cameras: dict[str, AnprCamera] = {}
        self.pushers: dict[str, PushCamera] = {}
        self.push: PushServer | None = None

    async def async_setup(self) -> None:
        for index, conf in enumerate(self.config.cameras):
            await self._async_add_camera(index, conf)
        if self.pushers:
            self.push = PushServer(self.pushers, self.config.push.host, self.config.push.port)
            await self.push.async_start()
            self.hub.async_on_stop(self.push.async_stop)
        self.hub.async_on_stop(lambda: self.hub.async_add_executor_job(self.engine.close))
        self.hub.async_on_stop(self.turns.async_stop)  # runs first: waiting pushes are answered, not cut off

    async def _async_add_camera(self, index: int, conf: CameraConfig) -> None:
        lane = CameraLane(
            self.hub,
            conf.gate,
            conf.lane,
            threshold=self.config.confidence_threshold,
            merge_seconds=self.config.merge_seconds,
        )
        if lane.key in self.cameras:
            raise ValueError(f"camera {lane.key} is configured twice")
        simulated = conf.source == "simulator"
        device = DeviceInfo(
            identifier=f"anpr:{lane.key}",
            name=conf.name or f"{conf.gate} {conf.lane} plate camera",
            manufacturer="EcoGate" if simulated else None,
            model="simulated ANPR camera" if simulated else f"ANPR camera ({conf.source})",
            model_key="anpr_simulated" if simulated else "anpr",
            model_values=(("source", conf.source),),
        )
        online = CameraOnline(lane.key, device)
        frozen = CameraFrozen(lane.key, device)
        dropped = FramesDropped(lane.key, device)
        # A simulated camera sends no frames of its own: nothing to freeze, nothing to drop.
        health = [] if simulated else [frozen, dropped]
        await self.hub.entities.async_add(DOMAIN, [PlateSensor(lane, device), online, *health])
        clock = self.hub.clock
        camera = AnprCamera(
            self.hub,
            lane,
            online,
            self.engine,
            turns=self.turns,
            repeats=RepeatedFrames(lane.key, frozen, conf.frozen_after, clock.monotonic, clock.now),
            dropped=dropped,
            direction=str(conf.direction),
            offline_after=0 if simulated else conf.offline_after,
        )
        self.cameras[lane.key] = camera
        if conf.source == "push":
            allowance = PushAllowance(lane.key, conf.pushes_per_minute, clock.monotonic)
            self.pushers[lane.key] = PushCamera(camera, conf.token or "", allowance)
        self.hub.async_on_stop(camera.async_stop)
        if conf.source == "simulator":
            from .simulator import SimulatedCamera

            simulator = SimulatedCamera(camera, seed=index, render=conf.render)
            self.hub.async_on_stop(simulator.async_start())
            camera.async_seen()
        elif conf.source == "folder":
            watcher = FolderWatcher(camera, Path(conf.folder or ""))
            self.hub.async_create_background_task(watcher.async_run(), name=f"anpr folder {lane.key}")
        elif conf.source == "rtsp":
            from .rtsp import AnprStreamSource

            stream = AnprStreamSource(
                camera,
                conf.url or "",
                trigger_entity=conf.trigger_entity,
                motion_threshold=conf.motion_threshold,
                cooldown_seconds=conf.cooldown_seconds,
            )
            stream.async_start()
            self.hub.async_on_stop(stream.async_stop)


async def async_setup(hub: Hub, config: AnprConfig) -> bool:
    integration = AnprIntegration(hub, config)
    hub.data[DOMAIN] = integration
    await integration.async_setup()
    return True
