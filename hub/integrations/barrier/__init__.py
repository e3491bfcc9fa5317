"""Barrier gates (道闸), their LED displays and sound/light alarms, over Modbus TCP.

Per lane: `cover.<gate>_<lane>_barrier` (opening/open/closing/closed/fault from the PLC's inputs),
`sensor.<gate>_<lane>_display`, `binary_sensor.<gate>_<lane>_alarm` and
`binary_sensor.<gate>_<lane>_barrier_online`. Services: `barrier.open`, `barrier.close`,
`barrier.display`, `barrier.alarm`. A lane with `simulator: true` gets a simulated PLC in-process.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from hub.core import DeviceInfo, Hub, HubError, ServiceCall, ServiceValidationError
from hub.core.auth import Role
from hub.core.gate import Slug
from hub.core.writable import async_register_entity_services
from hub.util.modbus import ModbusConnection

from .binary_sensor import AlarmSensor, BarrierOnline
from .config import BarrierConfig, BarrierLane
from .const import DEFAULT_PORT, DOMAIN, MAX_ALARM_SECONDS
from .cover import BarrierCover
from .device import BarrierController
from .sensor import DisplaySensor

_LOGGER = logging.getLogger(__name__)
CONFIG_SCHEMA = BarrierConfig
ROLES = {Role.GUARD, Role.ENGINEER}


class LaneTarget(BaseModel):
    model_config = ConfigDict(extra="forbid")

    gate: Slug
    lane: Slug


class DisplayData(LaneTarget):
    text: str = Field(max_length=500)
    seconds: float | None = Field(None, gt=0, le=3600)


class AlarmData(LaneTarget):
    seconds: float = Field(ge=0, le=MAX_ALARM_SECONDS)  # 0 stops a running alarm


class BarrierIntegration:
    def __init__(self, hub: Hub, config: BarrierConfig) -> None:
        self.hub = hub
        self.config = config
        self.lanes: dict[str, BarrierController] = {}
        self.simulators: dict[str, Any] = {}  # lane key -> SimulatedBarrierPlc

    async def async_setup(self) -> None:
        for conf in self.config.lanes:
            await self._async_add_lane(conf)

    async def _async_add_lane(self, conf: BarrierLane) -> None:
        port = conf.port if conf.port is not None else (0 if conf.simulator else DEFAULT_PORT)
        display_target: tuple[str, int] | None = None
        if conf.display.kind == "tcp" and conf.display.host and conf.display.port:  # both set: config.py
            display_target = (conf.display.host, conf.display.port)
        if (sim_options := conf.simulator_config) is not None:
            from .simulator import SimulatedBarrierPlc

            plc = SimulatedBarrierPlc(
                conf.registers, conf.display, sim_options, host=conf.host, port=port, name=conf.key
            )
            port = await plc.async_start()
            self.hub.async_on_stop(plc.async_stop)
            self.simulators[conf.key] = plc
            if plc.tcp_display_port is not None:
                display_target = (conf.host, plc.tcp_display_port)
        connection = ModbusConnection(
            conf.host, port, unit_id=conf.registers.unit_id, timeout=conf.timeout, name=f"PLC {conf.key}"
        )
        controller = BarrierController(self.hub, conf, connection, display_target)
        self.lanes[conf.key] = controller
        simulated = conf.simulator_config is not None
        device = DeviceInfo(
            identifier=f"barrier:{conf.key}",
            name=conf.name or f"{conf.gate} {conf.lane} barrier",
            manufacturer="EcoGate" if simulated else None,
            model="simulated barrier PLC" if simulated else "barrier PLC (Modbus TCP)",
            model_key="barrier_simulated" if simulated else "barrier",
        )
        entities = [BarrierCover(controller, device), AlarmSensor(controller, device)]
        if conf.display.kind != "none":
            entities.append(DisplaySensor(controller, device))
        entities.append(BarrierOnline(controller, device))
        await self.hub.entities.async_add(DOMAIN, entities)
        self.hub.async_on_stop(controller.async_stop)
        controller.coordinator.async_start()  # its stop step runs before the controller's

    def controller(self, target: LaneTarget) -> BarrierController:
        key = f"{target.gate}_{target.lane}"
        try:
            return self.lanes[key]
        except KeyError:
            raise HubError(f"no barrier configured for lane {key}") from None

    # ----- services ----------------------------------------------------------------------------
    async def async_open(self, call: ServiceCall) -> None:
        await self.controller(call.data).async_command("open", call.context)

    async def async_close(self, call: ServiceCall) -> None:
        await self.controller(call.data).async_command("close", call.context)

    async def async_display(self, call: ServiceCall) -> dict[str, Any]:
        data: DisplayData = call.data
        controller = self.controller(data)
        try:
            truncated = await controller.async_show(data.text, data.seconds, call.context)
        except UnicodeEncodeError as err:
            bad = err.object[err.start : err.end]
            encoding = controller.conf.display.encoding
            raise ServiceValidationError(
                DOMAIN, "display", [("text", f"{bad!r} cannot be shown: not in {encoding}")]
            ) from None
        return {"text": controller.display_text, "truncated": truncated}

    async def async_alarm(self, call: ServiceCall) -> None:
        data: AlarmData = call.data
        await self.controller(data).async_alarm(data.seconds, call.context)


async def async_setup(hub: Hub, config: BarrierConfig) -> bool:
    integration = BarrierIntegration(hub, config)
    hub.data[DOMAIN] = integration
    await integration.async_setup()
    register = hub.services.async_register
    register(
        DOMAIN, "open", integration.async_open, LaneTarget, roles=ROLES, description="开闸 Open the barrier"
    )
    register(
        DOMAIN,
        "close",
        integration.async_close,
        LaneTarget,
        roles=ROLES,
        description="落闸 Close the barrier",
    )
    register(
        DOMAIN,
        "display",
        integration.async_display,
        DisplayData,
        roles=ROLES,
        description="LED 屏显示文字 Show text on the lane's LED display",
    )
    async_register_entity_services(hub, "cover")  # our barriers are covers like any other
    register(
        DOMAIN,
        "alarm",
        integration.async_alarm,
        AlarmData,
        roles=ROLES,
        description="声光报警 Sound the lane's alarm for a number of seconds (0 stops it)",
    )
    return True
