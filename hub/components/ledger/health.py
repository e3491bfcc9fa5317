"""Alarms of the ledger's own health: the data disk low or full, the ledger unable to record.

`binary_sensor.data_disk_low`, `binary_sensor.data_disk_full` and `binary_sensor.ledger_fault`
(device class `problem`: on means something is wrong, with the reason in `reason`), and
`sensor.data_disk_free` in MiB. They follow the hub's `Problems`, which `/api/health` reports too.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from hub.core import DeviceInfo, Entity, EntityDescription
from hub.core.const import STATE_OFF, STATE_ON
from hub.core.disk import DISK_KEY, MIB, PROBLEM_FULL, PROBLEM_LOW, DiskReading, DiskSpace
from hub.core.faults import problems_of

from .recorder import PROBLEM_LEDGER

if TYPE_CHECKING:
    from hub.core import Hub

    from .config import LedgerConfig

_LOGGER = logging.getLogger(__name__)
DEVICE = DeviceInfo(identifier="ledger:plant", name="电子台账 Ledger")


class ProblemSensor(Entity):
    """On while the hub has the problem; `reason` says what and how bad."""

    domain = "binary_sensor"
    _attr_device_info = DEVICE

    def __init__(self, problem: str, object_id: str, name: str) -> None:
        self.problem = problem
        self.object_id = object_id
        self.entity_description = EntityDescription(
            key=object_id, name=name, device_class="problem", entity_category="diagnostic"
        )

    @property
    def suggested_object_id(self) -> str:
        return self.object_id

    @property
    def state(self) -> str:
        return STATE_ON if self.problem in self._active() else STATE_OFF

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        return {"reason": self._active().get(self.problem)}

    def _active(self) -> dict[str, str]:
        assert self.hub is not None
        return problems_of(self.hub).active


class FreeSpaceSensor(Entity):
    domain = "sensor"
    _attr_device_info = DEVICE
    entity_description = EntityDescription(
        key="disk_free",
        name="Data disk free",
        device_class="data_size",
        unit_of_measurement="MiB",
        entity_category="diagnostic",
    )

    def __init__(self, disk: DiskSpace) -> None:
        self.disk = disk

    @property
    def suggested_object_id(self) -> str:
        return "data_disk_free"

    @property
    def state(self) -> str | None:
        reading = self.disk.reading
        return None if reading is None else f"{reading.free / MIB:.1f}"

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        reading = self.disk.reading
        if reading is None:
            return {}
        return {"total_mib": round(reading.total / MIB, 1), "reserve_mib": round(reading.reserve / MIB, 1)}


async def async_setup_health(hub: Hub, config: LedgerConfig) -> None:
    """Watch the data disk and show the ledger's problems as entities."""
    disk = hub.data[DISK_KEY] = DiskSpace(
        hub,
        hub.data_dir,
        reserve_mib=config.disk_reserve_mib,
        reserve_percent=config.disk_reserve_percent,
        full_mib=config.disk_full_mib,
    )
    await disk.async_check()
    alarms = {
        PROBLEM_LOW: ProblemSensor(PROBLEM_LOW, "data_disk_low", "Data disk low"),
        PROBLEM_FULL: ProblemSensor(PROBLEM_FULL, "data_disk_full", "Data disk full"),
        PROBLEM_LEDGER: ProblemSensor(PROBLEM_LEDGER, "ledger_fault", "Ledger cannot record"),
    }
    free = FreeSpaceSensor(disk)
    await hub.entities.async_add("ledger", [*alarms.values(), free])

    def on_problem(problem: str) -> None:
        sensor = alarms.get(problem)
        if sensor is not None and sensor.entity_id is not None:
            sensor.async_write_state()

    def on_reading(_reading: DiskReading) -> None:
        if free.entity_id is not None:
            free.async_write_state()

    unsubs = [problems_of(hub).listen(on_problem), disk.listen(on_reading)]

    def stop() -> None:
        for unsub in unsubs:
            unsub()

    hub.async_on_stop(stop)
    watch = _async_watch(hub, disk, config.disk_check_seconds)
    hub.async_create_background_task(watch, name="data disk watch")


async def _async_watch(hub: Hub, disk: DiskSpace, every: float) -> None:
    while True:
        await hub.clock.async_sleep(every)
        try:
            await disk.async_check()
        except Exception as err:  # a disk that cannot be asked is no reason to stop asking
            _LOGGER.warning("Cannot read the data disk's free space: %s", err)
