"""Delay from `passage_recorded` to an OPC UA client's GatePassageEventType event (p50/p99).

    .venv/bin/python bench/publish_latency_opcua.py [--passages 1000] [--rate 50] [--publishing-ms 50]
                                                   [--mode SignAndEncrypt|Sign]

A hub with the ledger (SQLite in a temporary directory) and our OPC UA server on a free loopback port;
an asyncua client signed in as a hub user over Basic256Sha256 subscribes to the event type on the
`EcoGate` object. Passages are recorded through `ledger.record_passage` at `--rate` per second. The
delay runs from the bus firing `passage_recorded` (after the ledger's commit) to the client's
`event_notification` callback. Client and hub share one process and event loop, so the figures
include their contention; the client's publishing interval bounds the delay from below on average
(about half of it).
"""

from __future__ import annotations

import argparse
import asyncio
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

from hub.core import Event, Hub
from hub.core.auth import Role
from hub.core.const import EVENT_PASSAGE_RECORDED
from hub.integrations.opcua.certs import ensure_certificate

USER, PASSWORD = "bench-scada", "bench-password-1"
CLIENT_URI = "urn:ecogate:bench:client"


def passage_data(n: int) -> dict[str, Any]:
    return {
        "passage_id": str(uuid.uuid4()), "gate": "east_gate", "lane": ("in", "out")[n % 2],
        "direction": ("in", "out")[n % 2], "plate": f"冀B{n % 100000:05d}", "colour": "yellow",
        "vehicle_class": "transport", "vehicle": {"emission_stage": "6", "fuel": "B"},
        "decision": "allow", "reason_code": "allowed", "reason_text": "国六柴油货车，准予入厂",
    }  # fmt: skip


class Catcher:
    def __init__(self, total: int) -> None:
        self.seen: dict[str, float] = {}
        self.total = total
        self.done = asyncio.Event()

    def event_notification(self, event: Any) -> None:
        self.seen[event.PassageId] = time.perf_counter()
        if len(self.seen) >= self.total:
            self.done.set()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def main(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="ecogate-bench-opcua-"))
    config = "hub:\n  name: bench\nledger:\nopcua:\n  port: 0\n"
    (work / "configuration.yaml").write_text(config, encoding="utf-8")
    hub = Hub(work)
    await hub.async_start()
    await hub.auth.async_add_user(USER, PASSWORD, frozenset({Role.INSPECTOR}))
    opcua = hub.data["opcua"].server
    await opcua.users.async_refresh()
    cert, key, _ = ensure_certificate(
        work / "client_pki", "client.der", "client.pem", app_uri=CLIENT_URI, common_name="bench client",
        hostnames=[socket.gethostname()], server=False, days=1,
    )  # fmt: skip
    opcua.trust.trust(str(cert))  # what `ecogate opcua trust FILE` does

    fired: dict[str, float] = {}

    def on_recorded(event: Event) -> None:
        if event.data.get("kind") == "passage":
            fired[event.data["passage_id"]] = time.perf_counter()

    hub.bus.async_listen(EVENT_PASSAGE_RECORDED, on_recorded)

    client = Client(opcua.endpoint, timeout=10)
    client.application_uri = CLIENT_URI
    client.session_timeout = 600_000
    await client.set_security_string(f"Basic256Sha256,{args.mode},{cert},{key}")
    client.set_user(USER)
    client.set_password(PASSWORD)
    await client.connect()
    idx = await client.get_namespace_index("urn:ecogate:hub")
    catcher = Catcher(args.passages)
    subscription = await client.create_subscription(args.publishing_ms, catcher)
    await subscription.subscribe_events(
        client.get_node(ua.NodeId("EcoGate", idx)), client.get_node(ua.NodeId("GatePassageEventType", idx))
    )

    gap = 1.0 / args.rate if args.rate > 0 else 0.0
    started = time.perf_counter()
    for n in range(args.passages):
        due = started + n * gap
        if (wait := due - time.perf_counter()) > 0:
            await asyncio.sleep(wait)
        await hub.services.async_call("ledger", "record_passage", passage_data(n))
    recorded = time.perf_counter() - started
    try:
        await asyncio.wait_for(catcher.done.wait(), 30)
    except TimeoutError:
        pass
    await client.disconnect()
    await hub.async_stop()

    delays = [(catcher.seen[pid] - t) * 1000 for pid, t in fired.items() if pid in catcher.seen]
    print(f"OPC UA publish latency: {args.passages} passages at {args.rate}/s "
          f"(recorded in {recorded:.1f} s), client {args.mode}, "
          f"publishing interval {args.publishing_ms} ms")  # fmt: skip
    print(f"events received: {len(delays)} of {len(fired)} recorded")
    if delays:
        print(f"delay passage_recorded -> client event (ms): p50 {percentile(delays, 50):.1f}  "
              f"p90 {percentile(delays, 90):.1f}  p99 {percentile(delays, 99):.1f}  "
              f"max {max(delays):.1f}  mean {statistics.fmean(delays):.1f}")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=50.0, help="passages/s (0: as fast as possible)")
    parser.add_argument("--publishing-ms", type=float, default=50.0)
    parser.add_argument("--mode", choices=["SignAndEncrypt", "Sign"], default="SignAndEncrypt")
    asyncio.run(main(parser.parse_args()))
