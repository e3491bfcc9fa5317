"""Camera push over real HTTP: JSON and multipart reads, merging, and every kind of bad push refused."""

from __future__ import annotations

import asyncio
import base64
import io
import logging
import zlib

import aiohttp
import pytest
from PIL import Image

from hub.core.const import EVENT_PLATE_READ
from tests.integrations.anpr.photos import photos_of

EAST_TOKEN = "east-in-camera-secret-7f3a"
WEST_TOKEN = "west-main-camera-secret-91c2"
PUSH_CONFIG = f"""\
hub: {{}}
anpr:
  merge_seconds: 5
  push: {{port: 0}}
  cameras:
    - {{gate: east_gate, lane: in, direction: in, source: push, token: {EAST_TOKEN}}}
    - {{gate: west_gate, lane: main, direction: both, source: push, token: {WEST_TOKEN}}}
"""
AS_JSON = {"Content-Type": "application/json"}


def photo(shade: int = 0, size: tuple[int, int] = (64, 32), kind: str = "JPEG") -> bytes:
    """A small real picture; each shade gives different bytes (another frame)."""
    out = io.BytesIO()
    Image.new("RGB", size, (shade % 256, 80, 160)).save(out, kind)
    return out.getvalue()


JPEG = photo()


@pytest.fixture
async def plant(make_hub, clock):
    hub = await make_hub(PUSH_CONFIG, clock=clock)
    url = f"http://127.0.0.1:{hub.data['anpr'].push.port}/api/anpr"
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {EAST_TOKEN}"}) as session:
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
    assert await photos_of(hub, event.data) == {"plate": JPEG, "scene": JPEG}
    assert event.data["captured_at"].startswith("2026-11-24T07:59:59+08:00")
    assert event.context.id == answer["read_id"]
    state = hub.states.get("sensor.east_gate_in_plate")
    assert state.state == "冀B12345" and state.attributes["images"] == ["plate", "scene"]
    assert hub.states.get("binary_sensor.east_gate_in_camera_online").state == "on"


async def test_multipart_push_and_repeat_reads_merge(plant, clock) -> None:
    hub, url, session = plant
    reads = []
    hub.bus.async_listen(EVENT_PLATE_READ, reads.append)

    def form(direction: str, frame: bytes) -> aiohttp.FormData:
        data = aiohttp.FormData()
        data.add_field("plate", "津A·D12345")
        data.add_field("colour", "green")
        data.add_field("direction", direction)
        data.add_field("scene_image", frame, filename="scene.jpg", content_type="image/jpeg")
        return data

    west = {"Authorization": f"Bearer {WEST_TOKEN}"}
    for n in range(3):
        async with session.post(f"{url}/push/west_gate_main", data=form("2", photo(n)), headers=west) as resp:
            assert resp.status == 200
    clock.advance(10)
    async with session.post(f"{url}/push/west_gate_main", data=form("out", photo(9)), headers=west) as resp:
        assert (await resp.json())["merged"] is False
    assert [(e.data["plate"], e.data["direction"]) for e in reads] == [("津AD12345", "out")] * 2
    assert await photos_of(hub, reads[0].data) == {"scene": photo(0)}


FORM = "application/x-www-form-urlencoded"


