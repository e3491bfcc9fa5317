"""Generic Modbus, like Home Assistant's: entities defined by register and coil maps, on Modbus TCP, RTU
over a TCP serial gateway, or RTU on a serial port (pyserial). `devices:` lists connections; each has
`sensors`, `binary_sensors`, `switches`, `numbers`, `covers` and `texts`, and an entity may name the
unit behind a shared gateway or bus. Writable entities take the platform services (`switch.turn_on`,
`number.set_value`, `cover.open_cover`, `text.set_value` ...), each write read back before the call
returns. A lane binds them like any other entity (docs/lanes.md).
"""

from __future__ import annotations

from typing import Any

from hub.core import Hub
from hub.core.writable import async_register_entity_services

from .binary_sensor import ModbusBinarySensor
from .config import ModbusConfig
from .const import DOMAIN
from .cover import ModbusCover
from .device import ModbusDevice
from .entity import ModbusEntity
from .number import ModbusNumber
from .sensor import ModbusSensor
from .switch import ModbusSwitch
from .text import ModbusText

CONFIG_SCHEMA = ModbusConfig

__all__ = ["CONFIG_SCHEMA", "DOMAIN", "async_setup"]


async def async_setup(hub: Hub, config: ModbusConfig) -> bool:
    devices = []
    for conf in config.devices:
        device = ModbusDevice(conf)
        kinds: list[tuple[type[ModbusEntity], list[Any]]] = [
            (ModbusSensor, conf.sensors), (ModbusBinarySensor, conf.binary_sensors),
            (ModbusSwitch, conf.switches), (ModbusNumber, conf.numbers), (ModbusCover, conf.covers),
            (ModbusText, conf.texts),
        ]  # fmt: skip
        for kind, items in kinds:
            for item in items:
                kind(device, item)
        await hub.entities.async_add(DOMAIN, device.entities)
        hub.async_create_background_task(device.async_run(), name=f"modbus {conf.name}")
        hub.async_on_stop(device.async_stop)
        devices.append(device)
    hub.data[DOMAIN] = devices
    for platform in ("switch", "number", "cover", "text"):
        if any(e.domain == platform for d in devices for e in d.entities):
            async_register_entity_services(hub, platform)
    return True
