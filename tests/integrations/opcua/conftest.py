"""OPC UA fixtures: the hub with barrier simulator, ledger and our server on a free port; real asyncua
clients that sign in as hub users over Basic256Sha256."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from asyncua import Client, Node, ua

from hub.core.auth import Role
from hub.core.const import EVENT_STATE_CHANGED
from hub.integrations.opcua.certs import ensure_certificate

NAMESPACE = "urn:ecogate:hub"
CLIENT_URI = "urn:ecogate:test:client"
PASSWORD = "secret-pass-1"
USERS = {"guard1": Role.GUARD, "officer1": Role.OFFICER, "inspector1": Role.INSPECTOR}

HUB_YAML = """\
hub: {{}}
barrier:
  lanes:
    - gate: east_gate
      lane: in
      port: 0
      scan_seconds: 0.05
      timeout: 0.3
      registers: {{pulse_seconds: 0.05}}
      simulator: {{travel_seconds: 0.2}}
ledger: {{}}
opcua:
  port: 0
  lanes: [{{gate: west_gate, lane: main}}]
{extra}"""


@pytest.fixture(scope="session")
def client_cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The test client's own application certificate (Basic256Sha256 needs one on both ends)."""
    cert, key, _ = ensure_certificate(
        tmp_path_factory.mktemp("client_pki"), "client.der", "client.pem", app_uri=CLIENT_URI,
        common_name="EcoGate test client", hostnames=["localhost"], server=False, days=30,
    )  # fmt: skip
    return cert, key


async def add_users(hub: Any) -> None:
    for name, role in USERS.items():
        await hub.auth.async_add_user(name, PASSWORD, frozenset({role}))
    # Users added while the server runs are picked up within seconds; tests do not wait for that.
    await hub.data["opcua"].server.users.async_refresh()


@pytest.fixture
async def opcua_hub(make_hub: Callable[..., Any]) -> Callable[..., Any]:
    async def factory(extra: str = "", **kwargs: Any) -> Any:
        hub = await make_hub(HUB_YAML.format(extra=extra), **kwargs)
        assert "opcua" in hub.loaded, hub.setup_errors
        await add_users(hub)
        await wait_state(hub, "cover.east_gate_in_barrier", "closed")
        return hub

    return factory


@pytest.fixture
def connect(client_cert: tuple[Path, Path]) -> Callable[..., Any]:
    """`async with connect(hub, "guard1") as client:` a signed-in asyncua client."""

    @asynccontextmanager
    async def open_client(
        hub: Any, username: str | None = "guard1", password: str = PASSWORD, mode: str = "SignAndEncrypt"
    ) -> AsyncIterator[Client]:
        client = Client(hub.data["opcua"].endpoint, timeout=5)
        client.application_uri = CLIENT_URI
        if mode != "None":
            cert, key = client_cert
            await client.set_security_string(f"Basic256Sha256,{mode},{cert},{key}")
        if username is not None:
            client.set_user(username)
            client.set_password(password)
        await client.connect()
        try:
            yield client
        finally:
            await client.disconnect()

    return open_client


async def node(client: Client, text: str) -> Node:
    """A node of ours by its string id, e.g. `east_gate.in.barrier.position`."""
    idx = await client.get_namespace_index(NAMESPACE)
    return client.get_node(ua.NodeId(text, idx))


async def wait_state(hub: Any, entity_id: str, wanted: str, timeout: float = 5.0) -> None:
    if (state := hub.states.get(entity_id)) is not None and state.state == wanted:
        return
    await hub.bus.async_wait_for(
        EVENT_STATE_CHANGED,
        lambda e: e.data["entity_id"] == entity_id and e.data["new_state"] is not None
        and e.data["new_state"].state == wanted,
        timeout,
    )  # fmt: skip


def passage(n: int = 0, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "passage_id": str(uuid.uuid4()), "read_id": f"READ{n:06d}", "gate": "east_gate", "lane": "in",
        "direction": "in", "plate": f"冀B{n:05d}", "colour": "yellow", "vehicle_class": "transport",
        "vehicle": {"emission_stage": "5", "fuel": "B"}, "decision": "deny", "reason_code": "STAGE",
        "reason_text": "国五柴油货车橙色预警禁止入厂", "needs_review": False,
    }  # fmt: skip
    data.update(overrides)
    return data
