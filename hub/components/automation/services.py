"""automation.turn_on / turn_off / toggle / trigger / reload / trace: the doors to the automations."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from hub.core import Hub, ServiceCall
from hub.core.auth import Role

from .const import DOMAIN
from .describe import described
from .manager import AutomationManager
from .trace import jsonable

WRITERS = {Role.ENGINEER, Role.OFFICER}
READERS = {Role.ENGINEER, Role.OFFICER, Role.INSPECTOR}
Targets = Annotated[list[Annotated[str, Field(min_length=1, max_length=128)]], BeforeValidator(
    lambda v: [v] if isinstance(v, str) else v), Field(min_length=1, max_length=1000)]  # fmt: skip


class Target(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entity_id: Targets  # automation.<id> or the id alone; "all" for every automation


class TurnOff(Target):
    stop_actions: bool = True  # stop the runs that are going, as Home Assistant does


class Trigger(Target):
    skip_condition: bool = True
    variables: dict[str, Any] = Field(default_factory=dict, max_length=100)


class TraceQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entity_id: str = Field(min_length=1, max_length=128)
    run_id: int | None = Field(None, ge=1)


class NoData(BaseModel):
    model_config = ConfigDict(extra="forbid")


def register(hub: Hub, manager: AutomationManager) -> None:
    def targets(data: Target) -> list[Any]:
        if "all" in data.entity_id:
            return list(manager.automations.values())
        return [manager.find(t) for t in data.entity_id]

    async def turn_on(call: ServiceCall) -> None:
        for automation in targets(call.data):
            await manager.async_set_enabled(automation, True)

    async def turn_off(call: ServiceCall) -> None:
        for automation in targets(call.data):
            await manager.async_set_enabled(automation, False, call.data.stop_actions)

    async def toggle(call: ServiceCall) -> None:
        for automation in targets(call.data):
            await manager.async_set_enabled(automation, not automation.enabled)

    async def trigger(call: ServiceCall) -> dict[str, Any]:
        runs = []
        for automation in targets(call.data):
            trace = automation.trigger(
                {"platform": None, **described("manual"), "id": "manual"}, call.context,
                skip_condition=call.data.skip_condition, extra=call.data.variables,
            )  # fmt: skip
            runs.append({"entity_id": automation.entity_id, "run_id": trace.run_id if trace else None})
        return {"runs": runs}

    async def reload(call: ServiceCall) -> dict[str, Any]:
        return await manager.async_reload()

    async def trace(call: ServiceCall) -> dict[str, Any]:
        data: TraceQuery = call.data
        automation_id = (
            manager.find(data.entity_id).id if data.entity_id not in manager.entities else data.entity_id
        )
        runs = [t.as_dict() for t in manager.traces.get(automation_id)]
        if data.run_id is not None:
            runs = [r for r in runs if r["run_id"] == data.run_id]
        return {"automation_id": automation_id, "traces": list(reversed(runs))}

    async def list_all(call: ServiceCall) -> dict[str, Any]:
        items = []
        for automation_id, entity in sorted(manager.entities.items()):
            state = hub.states.get(entity.entity_id or "")
            items.append({"id": automation_id, "entity_id": entity.entity_id, "alias": entity.name,
                          "state": state.state if state else None,
                          "attributes": jsonable(dict(state.attributes)) if state else {}})  # fmt: skip
        return {"automations": items, "errors": list(manager.errors)}

    reg = hub.services.async_register
    reg(DOMAIN, "turn_on", turn_on, Target, roles=WRITERS, description="启用自动化 enable automations")
    reg(DOMAIN, "turn_off", turn_off, TurnOff, roles=WRITERS, description="停用自动化 disable automations")
    reg(DOMAIN, "toggle", toggle, Target, roles=WRITERS, description="切换自动化 enable or disable")
    reg(DOMAIN, "trigger", trigger, Trigger, roles={Role.ENGINEER},
        description="手动触发自动化 run an automation's actions now")  # fmt: skip
    reg(DOMAIN, "reload", reload, NoData, roles={Role.ENGINEER},
        description="重新加载自动化 read automations.yaml again, without a restart")  # fmt: skip
    reg(DOMAIN, "trace", trace, TraceQuery, roles=READERS,
        description="自动化运行记录 the last runs of an automation, step by step")  # fmt: skip
    reg(DOMAIN, "list", list_all, NoData, roles=READERS,
        description="自动化列表 every automation, its state and the configuration errors")  # fmt: skip
