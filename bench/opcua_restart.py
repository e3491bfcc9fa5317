"""How long a connected OPC UA client needs to receive passage events again after a hub restart.

    .venv/bin/python bench/opcua_restart.py [--rounds 3] [--down-seconds 1.0] [--no-node]

A hub with the ledger and our OPC UA server on a loopback port; two clients subscribe to
GatePassageEventType on the Server object and stay connected with their library's own reconnection:
asyncua (`auto_reconnect`, in this process) and node-opcua (tests/integrations/opcua/node_client, a
child process; skipped without Node.js). Each round stops the hub, waits `--down-seconds`, starts it
again on the same port and data directory, and records a passage every 100 ms until both clients have
an event of a passage recorded after the restart. Printed per client: the time from the hub listening
again to the first such event (and from the hub going down).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import shutil
import socket
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from asyncua import Client, ua
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from hub.core import Hub
from hub.core.auth import Role
from hub.integrations.opcua.certs import ensure_certificate

USER, PASSWORD = "bench-scada", "bench-password-1"
NODE_CLIENT = Path(__file__).resolve().parent.parent / "tests/integrations/opcua/node_client"
CONFIG = "hub:\n  name: bench\nledger: {{}}\nopcua:\n  port: {port}\n"


def passage(n: int) -> dict[str, Any]:
    return {
        "passage_id": str(uuid.uuid4()), "gate": "east_gate", "lane": "in", "direction": "in",
        "plate": f"冀B{n:05d}", "colour": "yellow", "vehicle_class": "transport",
        "vehicle": {"emission_stage": "6", "fuel": "B"}, "decision": "allow", "reason_code": "allowed",
    }  # fmt: skip


class Seen:
    """Plates a client has had events for, with the time each came."""

    def __init__(self) -> None:
        self.at: dict[str, float] = {}

    def add(self, text: str) -> None:
        for word in text.split():
            if word.startswith("冀B"):
                self.at.setdefault(word, time.perf_counter())

    def event_notification(self, event: Any) -> None:  # asyncua's subscription handler
        self.add(str(event.Plate))

    def first_after(self, plates: set[str]) -> float | None:
        times = [t for plate, t in self.at.items() if plate in plates]
        return min(times) if times else None


async def start_hub(work: Path, port: int) -> Hub:
    (work / "configuration.yaml").write_text(CONFIG.format(port=port), encoding="utf-8")
    hub = Hub(work)
    await hub.async_start()
    return hub


def client_cert(work: Path, name: str, uri: str) -> tuple[Path, Path]:
    cert, key, _ = ensure_certificate(
        work / f"{name}_pki", "client.der", "client.pem", app_uri=uri, common_name=f"bench {name}",
        hostnames=[socket.gethostname()], server=False, days=1,
    )  # fmt: skip
    return cert, key


async def asyncua_client(endpoint: str, cert: Path, key: Path, seen: Seen) -> Client:
    client = Client(endpoint, timeout=3, auto_reconnect=True, reconnect_max_delay=1.0)
    client.application_uri = "urn:ecogate:bench:asyncua"
    await client.set_security_string(f"Basic256Sha256,SignAndEncrypt,{cert},{key}")
    client.set_user(USER)
    client.set_password(PASSWORD)
    await client.connect()
    idx = await client.get_namespace_index("urn:ecogate:hub")
    sub = await client.create_subscription(50, seen)
    await sub.subscribe_events(client.nodes.server, client.get_node(ua.NodeId("GatePassageEventType", idx)))
    return client


def pem_of(der: Path) -> Path:
    pem = der.with_suffix(".pem.crt")
    pem.write_bytes(x509.load_der_x509_certificate(der.read_bytes()).public_bytes(Encoding.PEM))
    return pem


async def node_client(endpoint: str, pem: Path, key: Path, work: Path, seen: Seen) -> Any:
    opts = {
        "endpoint": endpoint, "action": "events", "mode": "SignAndEncrypt", "user": USER,
        "password": PASSWORD, "applicationUri": "urn:ecogate:bench:node-opcua", "cert": str(pem),
        "key": str(key), "pki": str(work / "node_store"),
    }  # fmt: skip
    proc = await asyncio.create_subprocess_exec(
        "node", str(NODE_CLIENT / "client.js"), json.dumps(opts),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    subscribed = asyncio.Event()

    async def read_lines() -> None:
        assert proc.stdout is not None
        while raw := await proc.stdout.readline():
            if raw.startswith(b"@ecogate "):
                line = json.loads(raw[9:])
                if line["type"] == "subscribed":
                    subscribed.set()
                elif line["type"] == "event":
                    seen.add(line["message"])

    asyncio.get_running_loop().create_task(read_lines())
    await asyncio.wait_for(subscribed.wait(), 30)
    return proc


async def main(args: argparse.Namespace) -> None:
    # The clients log every failed reconnect attempt with a traceback; the figures are what counts here.
    logging.getLogger("asyncua").setLevel(logging.CRITICAL)
    work = Path(tempfile.mkdtemp(prefix="ecogate-bench-opcua-restart-"))
    hub = await start_hub(work, 0)
    port = int(hub.data["opcua"].endpoint.rsplit(":", 1)[1].split("/")[0])
    await hub.auth.async_add_user(USER, PASSWORD, frozenset({Role.INSPECTOR}))
    server = hub.data["opcua"].server
    await server.users.async_refresh()
    clients: dict[str, Seen] = {"asyncua": Seen()}
    ua_cert, ua_key = client_cert(work, "asyncua", "urn:ecogate:bench:asyncua")
    server.trust.trust(str(ua_cert))  # what `ecogate opcua trust FILE` does
    ua_client = await asyncua_client(server.endpoint, ua_cert, ua_key, clients["asyncua"])
    proc = None
    if not args.no_node and shutil.which("node") and (NODE_CLIENT / "node_modules").is_dir():
        node_cert, node_key = client_cert(work, "node", "urn:ecogate:bench:node-opcua")
        server.trust.trust(str(node_cert))
        clients["node-opcua"] = Seen()
        proc = await node_client(server.endpoint, pem_of(node_cert), node_key, work, clients["node-opcua"])
    else:
        print("node-opcua skipped (no node, or npm packages not installed: scripts/setup.sh)")

    results: dict[str, list[tuple[float, float]]] = {name: [] for name in clients}
    n = 0
    try:
        for round_ in range(1, args.rounds + 1):
            down = time.perf_counter()
            await hub.async_stop()
            await asyncio.sleep(args.down_seconds)
            hub = await start_hub(work, port)
            up = time.perf_counter()
            after: set[str] = set()
            while time.perf_counter() - up < args.timeout:
                n += 1
                await hub.services.async_call("ledger", "record_passage", passage(n))
                after.add(f"冀B{n:05d}")
                if all(seen.first_after(after) is not None for seen in clients.values()):
                    break
                await asyncio.sleep(0.1)
            for name, seen in clients.items():
                first = seen.first_after(after)
                if first is None:
                    print(f"round {round_}: {name}: no event within {args.timeout:.0f} s of the restart")
                else:
                    results[name].append((first - up, first - down))
    finally:
        await ua_client.disconnect()
        if proc is not None:
            proc.terminate()
            await proc.wait()
        await hub.async_stop()
        shutil.rmtree(work, ignore_errors=True)

    print(f"OPC UA client back after a hub restart: {args.rounds} rounds, hub down {args.down_seconds:.1f} s")
    for name, times in results.items():
        if times:
            since_up = [t[0] for t in times]
            since_down = [t[1] for t in times]
            print(f"{name:>10}: first event {statistics.median(since_up):.2f} s after the hub listens again "
                  f"(max {max(since_up):.2f} s; {statistics.median(since_down):.2f} s after it went down), "
                  f"{len(times)} of {args.rounds} rounds")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--down-seconds", type=float, default=1.0)
    parser.add_argument("--timeout", type=float, default=30.0, help="give up on a round after this long (s)")
    parser.add_argument("--no-node", action="store_true", help="only the asyncua client")
    asyncio.run(main(parser.parse_args()))