@pytest.mark.parametrize(
    ("kwargs", "path", "status", "reason"),
    [
        ({"data": b"{not json", "headers": AS_JSON}, "east_gate_in", 400, "JSON"),
        ({"json": ["a"]}, "east_gate_in", 400, "must be an object"),
        ({"json": {"plate": "冀B12345", "scene_image": "***"}}, "east_gate_in", 400, "base64"),
        ({"data": b"x", "headers": {"Content-Type": "text/plain"}}, "east_gate_in", 400, "content type"),
        ({"json": {"plate": "冀B12345", "confidence": "high"}}, "east_gate_in", 400, "not a number"),
        ({"json": {"plate": "冀B12345", "colour": "purple"}}, "east_gate_in", 400, "colour"),
        ({"json": {"plate": "冀B12345", "direction": "up"}}, "east_gate_in", 400, "direction"),
        ({"json": {"plate": "冀B12345", "time": "yesterday"}}, "east_gate_in", 400, "date and time"),
        ({"json": {"confidence": 0.9}}, "east_gate_in", 400, "no plate text and no image"),
        (
            {"json": {"plate": "", "scene_image": base64.b64encode(b"garbage").decode()}},
            "east_gate_in",
            415,
            "not a JPEG or PNG image",
        ),
        ({"json": {"plate": "冀B12345"}}, "north_gate_in", 404, "no push camera"),
        ({"data": b"x" * (25 * 1024 * 1024), "headers": AS_JSON}, "east_gate_in", 413, ""),
        (
            {"data": b"plate=x", "headers": {"Content-Type": f"{FORM}; charset=xx"}},
            "east_gate_in",
            415,
            "unknown charset",
        ),
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


async def test_each_push_camera_answers_only_to_its_own_token(plant) -> None:
    hub, url, _ = plant
    reads = []
    hub.bus.async_listen(EVENT_PLATE_READ, reads.append)
    async with aiohttp.ClientSession() as camera:
        # The west camera's secret does not open the east lane.
        headers = {"Authorization": f"Bearer {WEST_TOKEN}"}
        async with camera.post(
            f"{url}/push/east_gate_in", json={"plate": "冀B12345"}, headers=headers
        ) as resp:
            assert resp.status == 401 and resp.headers["WWW-Authenticate"] == "Bearer"
        # Its own, as a bearer token or in X-Auth-Token, does.
        headers = {"Authorization": f"Bearer {WEST_TOKEN}"}
        async with camera.post(
            f"{url}/push/west_gate_main", json={"plate": "冀B12345"}, headers=headers
        ) as resp:
            assert resp.status == 200
        headers = {"X-Auth-Token": EAST_TOKEN}
        async with camera.post(
            f"{url}/push/east_gate_in", json={"plate": "津A66E21"}, headers=headers
        ) as resp:
            assert resp.status == 200
    assert [(e.data["lane"], e.data["plate"]) for e in reads] == [("main", "冀B12345"), ("in", "津A66E21")]


async def test_a_token_in_the_url_is_refused_and_never_logged(plant, caplog) -> None:
    hub, url, _ = plant
    async with aiohttp.ClientSession() as camera:
        with caplog.at_level(logging.DEBUG):
            for path in (
                f"push/east_gate_in?token={EAST_TOKEN}",
                f"heartbeat/east_gate_in?access_token={EAST_TOKEN}",
            ):
                async with camera.post(f"{url}/{path}", json={"plate": "冀B12345"}) as resp:
                    assert resp.status == 400
                    assert "Authorization" in (await resp.json())["error"]
    assert EAST_TOKEN not in caplog.text
    assert hub.states.get("sensor.east_gate_in_plate").state == "unknown"
    assert hub.states.get("binary_sensor.east_gate_in_camera_online").state == "off"


async def test_only_lanes_configured_for_push_take_pushes(make_hub) -> None:
    hub = await make_hub(
        f"""\
        hub: {{}}
        anpr:
          push: {{port: 0}}
          cameras:
            - {{gate: east_gate, lane: in, direction: in, source: simulator}}
            - {{gate: west_gate, lane: main, direction: in, source: push, token: {WEST_TOKEN}}}
        """
    )
    url = f"http://127.0.0.1:{hub.data['anpr'].push.port}/api/anpr"
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {WEST_TOKEN}"}) as camera:
        async with camera.post(f"{url}/push/east_gate_in", json={"plate": "冀B12345"}) as resp:
            assert resp.status == 404 and "no push camera" in await resp.text()
        async with camera.post(f"{url}/heartbeat/east_gate_in") as resp:
            assert resp.status == 404
    assert hub.states.get("sensor.east_gate_in_plate").state == "unknown"


@pytest.mark.parametrize(
    ("cameras", "push", "error"),
    [
        ("[{gate: east_gate, lane: in, source: push}]", "{}", "source push needs the camera's own `token`"),
        ("[{gate: east_gate, lane: in, source: push, token: short}]", "{}", "at least 16 characters"),
        (
            f"[{{gate: east_gate, lane: in, source: simulator, token: {EAST_TOKEN}}}]",
            "{}",
            "for source push only",
        ),
        (
            f"[{{gate: east_gate, lane: in, source: push, token: {EAST_TOKEN}}}]",
            "{token: s3cret}",
            "push.token is gone",
        ),
    ],
)
async def test_push_cameras_without_their_own_token_are_refused_at_start(
    make_hub, cameras, push, error
) -> None:
    from hub.core.errors import ConfigError

    with pytest.raises(ConfigError, match=error):
        await make_hub(f"hub: {{}}\nanpr:\n  push: {push}\n  cameras: {cameras}\n")


async def test_the_token_comes_from_secrets_and_the_endpoint_listens_on_loopback_by_default(make_hub) -> None:
    hub = await make_hub(
        """\
        hub: {}
        anpr:
          push: {port: 0}
          cameras: [{gate: east_gate, lane: in, source: push, token: !secret east_gate_in_camera}]
        """,
        secrets__yaml=f"east_gate_in_camera: {EAST_TOKEN}\n",
    )
    push = hub.data["anpr"].push
    assert push.host == "127.0.0.1"
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {EAST_TOKEN}"}) as camera:
        async with camera.post(f"http://127.0.0.1:{push.port}/api/anpr/heartbeat/east_gate_in") as resp:
            assert resp.status == 200
    assert hub.states.get("binary_sensor.east_gate_in_camera_online").state == "on"


HTML = b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>"


def png_header(side: int) -> bytes:
    """The start of a PNG claiming `side` x `side` pixels, with no pixels behind it."""
    ihdr = b"IHDR" + side.to_bytes(4) * 2 + bytes.fromhex("0802000000")
    return (
        bytes.fromhex("89504e470d0a1a0a0000000d") + ihdr + zlib.crc32(ihdr).to_bytes(4) + bytes(4) + b"IDAT"
    )


@pytest.mark.parametrize(
    ("image", "reason"),
    [
        (HTML, "looks like HTML"),
        (b"GIF89a" + b"\x00" * 64, "not a JPEG or PNG"),
        (photo(size=(8, 8)), "8x8 pixels"),
        (png_header(30000), "too many pixels"),  # beyond Pillow's own bomb limit
        (png_header(9000), "9000x9000 pixels"),
    ],
)
async def test_photos_that_are_not_jpeg_or_png_of_sane_size_are_refused(plant, image, reason) -> None:
    hub, url, session = plant
    reads = []
    hub.bus.async_listen(EVENT_PLATE_READ, reads.append)
    body = {"plate": "冀B12345", "scene_image": base64.b64encode(image).decode()}
    async with session.post(f"{url}/push/east_gate_in", json=body) as resp:
        assert resp.status == 415
        answer = await resp.json()
    assert reason in answer["error"] and "scene_image" in answer["error"]
    assert reads == []


async def test_a_png_and_a_truncated_jpeg_that_still_decodes_are_kept(plant) -> None:
    hub, url, session = plant
    reads = []
    hub.bus.async_listen(EVENT_PLATE_READ, reads.append)
    truncated = photo(7, size=(320, 240))[:-200]
    body = {
        "plate": "冀B12345",
        "plate_image": base64.b64encode(photo(3, kind="PNG")).decode(),
        "scene_image": base64.b64encode(truncated).decode(),
    }
    async with session.post(f"{url}/push/east_gate_in", json=body) as resp:
        assert resp.status == 200, await resp.text()
    [read] = reads
    assert await photos_of(hub, read.data) == {"plate": photo(3, kind="PNG"), "scene": truncated}


async def test_a_camera_pushing_too_fast_is_told_when_to_come_back(make_hub, clock) -> None:
    hub = await make_hub(
        f"""\
        hub: {{}}
        anpr:
          merge_seconds: 0
          push: {{port: 0}}
          cameras:
            - {{gate: east_gate, lane: in, source: push, token: {EAST_TOKEN}, pushes_per_minute: 8}}
            - {{gate: west_gate, lane: main, source: push, token: {WEST_TOKEN}}}
        """,
        clock=clock,
    )
    reads = []
    hub.bus.async_listen(EVENT_PLATE_READ, reads.append)
    url = f"http://127.0.0.1:{hub.data['anpr'].push.port}/api/anpr/push"
    east = {"Authorization": f"Bearer {EAST_TOKEN}"}
    async with aiohttp.ClientSession() as camera:
        statuses = []
        for plate in ("冀B00001", "冀B00002", "冀B00003"):  # 8 a minute: 2 at once, then one per 7.5 s
            async with camera.post(f"{url}/east_gate_in", json={"plate": plate}, headers=east) as resp:
                statuses.append(resp.status)
                retry_after = resp.headers.get("Retry-After")
        assert statuses == [200, 200, 429] and retry_after == "8"
        # Another camera is not held back by this one's limit.
        west = {"Authorization": f"Bearer {WEST_TOKEN}"}
        async with camera.post(f"{url}/west_gate_main", json={"plate": "津A66E21"}, headers=west) as resp:
            assert resp.status == 200
        clock.advance(8)
        async with camera.post(f"{url}/east_gate_in", json={"plate": "冀B00003"}, headers=east) as resp:
            assert resp.status == 200
    assert [e.data["plate"] for e in reads] == ["冀B00001", "冀B00002", "津A66E21", "冀B00003"]


async def test_a_token_header_that_is_not_utf8_is_a_wrong_token(plant) -> None:
    hub, _, _ = plant
    port = hub.data["anpr"].push.port
    for path in (b"/api/anpr/heartbeat/east_gate_in", b"/api/anpr/push/east_gate_in"):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            b"POST " + path + b" HTTP/1.1\r\nHost: hub\r\nX-Auth-Token: \xff\xfe\r\n"
            b"Content-Length: 0\r\nConnection: close\r\n\r\n"
        )
        answer = await reader.read()
        writer.close()
        assert answer.startswith(b"HTTP/1.1 401 "), answer[:80]
