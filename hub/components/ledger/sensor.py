"""Today's counters of the plant (`sensor.plant_entries_today` ...), from the ledger as it commits.

They start from the ledger's own count of the day (so a restart does not zero them) and follow
`passage_recorded`; at the plant's midnight they start again from the new day's count.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import TYPE_CHECKING

from hub.core import Context, DeviceInfo, Entity, EntityDescription, Event
from hub.core.events import PassageRecordedData

from .stats import async_daily_stats

if TYPE_CHECKING:
    from .recorder import Ledger

COUNTERS = (
    EntityDescription(key="plant_entries_today", name="Entries today", translation_key="entries_today"),
    EntityDescription(key="plant_exits_today", name="Exits today", translation_key="exits_today"),
    EntityDescription(key="plant_denied_today", name="Denied today", translation_key="denied_today"),
    EntityDescription(key="plant_released_today", name="Released today", translation_key="released_today"),
)
_STATS_KEY = {
    "plant_entries_today": "entries",
    "plant_exits_today": "exits",
    "plant_denied_today": "denied",
    "plant_released_today": "released",
}
DEVICE = DeviceInfo(identifier="ledger:plant", name="电子台账 Ledger")


class DailyCounter(Entity):
    domain = "sensor"
    _attr_device_info = DEVICE

    def __init__(self, description: EntityDescription) -> None:
        self.entity_description = description
        self.value = 0

    @property
    def state(self) -> str:
        return str(self.value)


class PlantCounters:
    """Keeps the four counters of the current local day."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.counters = {d.key: DailyCounter(d) for d in COUNTERS}
        self.day: date | None = None
        self._released: set[str] = set()
        self._dirty: set[str] = set()
        self._context: Context | None = None

    async def async_refresh(self) -> None:
        hub = self.ledger.hub
        self.day = hub.now().date()
        stats = await async_daily_stats(self.ledger.conn, self.ledger.dialect, self.day, hub.clock.tz)
        for key, counter in self.counters.items():
            counter.value = int(stats[_STATS_KEY[key]])
        self._released.clear()
        for counter in self.counters.values():
            counter.async_write_state()

    def on_recorded(self, event: Event[PassageRecordedData]) -> None:
        record = event.data
        hub = self.ledger.hub
        today = hub.now().date()  # once per row: a bulk append brings thousands
        if today != self.day:
            self.day = today  # one recount, however many rows arrive before it runs
            hub.async_create_task(self.async_refresh())  # the count of the new day includes this
            return
        changed: list[str] = []
        if record["kind"] == "passage":
            changed.append("plant_entries_today" if record["direction"] == "in" else "plant_exits_today")
            if record["decision"] == "deny":
                changed.append("plant_denied_today")
        elif record["kind"] == "release" and (released := record["passage_id"]) not in self._released:
            self._released.add(released or "")
            changed.append("plant_released_today")
        for key in changed:
            self.counters[key].value += 1
        if changed:
            # A burst of rows (a backlog, an import) writes each counter's state once, not once a row.
            if not self._dirty:
                asyncio.get_running_loop().call_soon(self._write)
            self._dirty.update(changed)
            self._context = event.context

    def _write(self) -> None:
        for key in sorted(self._dirty):
            self.counters[key].async_write_state(self._context)
        self._dirty.clear()
