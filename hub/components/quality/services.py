"""`quality.run`, `quality.findings`, `quality.acknowledge`, `quality.rules` (every call audited by the
service registry)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from hub.core import Hub, ServiceCall
from hub.core.auth import Role

from .config import QualityConfig
from .const import DOMAIN, RULES
from .schemas import Acknowledge, Empty, FindingsQuery, Run
from .source import async_records
from .store import async_acknowledge, async_findings, async_open_counts
from .window import Window

READERS = {Role.INSPECTOR, Role.OFFICER}
RUNNERS = {Role.OFFICER, Role.ENGINEER}


def window_of(hub: Hub, d: Run) -> Window:
    today = hub.now().date()
    first = d.date or d.start or today - timedelta(days=1)
    last = d.date or d.end or first
    return Window.of(first, last, hub.clock.tz, int(hub.now().timestamp()))


def register(
    hub: Hub,
    config: QualityConfig,
    run: Callable[[Window, list[str] | None], Awaitable[dict[str, Any]]],
    refresh: Callable[[], Awaitable[None]],
) -> None:
    async def run_(call: ServiceCall) -> dict[str, Any]:
        d: Run = call.data
        return await run(window_of(hub, d), [str(r) for r in d.rules] if d.rules else None)

    async def findings(call: ServiceCall) -> dict[str, Any]:
        d: FindingsQuery = call.data
        result = await async_findings(**d.model_dump(exclude={"with_records"}))
        if d.with_records and hub.db is not None:
            seqs = sorted({s for item in result["items"] for s in item["seqs"]})
            records = await async_records(hub.db.connection, hub.db.dialect, seqs)
            for item in result["items"]:
                item["records"] = [records[s] for s in item["seqs"] if s in records]
        return result

    async def acknowledge(call: ServiceCall) -> dict[str, Any]:
        d: Acknowledge = call.data
        user = hub.auth.get(call.context.user_id) if call.context.user_id else None
        who = user.username if user else call.context.user_id
        result = await async_acknowledge(d.id, d.note.strip(), who, hub.now())
        await refresh()
        return result

    async def rules(call: ServiceCall) -> list[dict[str, Any]]:
        counts = await async_open_counts()
        return [
            {"rule": rule, "name": name, "name_zh": name_zh, "severity": config.severity(rule),
             "enabled": config.enabled(rule), "open": counts.get(rule, 0)}
            for rule, (_severity, name_zh, name) in RULES.items()
        ]  # fmt: skip

    reg = hub.services.async_register
    reg(DOMAIN, "rules", rules, Empty, roles=READERS | {Role.ENGINEER}, description="数据质量规则 the rules")
    reg(DOMAIN, "run", run_, Run, roles=RUNNERS, description="数据质量检查 run the data-quality rules")
    reg(DOMAIN, "findings", findings, FindingsQuery, roles=READERS, description="数据质量问题 list findings")
    reg(
        DOMAIN, "acknowledge", acknowledge, Acknowledge, roles={Role.OFFICER},
        description="确认问题 acknowledge a finding with a note",
    )  # fmt: skip
