"""The passage ledger (电子台账): tamper-evident records of every passage, their photos, the audit log.

Every passage the policy decides is committed here, with its evidence hashes, before the barrier
moves (`ledger.record_passage` returns only after the commit). Releases, corrections, weights, cargo,
platform acceptance and lifecycle steps are follow-up rows pointing at their passage. Both the ledger
and the audit log are append-only SHA-256 hash chains; `ecogate ledger verify` proves them.
"""

from __future__ import annotations

import logging

from hub.core import Event, Hub
from hub.core.const import EVENT_PASSAGE_RECORDED, EVENT_SERVICE_CALLED, EVENT_USER_LOGIN
from hub.core.events import ServiceCalledData, UserLoginData

from .audit import target_of
from .config import LedgerConfig
from .const import DOMAIN
from .health import async_setup_health
from .recorder import Ledger
from .reports import register_reports
from .retention import async_retention_loop
from .sensor import PlantCounters
from .services import register

_LOGGER = logging.getLogger(__name__)
CONFIG_SCHEMA = LedgerConfig

__all__ = ["CONFIG_SCHEMA", "DOMAIN", "Ledger", "async_setup"]


async def async_setup(hub: Hub, config: LedgerConfig) -> bool:
    ledger = Ledger(hub, config)
    await ledger.async_start()
    hub.data[DOMAIN] = ledger
    register(hub, ledger)
    register_reports(hub, ledger)
    counters = PlantCounters(ledger)
    await hub.entities.async_add(DOMAIN, counters.counters.values())
    await counters.async_refresh()
    await async_setup_health(hub, config)
    routine = frozenset(config.audit_routine_services)

    def on_service_called(event: Event[ServiceCalledData]) -> None:
        d = event.data
        action = f"{d.get('domain')}.{d.get('service')}"
        outcome = str(d.get("outcome") or "ok")
        if d.get("user_id") is None and d.get("door") == "internal" and outcome == "ok" and action in routine:
            return
        ledger.audit_nowait(
            action=action, door=str(d.get("door") or "internal"), outcome=outcome, user_id=d.get("user_id"),
            target=target_of(d.get("data")),
            detail={"data": d.get("data"), "error": d.get("error"), "context_id": event.context.id},
        )  # fmt: skip

    def on_login(event: Event[UserLoginData]) -> None:
        d = event.data
        ledger.audit_nowait(
            action="login", door=str(d.get("door") or "ui"), outcome=str(d.get("outcome") or "ok"),
            user_id=d.get("user_id") or event.context.user_id, target=d.get("username"), detail=dict(d),
        )  # fmt: skip

    unsubs = [
        hub.bus.async_listen(EVENT_SERVICE_CALLED, on_service_called),
        hub.bus.async_listen(EVENT_USER_LOGIN, on_login),
        hub.bus.async_listen(EVENT_PASSAGE_RECORDED, counters.on_recorded),
    ]

    async def async_stop() -> None:
        for unsub in unsubs:
            unsub()
        await ledger.async_stop()

    hub.async_on_stop(async_stop)
    hub.async_create_background_task(async_retention_loop(ledger), name="ledger retention")
    return True
