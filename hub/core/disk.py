"""Free space on the data directory's disk, and the reserve kept for the ledger's own rows.

Below the reserve the disk is *low*: an alarm, and everything that is not the ledger's own rows
(exports, backups, reports written to disk) is refused with `DiskLow`, so the rows that
let a barrier open keep their room. Below the floor it is *full*: rows will fail next. The check runs
on a worker thread every few seconds; `require_room` asks afresh, it never trusts an old reading.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import HubError
from .faults import problems_of

if TYPE_CHECKING:
    from .hub import Hub

_LOGGER = logging.getLogger(__name__)
DISK_KEY = "core.disk"
MIB = 1024 * 1024
PROBLEM_LOW = "disk_low"
PROBLEM_FULL = "disk_full"


class DiskLow(HubError):
    """Refused: the data disk is below the reserve kept for the ledger."""


@dataclass(frozen=True, slots=True)
class DiskReading:
    free: int  # bytes available to the hub
    total: int
    reserve: int  # bytes below which the disk is low
    floor: int  # bytes below which it is full

    @property
    def low(self) -> bool:
        return self.free < self.reserve

    @property
    def full(self) -> bool:
        return self.free < self.floor

    def describe(self) -> str:
        free, total, reserve = self.free / MIB, self.total / MIB, self.reserve / MIB
        return f"{free:.1f} MiB free of {total:.0f} MiB (reserve {reserve:.0f} MiB)"


class DiskSpace:
    """The data disk of one hub; `hub.data[DISK_KEY]` once the ledger has set it up."""

    def __init__(
        self,
        hub: Hub,
        path: Path,
        *,
        reserve_mib: float,
        reserve_percent: float | None = None,
        full_mib: float,
    ) -> None:
        self.hub = hub
        self.path = path
        self.reserve_mib = reserve_mib
        self.reserve_percent = reserve_percent
        self.full_mib = full_mib
        self.reading: DiskReading | None = None
        self._listeners: list[Callable[[DiskReading], None]] = []

    def read(self) -> DiskReading:
        """Blocking: statvfs of the data directory."""
        usage = shutil.disk_usage(os.fspath(self.path))
        reserve = self.reserve_mib * MIB
        if self.reserve_percent is not None:
            reserve = max(reserve, usage.total * self.reserve_percent / 100)
        floor = min(self.full_mib * MIB, reserve)
        return DiskReading(free=usage.free, total=usage.total, reserve=int(reserve), floor=int(floor))

    async def async_check(self) -> DiskReading:
        reading = await self.hub.async_add_executor_job(self.read)
        self._note(reading)
        return reading

    def listen(self, callback: Callable[[DiskReading], None]) -> Callable[[], None]:
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback)

    def _note(self, reading: DiskReading) -> None:
        before, self.reading = self.reading, reading
        problems = problems_of(self.hub)
        for problem, on, what in (
            (PROBLEM_FULL, reading.full, "data disk full 数据盘已满"),
            (PROBLEM_LOW, reading.low, "data disk low 数据盘空间不足"),
        ):
            if on:
                problems.raise_(problem, f"{what}: {reading.describe()}")
            else:
                problems.clear(problem)
        if before is None or (before.low, before.full) != (reading.low, reading.full):
            level = logging.WARNING if reading.low else logging.INFO
            _LOGGER.log(level, "Data disk %s: %s", "low" if reading.low else "ok", reading.describe())
        for callback in list(self._listeners):
            callback(reading)

    async def async_require_room(self, what: str, target: Path | None = None) -> None:
        """Refuse `what` (an export, a backup) while the disk is below the reserve;
        one that writes to `target` on another disk (a backup drive) takes none of the ledger's room."""
        if target is not None and not await self.hub.async_add_executor_job(self._same_disk, target):
            return
        reading = await self.async_check()
        if reading.low:
            raise DiskLow(
                f"{what} refused: the data disk is below the ledger's reserve ({reading.describe()}); "
                f"free space first 数据盘空间不足，已拒绝"
            )

    def _same_disk(self, target: Path) -> bool:
        existing = next((p for p in (target, *target.parents) if p.exists()), target.anchor)
        return os.stat(existing).st_dev == os.stat(self.path).st_dev


def disk_of(hub: Hub) -> DiskSpace | None:
    found = hub.data.get(DISK_KEY)
    return found if isinstance(found, DiskSpace) else None


async def async_require_room(hub: Hub, what: str, target: Path | None = None) -> None:
    """`DiskLow` if the hub watches its disk and it is below the reserve (and `target`, if named, is
    on it); else nothing."""
    disk = disk_of(hub)
    if disk is not None:
        await disk.async_require_room(what, target)
