"""Passage to OPC UA event at an asyncua client, on each notifier of the chain, and the alarm it raises.

    .venv/bin/python bench/opcua_events.py [--passages 1000] [--rate 50] [--publishing-ms 50] [--deny-every 5]

A hub with the ledger (SQLite in a temporary directory) and our OPC UA server on a free loopback port;
one asyncua client (Basic256Sha256 SignAndEncrypt, a hub user) with three subscriptions: passage events
on the lane `east_gate.in`, on `EcoGate` and on `Server`, and OffNormalAlarmType conditions on `Server`.
Passages alternate between the lanes `in` and `out`; every `--deny-every`-th is denied, which raises
the lane's DeniedTruck alarm (the next passage on the lane clears it). Printed: the delay from the bus
firing `passage_recorded` to each subscriber's callback (p50/p95/p99), events per passage per
subscriber and distinct EventIds per passage (1: one event, however many notifiers carry it), and the
delay to the alarm. Client and hub share one process and event loop, so the figures include their
contention; the publishing interval bounds the delay from below (about half of it on average).
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from asyncua import Client, ua
from publish_latency_opcua import CLIENT_URI, PASSWORD, USER, passage_data, percentile

from hub.core import Event, Hub
from hub.core.auth import Role
from hub.core.const import EVENT_PASSAGE_RECORDED
from hub.integrations.opcua.certs import ensure_certificate


class Catcher:
    """Arrival times by passage id (passage events) or by plate of the alarm (DeniedTruck)."""

    def __init__(self, total: int) -> None:
        self.at: dict[str, list[float]] = defaultdict(list)
        self.event_ids: dict[str, set[bytes]] = defaultdict(set)
        self.total = total
        self.done = asyncio.Event()

    def event_notification(self, event: Any) -> None:
        now = time.perf_counter()
        if getattr(event, "ConditionName", None) == "DeniedTruck":
            if getattr(event, "ActiveState/Id", False):
                self.at[event.Message.Text.split()[-2]].append(now)  # "<name>: <plate> <reason>"
            return
        if hasattr(event, "PassageId"):
            self.at[event.PassageId].append(now)
            self.event_ids[event.PassageId].add(event.EventId)
            if len(self.at) >= self.total:
                self.done.set()


def summary(name: str, delays: list[float]) -> str:
    if not delays:
        return f"{name}: none"
    return (f"{name}: n {len(delays)}  p50 {percentile(delays, 50):.1f}  p95 {percentile(delays, 95):.1f}  "
            f"p99 {percentile(delays, 99):.1f}  max {max(delays):.1f} ms")  # fmt: skip


async def main(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="ecogate-bench-opcua-events-"))
    config = (
        "hub:\n  name: bench\nledger:\nopcua:\n  port: 0\n"
        "  lanes: [{gate: east_gate, lane: in}, {gate: east_gate, lane: out}]\n"
    )
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
    opcua.trust.trust(str(cert))

    fired: dict[str, float] = {}
    denied: dict[str, float] = {}

    def on_recorded(event: Event) -> None:
        if event.data.get("kind") == "passage":
            fired[event.data["passage_id"]] = time.perf_counter()
            if event.data.get("decision") == "deny":
                denied[event.data["plate"]] = time.perf_counter()

    hub.bus.async_listen(EVENT_PASSAGE_RECORDED, on_recorded)
    client = Client(opcua.endpoint, timeout=10)
    client.application_uri = CLIENT_URI
    client.session_timeout = 600_000
    await client.set_security_string(f"Basic256Sha256,SignAndEncrypt,{cert},{key}")
    client.set_user(USER)
    client.set_password(PASSWORD)
    await client.connect()
    idx = await client.get_namespace_index("urn:ecogate:hub")
    etype = client.get_node(ua.NodeId("GatePassageEventType", idx))
    catchers = {name: Catcher(args.passages) for name in ("lane east_gate.in", "EcoGate", "Server", "alarms")}
    for name, where, types in (
        ("lane east_gate.in", ua.NodeId("east_gate.in", idx), [etype]),
        ("EcoGate", ua.NodeId("EcoGate", idx), [etype]),
        ("Server", ua.NodeId(ua.ObjectIds.Server), [etype]),
        ("alarms", ua.NodeId(ua.ObjectIds.Server), [ua.NodeId(ua.ObjectIds.OffNormalAlarmType)]),
    ):
        sub = await client.create_subscription(args.publishing_ms, catchers[name])
        await sub.subscribe_events(client.get_node(where), types)

    sent: list[dict[str, Any]] = []
    gap = 1.0 / args.rate if args.rate > 0 else 0.0
    started = time.perf_counter()
    for n in range(args.passages):
        if (wait := started + n * gap - time.perf_counter()) > 0:
            await asyncio.sleep(wait)
        data = passage_data(n)
        if args.deny_every and n % args.deny_every == 0:
            data.update(decision="deny", reason_code="STAGE", reason_text="国四柴油货车禁止入厂")
        sent.append(data)
        await hub.services.async_call("ledger", "record_passage", data)
    recorded = time.perf_counter() - started
    try:
        await asyncio.wait_for(catchers["Server"].done.wait(), 30)
    except TimeoutError:
        pass  # the counts below say what is missing
    await asyncio.sleep(args.publishing_ms / 1000 * 4)  # late duplicates, if any, arrive meanwhile
    await client.disconnect()
    await hub.async_stop()

    print(f"OPC UA events: {len(sent)} passages at {args.rate}/s (recorded in {recorded:.1f} s), "
          f"publishing interval {args.publishing_ms} ms, SignAndEncrypt, {len(denied)} denied")  # fmt: skip
    print("delay passage_recorded -> client event, per subscription:")
    for name in ("lane east_gate.in", "EcoGate", "Server"):
        seen = catchers[name].at
        delays = [(times[0] - fired[pid]) * 1000 for pid, times in seen.items() if pid in fired]
        print("  " + summary(name, delays))
    on_lane = [d["passage_id"] for d in sent if d["lane"] == "in"]
    lane_seen = catchers["lane east_gate.in"].at
    print(f"lane subscriber: {sum(1 for p in on_lane if p in lane_seen)} of its {len(on_lane)} passages, "
          f"{sum(1 for p in lane_seen if p not in on_lane)} of other lanes")  # fmt: skip
    counts = [len(times) for c in ("EcoGate", "Server") for times in catchers[c].at.values()]
    ids = [len(catchers["EcoGate"].event_ids[p] | catchers["Server"].event_ids[p]) for p in fired]
    print(f"events per passage per subscription: max {max(counts, default=0)}; distinct EventIds per passage "
          f"on EcoGate and Server: max {max(ids, default=0)}")  # fmt: skip
    alarms = catchers["alarms"].at
    alarm_delays = [(times[0] - denied[plate]) * 1000 for plate, times in alarms.items() if plate in denied]
    print(summary("delay denied passage -> DeniedTruck alarm at the client", alarm_delays))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=50.0, help="passages/s (0: as fast as possible)")
    parser.add_argument("--publishing-ms", type=float, default=50.0)
    parser.add_argument("--deny-every", type=int, default=5, help="every n-th passage is denied (0: none)")
    asyncio.run(main(parser.parse_args()))
