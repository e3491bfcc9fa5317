"""Delay from `passage_recorded` to an MQTT subscriber's message, over real Mosquitto.

    .venv/bin/python bench/publish_latency_mqtt.py [--passages 1000] [--concurrency 1] [--broker HOST:PORT]

Starts a hub (ledger on SQLite in a temporary directory, the MQTT bridge) and, unless --broker is
given, its own mosquitto on a free loopback port. A paho subscriber (its own thread, as a SCADA
client would be) listens on `<base>/passage` and on the lanes' plate-read events
(`<base>/lane/<lane>/plate_read`, what Home Assistant's event entity of the lane fires on). The clock
starts when the ledger fires `passage_recorded` (after the commit) and stops when the subscriber's
on_message sees the record, or its lane event. Prints p50/p95/p99/max over the passages for both, and
the passages/s the whole path sustained.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from hub.core import Context, Hub
from hub.core.const import EVENT_PASSAGE_RECORDED
from tests.integrations.mqtt.conftest import Mosquitto

BASE = f"ecogate-bench-{uuid.uuid4().hex[:6]}"


def passage(n: int) -> dict:
    return {
        "passage_id": str(uuid.uuid4()), "read_id": f"R{n:06d}", "gate": "east", "lane": "in",
        "direction": "in", "plate": f"冀B{n % 100000:05d}", "colour": "yellow", "vehicle_class": "transport",
        "vehicle": {"emission_stage": "6", "fuel": "B", "fleet": "唐山顺达物流有限公司", "registered": True},
        "decision": "allow", "reason_code": "allowed", "reason_text": "国六柴油货车，准予入厂",
        "confidence": 0.97, "needs_review": False,
    }  # fmt: skip


class Subscriber:
    def __init__(self, host: str, port: int) -> None:
        self.received: dict[int, float] = {}
        self.events: dict[int, float] = {}  # seq -> when the lane's plate-read event came
        self.ready = threading.Event()
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-{uuid.uuid4().hex[:6]}")
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe(
            [(f"{BASE}/passage", 1), (f"{BASE}/lane/+/plate_read", 1)]
        )
        self.client.on_subscribe = lambda *a: self.ready.set()
        self.client.on_message = self._on_message
        self.client.connect(host, port)
        self.client.loop_start()

    def _on_message(self, client, userdata, message) -> None:
        stamp = time.perf_counter()
        record = json.loads(message.payload)
        if message.topic.endswith("/plate_read"):
            self.events[record["seq"]] = stamp
        elif record.get("kind") == "passage":
            self.received[record["seq"]] = stamp

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def write_config(workdir: Path, host: str, port: int, shared_broker: bool) -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    # On a broker others use, only passages (and the status, cleared at the end) go out, so nothing of
    # the bench stays retained there; on its own broker the bridge publishes everything as in a plant.
    quiet = "  discovery: false\n  exclude: ['*']\n" if shared_broker else ""
    (workdir / "configuration.yaml").write_text(
        f"hub: {{name: bench}}\nledger: {{}}\nmqtt:\n  host: {host}\n  port: {port}\n  base_topic: {BASE}\n"
        f"  discovery_prefix: {BASE}-ha\n{quiet}",
        encoding="utf-8",
    )


async def run(args: argparse.Namespace, host: str, port: int, workdir: Path) -> None:
    hub = Hub(workdir, data_dir=workdir / "data")
    fired: dict[int, float] = {}
    # Subscribed before the bridge is set up, so this stamp is taken before the bridge publishes.
    hub.bus.async_listen(
        EVENT_PASSAGE_RECORDED,
        lambda e: (
            fired.__setitem__(e.data["seq"], time.perf_counter()) if e.data.get("kind") == "passage" else None
        ),
    )
    await hub.async_start()
    assert "mqtt" in hub.loaded and "ledger" in hub.loaded, hub.setup_errors
    subscriber = Subscriber(host, port)
    await asyncio.to_thread(subscriber.ready.wait, 10)
    while hub.states.get("binary_sensor.mqtt_broker_connected").state != "on":  # noqa: ASYNC110
        await asyncio.sleep(0.05)

    semaphore = asyncio.Semaphore(args.concurrency)

    async def one(n: int) -> None:
        async with semaphore:
            await hub.services.async_call("ledger", "record_passage", passage(n), Context())

    started = time.perf_counter()
    await asyncio.gather(*(one(n) for n in range(args.passages)))
    deadline = time.monotonic() + 30
    while (  # noqa: ASYNC110
        min(len(subscriber.received), len(subscriber.events)) < args.passages and time.monotonic() < deadline
    ):
        await asyncio.sleep(0.01)
    elapsed = time.perf_counter() - started
    await hub.async_stop()
    subscriber.client.publish(f"{BASE}/status", b"", qos=1, retain=True).wait_for_publish(5)
    subscriber.close()

    for what, seen in (("<base>/passage", subscriber.received), ("lane plate_read event", subscriber.events)):
        delays = sorted((seen[seq] - t) * 1000 for seq, t in fired.items() if seq in seen)
        if not delays:
            print(f"passage_recorded -> {what}: nothing received")
            continue
        missing = len(fired) - len(delays)
        q = statistics.quantiles(delays, n=100, method="inclusive")
        print(f"passage_recorded -> {what} at the client, {len(delays)} passages", end="")
        print(f" (concurrency {args.concurrency}):")
        print(f"  p50 {q[49]:.2f} ms   p95 {q[94]:.2f} ms   p99 {q[98]:.2f} ms   max {delays[-1]:.2f} ms")
        print(f"  mean {statistics.fmean(delays):.2f} ms; missing {missing}")
    count = len(subscriber.received)
    print(f"whole path (record + commit + publish + deliver): {count / elapsed:.0f} passages/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=1, help="passages recorded at once")
    parser.add_argument("--broker", help="HOST:PORT of a running broker (default: start mosquitto)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mqtt-bench-") as tmp:
        workdir = Path(tmp)
        broker = None
        if args.broker:
            host, _, port = args.broker.rpartition(":")
            host, port_number = host or "127.0.0.1", int(port)
        else:
            broker = Mosquitto(workdir / "mosquitto")
            broker.start()
            host, port_number = "127.0.0.1", broker.port
        try:
            write_config(workdir / "hub", host, port_number, shared_broker=broker is None)
            asyncio.run(run(args, host, port_number, workdir / "hub"))
        finally:
            if broker is not None:
                broker.kill()


if __name__ == "__main__":
    main()
