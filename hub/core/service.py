"""The service registry: the one write path of the hub, with validation, permission and audit."""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ValidationError

from .auth import Role
from .bus import EventBus
from .const import EVENT_SERVICE_CALLED, EVENT_SERVICE_REGISTERED
from .context import Context
from .errors import ServiceNotFound, ServiceValidationError, Unauthorized
from .events import ServiceCalledData, ServiceRegisteredData
from .faults import ThrottledLog

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ServiceCall:
    domain: str
    service: str
    data: Any  # the validated schema instance, or a dict where the service has no schema
    context: Context
    door: str  # where the call came in: internal, ui, api, opcua, mqtt, cli


ServiceHandler = Callable[[ServiceCall], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Service:
    domain: str
    name: str
    handler: ServiceHandler
    schema: type[BaseModel] | None
    roles: frozenset[Role] | None  # None: any signed-in user; admin may always call
    description: str
    internal: bool = False  # only the hub itself calls it: no person, whatever their roles


class ServiceRegistry:
    """`domain.service` -> handler.

    A call from the hub itself has no user in its context and is trusted; a call on behalf of a user is
    allowed only when one of the user's roles is among the service's roles. Every call, refused or not,
    fires `service_called` so the audit log sees it.
    """

    def __init__(
        self,
        bus: EventBus,
        roles_of: Callable[[str], frozenset[Role] | None],
        create_task: Callable[[Coroutine[Any, Any, Any]], asyncio.Task[Any]] | None = None,
    ) -> None:
        self._bus = bus
        self._roles_of = roles_of
        self._create_task = create_task or (lambda coro: asyncio.get_running_loop().create_task(coro))
        self._failures = ThrottledLog(_LOGGER)
        self._services: dict[str, dict[str, Service]] = {}

    def async_register(
        self,
        domain: str,
        service: str,
        handler: ServiceHandler,
        schema: type[BaseModel] | None = None,
        *,
        roles: frozenset[Role] | set[Role] | None = None,
        description: str = "",
        internal: bool = False,
    ) -> None:
        entry = Service(
            domain, service, handler, schema, frozenset(roles) if roles else None, description, internal
        )
        self._services.setdefault(domain, {})[service] = entry
        self._bus.async_fire(EVENT_SERVICE_REGISTERED, ServiceRegisteredData(domain=domain, service=service))

    def async_remove(self, domain: str, service: str) -> None:
        self._services.get(domain, {}).pop(service, None)

    def has_service(self, domain: str, service: str) -> bool:
        return service in self._services.get(domain, {})

    def get(self, domain: str, service: str) -> Service:
        try:
            return self._services[domain][service]
        except KeyError:
            raise ServiceNotFound(domain, service) from None

    def services(self) -> list[Service]:
        """The services a person may be offered (internal ones are the hub's own business)."""
        return [s for by_name in self._services.values() for s in by_name.values() if not s.internal]

    def authorize(self, service: Service, context: Context) -> None:
        if context.user_id is None:
            return
        if service.internal:
            raise Unauthorized(f"{service.domain}.{service.name} is the hub's own, not a person's to call")
        roles = self._roles_of(context.user_id)
        if roles is None:
            raise Unauthorized(f"unknown or disabled user {context.user_id!r}")
        if Role.ADMIN in roles or service.roles is None or roles & service.roles:
            return
        allowed = ", ".join(sorted(r.value for r in service.roles))
        raise Unauthorized(
            f"{service.domain}.{service.name} needs one of the roles {allowed}; "
            f"the user has {', '.join(sorted(r.value for r in roles))}"
        )

    async def async_call(
        self,
        domain: str,
        service: str,
        data: Mapping[str, Any] | BaseModel | None = None,
        context: Context | None = None,
        *,
        blocking: bool = True,
        door: str = "internal",
    ) -> Any:
        """Validate, authorise and run a service; with blocking=False return once it is scheduled."""
        context = context or Context()
        entry = self.get(domain, service)
        try:
            self.authorize(entry, context)
            call = ServiceCall(domain, service, self._validate(entry, data), context, door)
        except (Unauthorized, ServiceValidationError) as err:
            self._audit(entry, data, context, door, "refused", str(err))
            raise
        if not blocking:
            self._create_task(self._run(entry, call, data))
            return None
        return await self._run(entry, call, data)

    async def _run(self, entry: Service, call: ServiceCall, raw: Any) -> Any:
        try:
            result = await entry.handler(call)
        except Exception as err:
            self._audit(entry, raw, call.context, call.door, "error", str(err))
            if not isinstance(err, asyncio.CancelledError):  # the same failure again: a line a while
                self._failures.log(
                    f"{entry.domain}.{entry.name}:{type(err).__name__}", logging.WARNING,
                    "Service %s.%s failed: %s", entry.domain, entry.name, err,
                )  # fmt: skip
            raise
        self._audit(entry, raw, call.context, call.door, "ok", None)
        return result

    @staticmethod
    def _validate(entry: Service, data: Mapping[str, Any] | BaseModel | None) -> Any:
        if entry.schema is None:
            return dict(data or {}) if not isinstance(data, BaseModel) else data
        if isinstance(data, entry.schema):
            return data
        raw = data.model_dump() if isinstance(data, BaseModel) else (data or {})
        try:
            return entry.schema.model_validate(raw)
        except ValidationError as err:
            errors = [(".".join(str(p) for p in e["loc"]), e["msg"]) for e in err.errors()]
            raise ServiceValidationError(entry.domain, entry.name, errors) from None

    def _audit(
        self, entry: Service, data: Any, context: Context, door: str, outcome: str, error: str | None
    ) -> None:
        self._bus.async_fire(
            EVENT_SERVICE_CALLED,
            ServiceCalledData(
                domain=entry.domain,
                service=entry.name,
                data=audit_summary(data.model_dump() if isinstance(data, BaseModel) else data),
                door=door,
                user_id=context.user_id,
                outcome=outcome,
                error=error,
            ),
            context,
        )


AUDIT_TEXT_LIMIT = 500
# Field names whose values never leave a service call: not on the bus, not in the audit log.
SECRET_KEYS = ("password", "token", "secret", "passwd")


def audit_summary(value: Any, depth: int = 0) -> Any:
    """What the audit log keeps of a call's data: JSON-safe, images as their size, long text cut,
    secrets masked. Runs for every service call, a passage's among them: the common cases first."""
    if depth > 6:
        return "…"
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return value if len(value) <= AUDIT_TEXT_LIMIT else value[:AUDIT_TEXT_LIMIT] + "…"
    if isinstance(value, Mapping):
        summary: dict[str, Any] = {}
        for key, item in itertools.islice(value.items(), 100):
            key = str(key)
            summary[key] = "***" if _is_secret(key) else audit_summary(item, depth + 1)
        return summary
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<{len(value)} bytes>"
    if isinstance(value, list | tuple | set | frozenset):
        return [audit_summary(v, depth + 1) for v in itertools.islice(value, 100)]
    if isinstance(value, datetime):
        return value.isoformat()
    return audit_summary(str(value), depth + 1)


@functools.lru_cache(maxsize=4096)
def _is_secret(key: str) -> bool:
    lowered = key.lower()
    return any(s in lowered for s in SECRET_KEYS)
