"""Camera push over real HTTP: JSON and multipart reads, merging, and every kind of bad push refused."""

from __future__ import annotations

import base64
import logging

import aiohttp
import pytest

from hub.core.const import EVENT_PLATE_READ

PUSH_CONFIG = """\
hub: {}
anpr:
  merge_seconds: 5
  push: {host: 127.0.0.1, port: 0, token: s3cret}
  cameras:
    - {gate: east_gate, lane: in, direction: in, source: push}
    - {gate: west_gate, lane: main, direction: both, source: push}
"""
AS_JSON = {"Content-Type": "application/json"}
JPEG = bytes.fromhex("ffd8ffe000104a46494600") + b"\x00" * 64 + bytes.fromhex("ffd9")


@pytest.fixture
async def plant(make_hub, clock):
    hub = await make_hub(PUSH_CONFIG, clock=clock)
    url = f"http://127.0.0.1:{hub.data['anpr'].push.port}/api/anpr"
    async with aiohttp.ClientSession(headers={"X-Auth-Token": "s3cret"}) as session:
        yield hub, url, session


async def test_json_push_becomes_a_plate_read_and_the_plate_sensor(plant, clock) -> None:
    hub, url, session = plant
    reads = []
    hub.bus.async_listen(EVENT_PLATE_READ, reads.append)
    body = {
        "plate": "冀B·12345",
        "confidence": 96,
        "colour": "黄",
        "time": "20261124 075959",
        "plate_image": base64.b64encode(JPEG).decode(),
        "scene_image": "data:image/jpeg;base64," + base64.b64encode(JPEG).decode(),
    }
    async with session.post(f"{url}/push/east_gate_in", json=body) as resp:
        assert resp.status == 200, await resp.text()
        answer = await resp.json()
    assert answer["ok"] and not answer["merged"]
    [event] = reads
    assert event.data["plate"] == "冀B12345"
    assert event.data["colour"] == "yellow"
    assert event.data["confidence"] == pytest.approx(0.96)
    assert event.data["direction"] == "in" and event.data["source"] == "push"
    assert event.data["images"] == {"plate": JPEG, "scene": JPEG}
    assert event.data["captured_at"].startswith("2026-11-24T07:59:59+08:00")
    assert event.context.id == answer["read_id"]
    state = hub.states.get("sensor.east_gate_in_plate")
    assert state.state == "冀B12345" and state.attributes["images"] == ["plate", "scene"]
    assert hub.states.get("binary_sensor.east_gate_in_camera_online").state == "on"


async def test_multipart_push_and_repeat_reads_merge(plant, clock) -> None:
    hub, url, session = plant
    reads = []
    hub.bus.async_listen(EVENT_PLATE_READ, reads.append)

    def form(direction: str) -> aiohttp.FormData:
        data = aiohttp.FormData()
        data.add_field("plate", "津A·D12345")
        data.add_field("colour", "green")
        data.add_field("direction", direction)
        data.add_field("scene_image", JPEG, filename="scene.jpg", content_type="image/jpeg")
        return data

    for _ in range(3):
        async with session.post(f"{url}/push/west_gate_main", data=form("2")) as resp:
            assert resp.status == 200
    clock.advance(10)
    async with session.post(f"{url}/push/west_gate_main", data=form("out")) as resp:
        assert (await resp.json())["merged"] is False
    assert [(e.data["plate"], e.data["direction"]) for e in reads] == [("津AD12345", "out")] * 2
    assert reads[0].data["images"] == {"scene": JPEG}


@pytest.mark.parametrize(
    ("kwargs", "path", "status", "reason"),
    [
        ({"data": b"{not json", "headers": AS_JSON}, "east_gate_in", 400, "JSON"),
        ({"json": ["a"]}, "east_gate_in", 400, "must be an object"),
        ({"json": {"plate": "冀B12345", "scene_image": "***"}}, "east_gate_in", 400, "base64"),
        ({"data": b"x", "headers": {"Content-Type": "text/plain"}}, "east_gate_in", 400, "content type"),
        ({"json": {"plate": "冀B12345", "confidence": "high"}}, "east_gate_in", 400, "not a number"),
        ({"json": {"plate": "冀B12345", "colour": "purple"}}, "east_gate_in", 400, "colour"),
        ({"json": {"plate": "冀B12345", "direction": "up"}}, "west_gate_main", 400, "direction"),
        ({"json": {"plate": "冀B12345", "time": "yesterday"}}, "east_gate_in", 400, "date and time"),
        ({"json": {"confidence": 0.9}}, "east_gate_in", 400, "no plate text and no image"),
        (
            {"json": {"plate": "", "scene_image": base64.b64encode(b"garbage").decode()}},
            "east_gate_in",
            400,
            "not a readable image",
        ),
        ({"json": {"plate": "冀B12345"}}, "north_gate_in", 404, "no camera"),
        ({"data": b"x" * (25 * 1024 * 1024), "headers": AS_JSON}, "east_gate_in", 413, ""),
    ],
)
async def test_bad_pushes_are_refused_with_a_reason_and_nothing_is_read(
    plant, caplog, kwargs, path, status, reason
) -> None:
    hub, url, session = plant
    reads = []
    hub.bus.async_listen(EVENT_PLATE_READ, reads.append)
    with caplog.at_level(logging.WARNING):
        async with session.post(f"{url}/push/{path}", **kwargs) as resp:
            assert resp.status == status
            text = await resp.text()
    assert reason in text
    assert reads == []
    # The hub goes on: a good push right after is read.
    async with session.post(f"{url}/push/east_gate_in", json={"plate": "冀B12345"}) as resp:
        assert resp.status == 200
    assert [e.data["plate"] for e in reads] == ["冀B12345"]


async def test_wrong_token_is_refused(plant) -> None:
    hub, url, _ = plant
    async with aiohttp.ClientSession() as anonymous:
        async with anonymous.post(f"{url}/push/east_gate_in", json={"plate": "冀B12345"}) as resp:
            assert resp.status == 401
        async with anonymous.post(f"{url}/heartbeat/east_gate_in", headers={"X-Auth-Token": "guess"}) as resp:
            assert resp.status == 401
    assert hub.states.get("sensor.east_gate_in_plate").state == "unknown"
