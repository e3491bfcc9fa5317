"""Compliance reports (合规报表, issue 16): statistics of any period per plant, gate or lane, the
emergency-response report, the clean-transport ratio, carrier scorecards, the HJ 1321 appendix tables,
exports (.xlsx streamed, CSV), the performance-grade evidence pack and scheduled reports.

The component reads the ledger's and the register's tables (read-only SQL on the hub's database; the
ledger owns and writes them) and owns two tables of its own (`models.py`). See docs/reports.md.
"""

from __future__ import annotations

from hub.core import Event, Hub
from hub.core.const import EVENT_HUB_STARTED

from .config import ReportsConfig
from .const import DOMAIN
from .reporter import Reports
from .schedule import Scheduler
from .services import register

CONFIG_SCHEMA = ReportsConfig

__all__ = ["CONFIG_SCHEMA", "DOMAIN", "Reports", "async_setup"]


async def async_setup(hub: Hub, config: ReportsConfig) -> bool:
    rt = Reports(hub, config)
    scheduler = Scheduler(rt)
    hub.data[DOMAIN] = rt
    register(hub, rt, scheduler)
    hub.async_on_stop(rt.days.async_start())

    def warm(_: Event) -> None:  # a running hub keeps this month and the last from the start
        rt.days.async_warm()

    hub.async_on_stop(hub.bus.async_listen_once(EVENT_HUB_STARTED, warm))
    if config.schedule_enabled:
        # Only a hub that runs writes scheduled reports; a command that sets this component up for its
        # services never starts (no hub_started), so it never writes one.
        def run_due() -> None:  # the clock was moved by hand (a test, a replay)
            hub.async_create_task(scheduler.async_run_due(), name="reports schedule")

        def start(_: Event) -> None:
            hub.async_on_stop(hub.clock.add_listener(run_due))
            hub.async_create_background_task(scheduler.async_loop(), name="reports schedule")

        hub.async_on_stop(hub.bus.async_listen_once(EVENT_HUB_STARTED, start))
    return True
