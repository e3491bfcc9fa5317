"""Truncated camera JPEGs (an interrupted upload): read as far as they go, through the real push door."""

from __future__ import annotations

import base64
import csv
import logging
from pathlib import Path

import aiohttp
import pytest

from hub.core.const import EVENT_PLATE_READ
from hub.util.images import check_photo
from tests.integrations.anpr.photos import photos_of

REAL_PHOTOS = Path("/work/shared/data/plates-real")
TOKEN = "east-in-camera-secret-7f3a"
CONFIG = f"""\
hub: {{}}
anpr:
  merge_seconds: 5
  push: {{port: 0}}
  cameras:
    - {{gate: east_gate, lane: in, direction: in, source: push, token: {TOKEN}}}
"""
TIMEOUT = aiohttp.ClientTimeout(total=120)  # the first push loads the recogniser

pytestmark = pytest.mark.skipif(
    not (REAL_PHOTOS / "labels.csv").exists(), reason="real plate photos not available"
)


def real_photo(name: str) -> tuple[bytes, str]:
    with (REAL_PHOTOS / "labels.csv").open(encoding="utf-8") as f:
        [row] = [row for row in csv.DictReader(f) if row["filename"].endswith(name)]
    return (REAL_PHOTOS / row["filename"]).read_bytes(), row["plate"]


def cut(data: bytes, missing: float) -> bytes:
    return data[: int(len(data) * (1 - missing))]


@pytest.fixture
async def camera(make_hub, clock):
    hub = await make_hub(CONFIG, clock=clock)
    url = f"http://127.0.0.1:{hub.data['anpr'].push.port}/api/anpr/push/east_gate_in"
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with aiohttp.ClientSession(headers=headers, timeout=TIMEOUT) as session:
        yield hub, url, session


async def push(session: aiohttp.ClientSession, url: str, scene: bytes) -> tuple[int, dict]:
    body = {"scene_image": base64.b64encode(scene).decode()}  # no plate text: the hub reads the photo
    async with session.post(url, json=body) as resp:
        return resp.status, await resp.json()


@pytest.mark.parametrize(("name", "missing"), [("easypr_002.jpg", 0.15), ("easypr_000.jpg", 0.3)])
async def test_a_truncated_real_photo_still_yields_its_plate(camera, name, missing) -> None:
    hub, url, session = camera
    reads = []
    hub.bus.async_listen(EVENT_PLATE_READ, reads.append)
    data, plate = real_photo(name)
    truncated = cut(data, missing)
    check_photo("scene_image", truncated)  # kept as evidence: the header is whole
    status, answer = await push(session, url, truncated)
    assert status == 200, answer
    [read] = reads
    assert read.data["plate"] == plate and read.data["source"] == "push+ocr"
    assert read.data["needs_review"]  # part of the picture is missing: the guard confirms
    assert await photos_of(hub, read.data) == {"scene": truncated}
    assert hub.states.get("sensor.east_gate_in_plate").state == plate


async def test_truncation_is_logged_once_per_spell_with_the_camera(camera, caplog) -> None:
    _, url, session = camera
    caplog.set_level(logging.INFO, logger="hub.integrations.anpr")
    first, _ = real_photo("easypr_002.jpg")
    second, _ = real_photo("easypr_000.jpg")
    for frame in (cut(first, 0.2), cut(second, 0.1)):
        status, answer = await push(session, url, frame)
        assert status == 200, answer
    warnings = [r.getMessage() for r in caplog.records if "truncated JPEGs" in r.getMessage()]
    assert len(warnings) == 1 and "east_gate_in" in warnings[0], warnings
    status, _ = await push(session, url, second)
    assert status == 200
    assert any("east_gate_in sends whole JPEGs again" in r.getMessage() for r in caplog.records)


async def test_a_jpeg_with_nothing_decodable_is_refused_with_the_reason(camera) -> None:
    hub, url, session = camera
    reads = []
    hub.bus.async_listen(EVENT_PLATE_READ, reads.append)
    data, _ = real_photo("easypr_002.jpg")
    sos = data.index(b"\xff\xda")
    header_only = data[: sos + 2 + int.from_bytes(data[sos + 2 : sos + 4])]  # the headers, no scan data
    status, answer = await push(session, url, header_only)
    assert status == 415 and "nothing decodable" in answer["error"], answer
    assert reads == []
