"""Services of writable entities, Home Assistant's names: `switch.turn_on`, `number.set_value`,
`text.set_value`, `button.press`, `cover.open_cover` ... Any integration whose entities accept
commands (a Modbus coil, an OPC UA tag, an MQTT command topic) registers them with
`async_register_entity_services(hub, domain)`; the call finds the entity and runs its method, so the
policy, automations and people write a plant tag without knowing which integration is behind it.
Every call goes through the service registry: validated, role-checked and audited like any other.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .auth import Role
from .entity import Entity
from .errors import ServiceValidationError
from .service import ServiceCall

if TYPE_CHECKING:
    from .hub import Hub

# A barrier may be moved by a guard (as barrier.open); plant tags are the engineer's.
COVER_ROLES = frozenset({Role.GUARD, Role.ENGINEER})
TAG_ROLES = frozenset({Role.ENGINEER})


class EntityTarget(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entity_id: list[str] = Field(min_length=1, max_length=100)

    @field_validator("entity_id", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class NumberValue(EntityTarget):
    value: float = Field(allow_inf_nan=False)


class TextValue(EntityTarget):
    value: str = Field(max_length=255)


# domain -> service -> (schema, method name, roles, description)
_SERVICES: dict[str, dict[str, tuple[type[EntityTarget], str, frozenset[Role], str]]] = {
    "switch": {
        "turn_on": (EntityTarget, "async_turn_on", TAG_ROLES, "接通 Switch on"),
        "turn_off": (EntityTarget, "async_turn_off", TAG_ROLES, "断开 Switch off"),
    },
    "number": {"set_value": (NumberValue, "async_set_value", TAG_ROLES, "设定数值 Set a value")},
    "text": {"set_value": (TextValue, "async_set_value", TAG_ROLES, "写入文字 Write a text")},
    "button": {"press": (EntityTarget, "async_press", TAG_ROLES, "按下 Press")},
    "cover": {
        "open_cover": (EntityTarget, "async_open_cover", COVER_ROLES, "打开 Open"),
        "close_cover": (EntityTarget, "async_close_cover", COVER_ROLES, "关闭 Close"),
        "stop_cover": (EntityTarget, "async_stop_cover", COVER_ROLES, "停止 Stop"),
    },
}


def async_register_entity_services(hub: Hub, domain: str) -> None:
    """Register the domain's services once; later calls (a second integration) change nothing."""
    for service, (schema, method, roles, description) in _SERVICES[domain].items():
        if hub.services.has_service(domain, service):
            continue
        hub.services.async_register(
            domain, service, _handler(hub, domain, service, method), schema, roles=roles,
            description=description,
        )  # fmt: skip


def _handler(hub: Hub, domain: str, service: str, method: str) -> Callable[[ServiceCall], Awaitable[None]]:
    async def handle(call: ServiceCall) -> None:
        data: EntityTarget = call.data
        targets: list[Entity] = []
        for entity_id in data.entity_id:
            entity = hub.entities.get_entity(entity_id)
            if entity is None or entity.domain != domain or not hasattr(entity, method):
                raise ServiceValidationError(
                    domain, service, [("entity_id", f"{entity_id} is no {domain} that takes {service}")]
                )
            targets.append(entity)
        for entity in targets:
            run = getattr(entity, method)
            # An entity that moves a device of its own by a command (our barrier) takes the caller's
            # context, so the device's state change is tied to the call that caused it.
            extra = {"context": call.context} if "context" in inspect.signature(run).parameters else {}
            if isinstance(data, NumberValue | TextValue):
                await run(data.value, **extra)
            else:
                await run(**extra)

    return handle
