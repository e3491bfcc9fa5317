"""Scheduled reports: yesterday's at a set time each day, the week before on Mondays, the month before on
the 1st; written to the reports folder, listed by `reports.files`, recorded in the audit chain with the
file's SHA-256 and announced as a `report_written` event. A report already written for its period is not
written again, so a restart or a clock step never doubles one."""

from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace
from typing import TYPE_CHECKING

from hub.core import Context

from .config import ScheduleConfig
from .models import ReportFile
from .period import Period, resolve

if TYPE_CHECKING:
    from .reporter import Reports

_LOGGER = logging.getLogger(__name__)
CHECK_SECONDS = 60.0
SCHEDULED_BY = "schedule"


def due_jobs(config: ScheduleConfig, now: datetime) -> list[tuple[str, Period]]:
    """What the schedule asks for at `now` (pure): (kind, period) pairs, whether written yet or not."""
    if config.daily_at is None:
        return []
    hour, minute = (int(x) for x in config.daily_at.split(":"))
    if now.time() < time(hour, minute):
        return []
    yesterday: date = now.date() - timedelta(days=1)
    jobs = [("statistics", resolve("day", yesterday))]
    if config.weekly and now.weekday() == 0:
        jobs.append(("statistics", resolve("week", yesterday)))
    if config.monthly and now.day == 1:
        jobs += [
            ("statistics", resolve("month", yesterday)),
            ("clean_transport", resolve("month", yesterday)),
        ]
    return jobs


class Scheduler:
    def __init__(self, rt: Reports) -> None:
        self.rt = rt
        self.config = rt.config.schedule
        self._lock = asyncio.Lock()

    async def async_run_due(self) -> list[str]:
        """Write every due report not yet written; the names written."""
        written: list[str] = []
        async with self._lock:
            for kind, period in due_jobs(self.config, self.rt.hub.now()):
                done = await ReportFile.exists(
                    kind=kind,
                    period_start=period.first.isoformat(),
                    period_end=period.last.isoformat(),
                    created_by=SCHEDULED_BY,
                )
                if done:
                    continue
                try:
                    written.append(await self._async_write(kind, period))
                except Exception:
                    _LOGGER.exception("Reports: the scheduled %s report of %s failed", kind, period.label())
        return written

    async def _async_write(self, kind: str, period: Period) -> str:
        req = SimpleNamespace(gate=None, lane=None)
        info = await self.rt.async_write(kind, period, self.config.format, Context(), req, by=SCHEDULED_BY)
        hub = self.rt.hub
        if hub.services.has_service("ledger", "record_audit"):
            await hub.services.async_call(
                "ledger",
                "record_audit",
                {
                    "action": "reports.scheduled",
                    "door": "schedule",
                    "target": info["name"],
                    "detail": {
                        "sha256": info["sha256"],
                        "size": info["size"],
                        "kind": kind,
                        "start": info["start"],
                        "end": info["end"],
                    },
                },
            )
        _LOGGER.info("Reports: wrote %s (%s)", info["name"], info["sha256"][:12])
        return str(info["name"])

    async def async_loop(self) -> None:
        while True:
            await self.async_run_due()
            await asyncio.sleep(CHECK_SECONDS)
