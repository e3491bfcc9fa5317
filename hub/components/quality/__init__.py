"""Data-quality rules (数据质量): the pitfalls the Hubei guide lists, each a named rule with a severity,
checked over the ledger, the vehicle register and the uplink's state. Findings are stored for good with
the records involved; a person acknowledges one with a note (audited). Entities: open findings per rule
and in all; a daily run at `daily_at` for yesterday, announced as `quality_summary`.

Services: `quality.run`, `quality.findings`, `quality.acknowledge`. Command line: `ecogate report quality`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from hub.core import Hub

from .config import QualityConfig
from .const import DOMAIN, EVENT_QUALITY_SUMMARY, RULES
from .run import async_run
from .schedule import already_done, async_schedule_loop
from .sensor import QualitySensors
from .services import register
from .store import async_open_counts
from .window import Window

CONFIG_SCHEMA = QualityConfig

__all__ = ["CONFIG_SCHEMA", "DOMAIN", "async_setup"]


async def async_setup(hub: Hub, config: QualityConfig) -> bool:
    sensors = QualitySensors({rule: config.severity(rule) for rule in RULES})
    await hub.entities.async_add(DOMAIN, sensors.entities)

    async def refresh(summary: dict[str, Any] | None = None) -> None:
        sensors.update(await async_open_counts(), summary)

    one_at_a_time = asyncio.Lock()  # a scheduled run and one asked for store the same findings

    async def run(win: Window, rules: list[str] | None = None) -> dict[str, Any]:
        async with one_at_a_time:
            summary = await async_run(hub, config, win, rules)
        await refresh(summary)
        hub.bus.async_fire(EVENT_QUALITY_SUMMARY, summary)  # once the sensors show it
        return summary

    register(hub, config, run, refresh)
    await refresh()
    loop = async_schedule_loop(hub, config, run, already_done(hub.now(), config))
    hub.async_create_background_task(loop, name="quality daily run")
    return True
