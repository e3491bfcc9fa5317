"""A flood of Home Assistant birth messages against the MQTT bridge, over real Mosquitto.

    .venv/bin/python bench/mqtt_birth_flood.py [--births 1500] [--entities 300]

Starts its own mosquitto on a free loopback port and a hub with the MQTT bridge and `--entities`
sensors. While a paho client publishes `--births` `homeassistant/status online` messages as fast as
it can, the hub changes one state every 10 ms (as a gate would) and a ticker measures how long the
event loop was held. Prints the re-announcements the births caused, the longest loop stall, and how
many of the state changes made during the flood reached a subscriber (issue 20: 1,500 births once
froze the hub for 8.9 s and 3,416 publishes were dropped).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from hub.core import Hub
from tests.integrations.mqtt.conftest import Mosquitto

TAG = uuid.uuid4().hex[:6]
BASE, PREFIX = f"egbench{TAG}", f"habench{TAG}"


class Counter(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.dropped = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "not published" in record.getMessage():
            self.dropped += 1


async def main(births: int, entities: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="ecogate-bench-"))
    broker = Mosquitto(workdir / "mosquitto")
    broker.start()
    marker_topic = f"{BASE}-marker"
    (workdir / "configuration.yaml").write_text(
        f"hub: {{name: bench}}\nmqtt:\n  port: {broker.port}\n  base_topic: {BASE}\n"
        f"  discovery_prefix: {PREFIX}\n  sensors:\n    - {{topic: {marker_topic}, object_id: marker, "
        "value_type: string}\n",
        encoding="utf-8",
    )
    hub = Hub(workdir, data_dir=workdir / "data")
    counter = Counter()
    logging.getLogger("hub.integrations.mqtt").addHandler(counter)
    await hub.async_start()
    for i in range(entities):
        hub.states.async_set(f"sensor.bench_{i}", str(i), {"unit_of_measurement": "kg"})

    loop = asyncio.get_running_loop()
    seen = {"announce": 0, "ticks": set()}
    ready = threading.Event()
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-{TAG}")
    client.on_connect = lambda c, u, f, rc, p: c.subscribe(
        [(f"{PREFIX}/device/+/config", 1), (f"{BASE}/sensor.bench_tick/state", 1)]
    )
    client.on_subscribe = lambda *a: ready.set()

    def on_message(c, u, m) -> None:
        if m.topic.endswith("_mqtt_broker/config"):  # a device config that changes only when announced
            seen["announce"] += 1
        elif m.topic.endswith("/config"):
            pass
        else:
            seen["ticks"].add(m.payload.decode())

    client.on_message = on_message
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    await asyncio.to_thread(ready.wait, 10)
    while hub.states.get("binary_sensor.mqtt_broker_connected").state != "on":  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    await asyncio.sleep(1)  # the connect-time announcement is done
    seen["announce"] = 0

    stall = 0.0
    sent: list[str] = []
    flooding = True

    async def gate() -> None:
        nonlocal stall
        last = time.perf_counter()
        while flooding:
            await asyncio.sleep(0.01)
            now = time.perf_counter()
            stall = max(stall, now - last - 0.01)
            last = now
            sent.append(str(len(sent)))
            hub.states.async_set("sensor.bench_tick", sent[-1])

    ticker = loop.create_task(gate())
    started = time.perf_counter()

    def flood() -> None:  # in a thread, as another client: the loop's stalls are the hub's own
        for _ in range(births):
            client.publish(f"{PREFIX}/status", "online", qos=0)
        client.publish(marker_topic, "done", qos=1).wait_for_publish(10)

    await asyncio.to_thread(flood)
    while (s := hub.states.get("sensor.marker")) is None or s.state != "done":  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    handled = time.perf_counter() - started
    await asyncio.sleep(6)  # the folded re-announcement, one interval later
    flooding = False
    await ticker
    await asyncio.sleep(1)
    client.loop_stop()
    await hub.async_stop()
    broker.kill()

    got = len(set(sent) & seen["ticks"])
    print(f"births: {births} in {handled:.2f} s, entities: {entities}")
    print(f"re-announcements caused: {seen['announce']}")
    print(f"longest event-loop stall: {stall * 1000:.1f} ms")
    print(f"state changes during the flood: {len(sent)} made, {got} reached the subscriber")
    print(f"publishes refused by the client queue: {counter.dropped} log lines")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--births", type=int, default=1500)
    parser.add_argument("--entities", type=int, default=300)
    args = parser.parse_args()
    asyncio.run(main(args.births, args.entities))
