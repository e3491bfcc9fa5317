"""A camera floods its lane with frames; how long does a genuine vehicle on another lane wait?

    .venv/bin/python bench/push_flood.py [--flood 40]

A hub with two push cameras on loopback. The east camera pushes --flood frames at once, none with plate
text and none with a plate in it (smooth gradients: the recogniser looks at each and finds nothing). Half
a second later the west camera pushes one genuine scene (a rendered yellow plate, no text), so the hub's
recogniser must read it. Before the flood, the same west push once on an idle hub gives the baseline.

Printed: the west push's latency (request to answer, and to its `plate_read`) idle and under the flood;
for the east lane, how many frames were read, how many dropped for newer ones (409), and when its last
answer came. Figures depend on the machine (the recogniser takes 0.2-1 s a frame on two busy cores).

The script also runs on the code before lanes took turns (one shared FIFO to the recogniser, one shared
token in `push.token`): it notices the old configuration schema and configures that instead.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import logging
import random
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
import numpy as np
from PIL import Image

from hub.core import Hub
from hub.core.const import EVENT_PLATE_READ
from hub.integrations.anpr import PushConfig
from hub.integrations.anpr.synthetic import render_plate_scene
from hub.util.plate import PlateColour

EAST, WEST = "east-camera-secret-bench-0001", "west-camera-secret-bench-0002"


SHARED_TOKEN = "token" in PushConfig.model_fields  # the code before per-camera tokens
if SHARED_TOKEN:
    WEST = EAST


def config() -> str:
    if SHARED_TOKEN:
        push, east, west = f"{{port: 0, token: {EAST}}}", "", ""
    else:
        push, east, west = "{port: 0}", f", token: {EAST}, pushes_per_minute: 6000", f", token: {WEST}"
    return textwrap.dedent(
        f"""\
        hub: {{}}
        anpr:
          merge_seconds: 0
          push: {push}
          cameras:
            - {{gate: east_gate, lane: in, direction: in, source: push{east}}}
            - {{gate: west_gate, lane: main, direction: in, source: push{west}}}
        """
    )


def blank_frame(seed: int) -> bytes:
    ramp = np.linspace(0, 255, 640, dtype=np.float32)
    pixels = np.broadcast_to(ramp[None, :, None], (480, 640, 3)).copy()
    pixels[..., 1] = (pixels[..., 1] + seed * 7) % 255
    out = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8)).save(out, "JPEG", quality=80)
    return out.getvalue()


async def push(session: aiohttp.ClientSession, url: str, token: str, frame: bytes) -> int:
    body = {"scene_image": base64.b64encode(frame).decode()}
    headers = {"Authorization": f"Bearer {token}", "X-Auth-Token": token}
    async with session.post(url, json=body, headers=headers) as resp:
        await resp.read()
        return resp.status


async def west_vehicle(
    hub: Hub, session: aiohttp.ClientSession, url: str, scene: bytes
) -> tuple[float, float]:
    """Seconds from the west push to its answer and to its plate_read."""
    read = asyncio.get_running_loop().create_future()
    unsub = hub.bus.async_listen(
        EVENT_PLATE_READ,
        lambda event: read.done() or read.set_result(time.perf_counter()),
        event_filter=lambda event: event.data["gate"] == "west_gate",
    )
    started = time.perf_counter()
    status = await push(session, f"{url}/west_gate_main", WEST, scene)
    answered = time.perf_counter()
    if status != 200:
        raise SystemExit(f"west push answered {status}")
    read_at = await asyncio.wait_for(read, 120)
    unsub()
    return answered - started, read_at - started


async def main(flood: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        config_dir = Path(tmp)
        (config_dir / "configuration.yaml").write_text(config(), encoding="utf-8")
        hub = Hub(config_dir, data_dir=config_dir / "data")
        await hub.async_start()
        if hub.setup_errors:
            raise SystemExit(hub.setup_errors)
        try:
            url = f"http://127.0.0.1:{hub.data['anpr'].push.port}/api/anpr/push"
            # The same picture twice, the second with a byte after its end marker: the hub takes the very
            # same bytes again for a frozen camera's repeat, and the recogniser's work stays the same.
            scene = render_plate_scene("冀B7Q218", PlateColour.YELLOW, random.Random(5))
            scenes = [scene, scene + b"\x00"]
            frames = [blank_frame(n) for n in range(flood)]
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
                await push(session, f"{url}/east_gate_in", EAST, blank_frame(999))  # load the recogniser
                idle = await west_vehicle(hub, session, url, scenes[0])
                east_done: list[float] = []

                async def east(frame: bytes) -> int:
                    status = await push(session, f"{url}/east_gate_in", EAST, frame)
                    east_done.append(time.perf_counter())
                    return status

                flood_started = time.perf_counter()
                tasks = [asyncio.create_task(east(frame)) for frame in frames]
                await asyncio.sleep(0.5)  # the flood is in; now a genuine vehicle on the other lane
                loaded = await west_vehicle(hub, session, url, scenes[1])
                statuses = await asyncio.gather(*tasks)
        finally:
            await hub.async_stop()
    print(f"east flood: {flood} frames at once; west: one scene for the hub's recogniser")
    print(f"west idle:        answer {idle[0] * 1000:7.0f} ms   plate_read {idle[1] * 1000:7.0f} ms")
    print(f"west under flood: answer {loaded[0] * 1000:7.0f} ms   plate_read {loaded[1] * 1000:7.0f} ms")
    read, dropped = statuses.count(422) + statuses.count(200), statuses.count(409)
    others = len(statuses) - read - dropped
    print(
        f"east: {read} frames read, {dropped} dropped for newer ones, {others} other answers; "
        f"last answer {max(east_done) - flood_started:.1f} s after the flood began"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flood", type=int, default=40, help="frames the east camera pushes at once")
    logging.disable(logging.WARNING)  # a flood logs every dropped frame; the figures are what we want
    asyncio.run(main(parser.parse_args().flood))
