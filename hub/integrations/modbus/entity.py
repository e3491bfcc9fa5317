"""The base of every Modbus entity: its value from the last poll, available while that worked."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from hub.core import Entity, EntityDescription, HubError
from hub.util.modbus import ModbusConnection, RegisterTable
from hub.util.registers import WIDTH, decode_number, encode_number

if TYPE_CHECKING:
    from .config import NumberConfig, SensorConfig
    from .device import ModbusDevice


class ModbusEntity(Entity):
    def __init__(self, device: ModbusDevice, conf: Any) -> None:
        self.device = device
        self.conf = conf
        self.key: str = conf.key
        self.unit: int | None = conf.unit_id
        self.entity_description = EntityDescription(
            key=conf.key, name=conf.name or conf.key, device_class=conf.device_class,
            unit_of_measurement=getattr(conf, "unit_of_measurement", None),
        )  # fmt: skip
        self._attr_device_info = device.info
        self.value: Any = None
        self.refused = False
        device.entities.append(self)

    @property
    def suggested_object_id(self) -> str:
        return self.key

    @property
    def available(self) -> bool:
        return self.device.online and not self.refused and self.value is not None

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        return {"device": self.device.conf.name, "unit_id": self.unit or self.device.conf.unit_id}

    async def async_poll(self, connection: ModbusConnection) -> None:
        """Read the entity's registers; publish the state if it changed."""
        value = await self.async_read(connection)
        changed = value != self.value or self.refused
        self.value, self.refused = value, False
        if changed and self.entity_id is not None:
            self.async_write_state()

    async def async_read(self, connection: ModbusConnection) -> Any:
        raise NotImplementedError

    def async_refused(self) -> None:
        if not self.refused:
            self.refused = True
            if self.entity_id is not None:
                self.async_write_state()

    async def async_write(self, what: str, write: Callable[[ModbusConnection], Awaitable[None]]) -> None:
        await self.device.async_write(self, what, write)

    def confirm(self, what: str, wanted: Any) -> None:
        """After the read-back: the device holds what was written, else the caller hears it did not."""
        if self.value != wanted:
            raise HubError(f"{self.entity_id}: wrote {what}, reads back {self.value!r}: not confirmed")


async def read_number(
    connection: ModbusConnection, conf: SensorConfig | NumberConfig, unit: int | None
) -> float:
    table: RegisterTable = getattr(conf, "table", "holding_registers")
    words = await connection.async_read_registers(table, conf.address, WIDTH[conf.data_type], unit)
    return decode_number(words, conf.data_type, conf.word_order) * conf.scale + conf.offset


def number_words(conf: SensorConfig | NumberConfig, value: float) -> list[int]:
    try:
        return encode_number((value - conf.offset) / conf.scale, conf.data_type, conf.word_order)
    except ValueError as err:
        raise HubError(f"{conf.key}: {err}") from None


def number_text(conf: SensorConfig | NumberConfig, value: float | None) -> str | None:
    if value is None:
        return None
    if conf.precision is not None:
        return f"{value:.{conf.precision}f}"
    return str(int(value)) if float(value).is_integer() else repr(round(value, 9))
