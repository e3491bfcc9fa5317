"""Cameras that misbehave: one flooding its lane with frames, one sending the same frame for minutes."""

from __future__ import annotations

import asyncio
import base64
import io
import random

import aiohttp
import numpy as np
import pytest
from PIL import Image

from hub.core.const import EVENT_PLATE_READ, EVENT_STATE_CHANGED
from tests.common import wait_until

EAST_TOKEN = "east-in-camera-secret-7f3a"
WEST_TOKEN = "west-main-camera-secret-91c2"


def blank_frame(seed: int) -> bytes:
    """A real JPEG with no plate in it (a smooth gradient): the recogniser looks and finds nothing."""
    ramp = np.linspace(0, 255, 640, dtype=np.float32)
    pixels = np.broadcast_to(ramp[None, :, None], (480, 640, 3)).copy()
    pixels[..., 1] = (pixels[..., 1] + seed * 7) % 255
    out = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8)).save(out, "JPEG", quality=80)
    return out.getvalue()


def photo(shade: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 32), (shade, 80, 160)).save(out, "JPEG")
    return out.getvalue()


async def test_a_flood_on_one_lane_does_not_hold_up_a_vehicle_on_another(make_hub) -> None:
    synthetic = pytest.importorskip("hub.integrations.anpr.synthetic")
    from hub.util.plate import PlateColour

    hub = await make_hub(
        f"""\
        hub: {{}}
        anpr:
          merge_seconds: 0
          push: {{port: 0}}
          cameras:
            - {{gate: east_gate, lane: in, direction: in, source: push, token: {EAST_TOKEN},
               pushes_per_minute: 6000}}
            - {{gate: west_gate, lane: main, direction: in, source: push, token: {WEST_TOKEN}}}
        """
    )
    url = f"http://127.0.0.1:{hub.data['anpr'].push.port}/api/anpr/push"
    scene = synthetic.render_plate_scene("冀B7Q218", PlateColour.YELLOW, random.Random(5))
    seen: list[tuple[str, int]] = []  # what happened, in order: ("east", status) or ("west read", 0)
    hub.bus.async_listen(EVENT_PLATE_READ, lambda event: seen.append((f"{event.data['gate']} read", 0)))
    dropped = asyncio.Event()
    hub.bus.async_listen(
        EVENT_STATE_CHANGED,
        lambda event: dropped.set(),
        event_filter=lambda event: (
            event.data["entity_id"] == "sensor.east_gate_in_frames_dropped"
            and event.data["new_state"].state not in ("0", None)
        ),
    )

    async with aiohttp.ClientSession() as cameras:

        async def push(lane: str, token: str, frame: bytes) -> int:
            body = {"scene_image": base64.b64encode(frame).decode()}
            headers = {"Authorization": f"Bearer {token}"}
            async with cameras.post(f"{url}/{lane}", json=body, headers=headers) as resp:
                seen.append((lane, resp.status))
                return resp.status

        flood = [asyncio.create_task(push("east_gate_in", EAST_TOKEN, blank_frame(n))) for n in range(8)]
        async with asyncio.timeout(60):
            await dropped.wait()  # the east lane's frames now wait (and push each other out)
        assert await push("west_gate_main", WEST_TOKEN, scene) == 200
        east = await asyncio.gather(*flood)

    # The west vehicle was read while frames the east camera had sent before it still waited.
    west_read = seen.index(("west_gate read", 0))
    assert ("east_gate_in", 422) in seen[west_read:], seen
    # Every east frame was either read (no plate in a blank frame) or dropped for a newer one, and counted.
    assert set(east) <= {422, 409} and 409 in east
    await hub.async_block_till_done()
    assert hub.states.get("sensor.east_gate_in_frames_dropped").state == str(east.count(409))
    assert hub.states.get("sensor.west_gate_main_frames_dropped").state == "0"
    assert hub.states.get("sensor.west_gate_main_plate").state == "冀B7Q218"


async def test_a_frozen_camera_is_an_alarm_and_its_frame_is_read_once(make_hub, clock) -> None:
    hub = await make_hub(
        f"""\
        hub: {{}}
        anpr:
          merge_seconds: 5
          push: {{port: 0}}
          cameras:
            - {{gate: east_gate, lane: in, direction: in, source: push, token: {EAST_TOKEN},
               frozen_after: 60}}
        """,
        clock=clock,
    )
    reads = []
    hub.bus.async_listen(EVENT_PLATE_READ, reads.append)
    url = f"http://127.0.0.1:{hub.data['anpr'].push.port}/api/anpr/push/east_gate_in"
    frozen = "binary_sensor.east_gate_in_camera_frozen"
    assert hub.states.get(frozen).state == "off"
    assert hub.states.get(frozen).attributes["device_class"] == "problem"

    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {EAST_TOKEN}"}) as camera:

        async def push(plate: str, frame: bytes) -> dict:
            body = {"plate": plate, "scene_image": base64.b64encode(frame).decode()}
            async with camera.post(url, json=body) as resp:
                assert resp.status == 200, await resp.text()
                return await resp.json()

        first = await push("冀B12345", photo(1))
        assert first["read_id"]
        # The camera hangs on that frame: every 20 s the same bytes, never a new vehicle.
        for _ in range(2):
            clock.advance(20)
            answer = await push("冀B12345", photo(1))
            assert answer["repeated_frame"] and answer["read_id"] is None
        assert hub.states.get(frozen).state == "off"  # 40 s: not yet
        clock.advance(20)
        assert (await push("冀B12345", photo(1)))["repeated_frame"]
        state = hub.states.get(frozen)
        assert state.state == "on"
        assert state.attributes["since"] == "2026-11-24T08:00:00+08:00"
        # It comes back: a new frame is read as a vehicle again and the alarm clears.
        clock.advance(20)
        assert (await push("冀B12345", photo(2)))["read_id"]
    await hub.async_block_till_done()
    assert hub.states.get(frozen).state == "off"
    assert [e.data["plate"] for e in reads] == ["冀B12345", "冀B12345"]


async def test_a_folder_camera_uploading_one_frame_over_and_over_is_frozen(make_hub, clock, tmp_path) -> None:
    synthetic = pytest.importorskip("hub.integrations.anpr.synthetic")
    from hub.util.plate import PlateColour

    inbox = tmp_path / "ftp"
    inbox.mkdir()
    hub = await make_hub(
        f"""\
        hub: {{}}
        anpr:
          cameras:
            - {{gate: east_gate, lane: in, direction: in, source: folder, folder: "{inbox}",
               frozen_after: 60}}
        """,
        clock=clock,
    )
    reads = []
    hub.bus.async_listen(EVENT_PLATE_READ, reads.append)
    frame = synthetic.render_plate_scene("冀B7Q218", PlateColour.YELLOW, random.Random(5))
    (inbox / "0001.jpg").write_bytes(frame)
    await hub.bus.async_wait_for(EVENT_PLATE_READ, timeout=60)
    for name in ("0002.jpg", "0003.jpg"):
        clock.advance(40)
        (inbox / name).write_bytes(frame)
        await wait_until(lambda name=name: (inbox / "done" / name).exists(), timeout=20)
    await hub.async_block_till_done()
    assert hub.states.get("binary_sensor.east_gate_in_camera_frozen").state == "on"
    assert [e.data["plate"] for e in reads] == ["冀B7Q218"]  # the repeats are filed, not read again
