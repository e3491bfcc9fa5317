"""OPC UA fixtures: the hub with barrier simulator, ledger and our server on a free port; real asyncua
clients that sign in as hub users over Basic256Sha256."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from asyncua import Client, Node, ua
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from hub.core.auth import Role
from hub.integrations.opcua.certs import ensure_certificate
from tests.common import wait_state

NAMESPACE = "urn:ecogate:hub"
CLIENT_URI = "urn:ecogate:test:client"
NODE_CLIENT_URI = "urn:ecogate:test:node-opcua"
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
async def opcua_hub(
    make_hub: Callable[..., Any], client_cert: tuple[Path, Path], node_client_cert: dict[str, str]
) -> Callable[..., Any]:
    """`await opcua_hub(extra_yaml)`: a started hub whose trust list has the test clients' certificates."""

    async def factory(extra: str = "", **kwargs: Any) -> Any:
        hub = await make_hub(HUB_YAML.format(extra=extra), **kwargs)
        assert "opcua" in hub.loaded, hub.setup_errors
        trust = hub.data["opcua"].server.trust
        for cert in (client_cert[0], node_client_cert["der"]):
            trust.trust(str(cert))  # what `ecogate opcua trust FILE` does
        await add_users(hub)
        await wait_state(hub, "cover.east_gate_in_barrier", "closed")
        return hub

    return factory


@pytest.fixture
def connect(client_cert: tuple[Path, Path]) -> Callable[..., Any]:
    """`async with connect(hub, "guard1") as client:` a signed-in asyncua client."""

    @asynccontextmanager
    async def open_client(
        hub: Any,
        username: str | None = "guard1",
        password: str = PASSWORD,
        mode: str = "SignAndEncrypt",
        locales: list[str] | None = None,
    ) -> AsyncIterator[Client]:
        client = Client(hub.data["opcua"].endpoint, timeout=5)
        client.application_uri = CLIENT_URI
        if locales is not None:
            client.set_locale(locales)  # asyncua asks for ["en"] by default
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


def passage(n: int = 0, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "passage_id": str(uuid.uuid4()), "read_id": f"READ{n:06d}", "gate": "east_gate", "lane": "in",
        "direction": "in", "plate": f"冀B{n:05d}", "colour": "yellow", "vehicle_class": "transport",
        "vehicle": {"emission_stage": "5", "fuel": "B"}, "decision": "deny", "reason_code": "STAGE",
        "reason_text": "国五柴油货车橙色预警禁止入厂", "needs_review": False,
    }  # fmt: skip
    data.update(overrides)
    return data


# ----- node-opcua: a second, independent OPC UA stack --------------------------------------------
NODE_CLIENT_DIR = Path(__file__).parent / "node_client"


@pytest.fixture(scope="session")
def node_client_ready() -> Path:
    """The node-opcua client script, its npm packages installed (skips only when node is absent)."""
    if shutil.which("node") is None:
        pytest.skip("node is not installed: the node-opcua tests need Node.js 18+ (scripts/setup.sh)")
    if not (NODE_CLIENT_DIR / "node_modules" / "node-opcua-client").is_dir():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("npm is not installed: it installs node-opcua for these tests (scripts/setup.sh)")
        install = [npm, "ci", "--no-audit", "--no-fund"]
        subprocess.run(install, cwd=NODE_CLIENT_DIR, check=True, capture_output=True, timeout=300)
    return NODE_CLIENT_DIR / "client.js"


@pytest.fixture(scope="session")
def node_client_cert(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The node-opcua client's application certificate, as PEM files (what node-opcua reads)."""
    folder = tmp_path_factory.mktemp("node_pki")
    cert, key, _ = ensure_certificate(
        folder, "node.der", "node.pem", app_uri=NODE_CLIENT_URI, common_name="EcoGate node-opcua test client",
        hostnames=["localhost"], server=False, days=30,
    )  # fmt: skip
    pem = folder / "node_cert.pem"
    pem.write_bytes(x509.load_der_x509_certificate(cert.read_bytes()).public_bytes(Encoding.PEM))
    return {"cert": str(pem), "key": str(key), "der": str(cert), "pki": str(folder / "store")}


class NodeClient:
    """One run of client.js: its JSON lines, read as they come."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[dict[str, Any]] = []

    async def next(self, wanted: str | None = None, timeout: float = 20.0) -> dict[str, Any]:
        """The next line (of type `wanted`); an error line or the end of the script fails the test."""
        async with asyncio.timeout(timeout):
            while True:
                raw = await self.process.stdout.readline()  # type: ignore[union-attr]
                if not raw:
                    err = (await self.process.stderr.read()).decode(errors="replace")  # type: ignore[union-attr]
                    raise AssertionError(f"node client ended ({self.process.returncode}): {err[-2000:]}")
                if not raw.startswith(b"@ecogate "):
                    continue  # node-opcua's own log
                line = json.loads(raw[len(b"@ecogate ") :])
                self.lines.append(line)
                if wanted is None or line["type"] == wanted or line["type"] == "error":
                    return line

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 5)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


@pytest.fixture
async def node_client(
    node_client_ready: Path, node_client_cert: dict[str, str]
) -> AsyncIterator[Callable[..., Any]]:
    """`await node_client(hub, action="read", user="guard1", mode="SignAndEncrypt")` -> a NodeClient."""
    started: list[NodeClient] = []

    async def start(hub: Any, action: str = "read", user: str | None = "guard1", **options: Any) -> Any:
        opts = {
            "endpoint": hub.data["opcua"].endpoint, "action": action, "mode": "SignAndEncrypt",
            "user": user, "password": PASSWORD, "applicationUri": NODE_CLIENT_URI, "namespace": NAMESPACE,
            "cert": node_client_cert["cert"], "key": node_client_cert["key"], "pki": node_client_cert["pki"],
            **options,
        }  # fmt: skip
        process = await asyncio.create_subprocess_exec(
            "node", str(node_client_ready), json.dumps(opts),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        client = NodeClient(process)
        started.append(client)
        return client

    yield start
    for client in started:
        await client.stop()


def restart_yaml(hub: Any) -> str:
    """The test hub's configuration on the port the running one has (a restart keeps the endpoint)."""
    port = urlsplit(hub.data["opcua"].endpoint).port
    return HUB_YAML.format(extra="").replace("port: 0\n  lanes", f"port: {port}\n  lanes")


async def receives_passages(hub: Any, next_text: Callable[[], Awaitable[str]], within: float) -> bool:
    """Record a passage a second until a client's event names one (`next_text` raises TimeoutError
    after a second without an event); False when none came within the time."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    n = 100
    while loop.time() < deadline:
        n += 1
        await hub.services.async_call("ledger", "record_passage", passage(n))
        try:
            while f"冀B{n:05d}" not in await next_text():
                pass
            return True
        except TimeoutError:
            continue
    return False
