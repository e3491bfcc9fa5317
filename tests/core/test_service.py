"""Services: validation with clear errors, unknown services, roles, audit events, context."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, Field

from hub.core import Context, ServiceNotFound, ServiceValidationError, Unauthorized
from hub.core.auth import Role
from hub.core.const import EVENT_SERVICE_CALLED


class OpenBarrier(BaseModel):
    gate: str = Field(pattern=r"^[a-z_]+$")
    lane: str
    seconds: int = Field(10, ge=1, le=120)


async def test_validation_unknown_service_and_result(make_hub) -> None:
    hub = await make_hub()
    calls = []

    async def handler(call):
        calls.append(call)
        return {"opened": f"{call.data.gate}/{call.data.lane}"}

    hub.services.async_register("barrier", "open", handler, OpenBarrier, roles={Role.GUARD})
    ctx = Context()
    result = await hub.services.async_call("barrier", "open", {"gate": "east_gate", "lane": "in"}, ctx)
    assert result == {"opened": "east_gate/in"}
    assert calls[0].context is ctx and calls[0].data.seconds == 10

    with pytest.raises(ServiceValidationError) as err:
        await hub.services.async_call("barrier", "open", {"gate": "East Gate", "seconds": 999})
    message = str(err.value)
    assert "barrier.open" in message and "gate" in message and "lane: Field required" in message
    assert "seconds" in message
    assert len(calls) == 1, "invalid data never reaches the handler"

    with pytest.raises(ServiceNotFound, match=r"unknown service barrier\.explode"):
        await hub.services.async_call("barrier", "explode", {})


async def test_roles_are_enforced_for_users_whatever_the_door(make_hub) -> None:
    hub = await make_hub()
    guard = await hub.auth.async_add_user("guard1", "correct horse", frozenset({Role.GUARD}))
    inspector = await hub.auth.async_add_user("insp1", "correct horse", frozenset({Role.INSPECTOR}))
    admin = await hub.auth.async_add_user("admin1", "correct horse", frozenset({Role.ADMIN}))
    audit = []
    hub.bus.async_listen(EVENT_SERVICE_CALLED, audit.append)

    async def handler(call):
        return call.context.user_id

    hub.services.async_register("policy", "release", handler, roles={Role.GUARD, Role.OFFICER})
    assert await hub.services.async_call("policy", "release", {}, Context(user_id=guard.id), door="opcua")
    assert await hub.services.async_call("policy", "release", {}, Context(user_id=admin.id), door="ui")
    assert await hub.services.async_call("policy", "release", {}, Context()) is None  # the hub itself
    for user_id, door in ((inspector.id, "mqtt"), ("nobody", "cli")):
        with pytest.raises(Unauthorized):
            await hub.services.async_call("policy", "release", {}, Context(user_id=user_id), door=door)
    outcomes = [(e.data["door"], e.data["user_id"], e.data["outcome"]) for e in audit]
    assert outcomes == [
        ("opcua", guard.id, "ok"),
        ("ui", admin.id, "ok"),
        ("internal", None, "ok"),
        ("mqtt", inspector.id, "refused"),
        ("cli", "nobody", "refused"),
    ]


async def test_handler_error_is_raised_and_audited(make_hub) -> None:
    hub = await make_hub()

    async def failing(call):
        raise RuntimeError("PLC did not answer")

    hub.services.async_register("barrier", "close", failing)
    audit = []
    hub.bus.async_listen(EVENT_SERVICE_CALLED, audit.append)
    with pytest.raises(RuntimeError, match="PLC did not answer"):
        await hub.services.async_call("barrier", "close", {"lane": "in"})
    assert audit[-1].data["outcome"] == "error" and "PLC" in audit[-1].data["error"]


class Evidence(BaseModel):
    plate: str
    image: bytes
    note: str = ""


async def test_audit_keeps_a_json_safe_summary_of_binary_and_long_data(make_hub) -> None:
    hub = await make_hub()

    async def store(call):
        return len(call.data.image)

    hub.services.async_register("ledger", "store", store, Evidence)
    audit = []
    hub.bus.async_listen(EVENT_SERVICE_CALLED, audit.append)
    image = b"\xff\xd8\xff" + bytes(range(256)) * 40
    data = {"plate": "冀A12345", "image": image, "note": "x" * 900}
    assert await hub.services.async_call("ledger", "store", data) == len(image)
    summary = audit[-1].data["data"]
    assert summary["image"] == f"<{len(image)} bytes>"
    assert summary["plate"] == "冀A12345" and len(summary["note"]) == 501


class Login(BaseModel):
    username: str
    password: str
    options: dict[str, str] = Field(default_factory=dict)


async def test_secrets_reach_the_handler_but_never_the_bus(make_hub) -> None:
    hub = await make_hub()
    seen = []

    async def sign_in(call):
        seen.append(call.data.password)

    hub.services.async_register("auth", "sign_in", sign_in, Login)
    audit = []
    hub.bus.async_listen(EVENT_SERVICE_CALLED, audit.append)
    data = {"username": "wanggang", "password": "correct horse", "options": {"api_token": "abc123"}}
    await hub.services.async_call("auth", "sign_in", data)
    assert seen == ["correct horse"]
    assert audit[-1].data["data"] == {
        "username": "wanggang",
        "password": "***",
        "options": {"api_token": "***"},
    }
