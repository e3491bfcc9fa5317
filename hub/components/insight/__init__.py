"""Insight (遥感关联与异常, issue 19): remote-sensing readings joined to the passages of the same vehicle,
limits by fuel and stage (an exceedance is an `emission` follow-up row on the passage, an event, a flag
on the vehicle and its carrier, and optionally the blacklist), and anomaly rules over passages, lanes and
microstations, each an event and a problem binary sensor. See docs/insight.md."""

from __future__ import annotations

from hub.core import Hub

from .config import InsightConfig
from .const import DOMAIN
from .manager import Insight
from .services import register

CONFIG_SCHEMA = InsightConfig

__all__ = ["CONFIG_SCHEMA", "DOMAIN", "async_setup"]


async def async_setup(hub: Hub, config: InsightConfig) -> bool:
    insight = Insight(hub, config)
    await hub.entities.async_add(DOMAIN, insight.entities)
    await insight.async_start()
    register(hub, insight.async_flush_hours)
    hub.data[DOMAIN] = insight
    hub.async_create_background_task(insight.async_tick_loop(), name="insight minute tick")
    hub.async_on_stop(insight.async_stop)
    return True
