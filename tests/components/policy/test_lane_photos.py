"""A lane bound to another camera system's entities records that system's photos and the lane's RFID
tag with the passage (issue 15): the plate and the tag come as MQTT sensors, the photos as MQTT image
topics (JPEG bytes, as Home Assistant's MQTT image takes them)."""

# ruff: noqa: F811 - the tests take fixtures imported from other test packages by name

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import uuid
from typing import Any

from PIL import Image

from hub.core.const import EVENT_GATE_DECISION
from tests.common import wait_entity, wait_state
from tests.components.policy.conftest import records, seed
from tests.integrations.mqtt.conftest import own_broker, subscribe  # noqa: F401 - the fixtures

TAG = "E2003412B802011700006006"


def jpeg(shade: int, size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (shade, 90, 40)).save(out, "JPEG")
    return out.getvalue()


def config(port: int, topics: str) -> str:
    return f"""\
hub: {{name: 相机系统车道}}
ledger: {{}}
vehicles: {{}}
policy:
  grade: B
  lanes:
    - {{gate: west, lane: in, plate: sensor.lpr_west_in_plate, photo: image.lpr_west_in_scene,
        plate_photo: image.lpr_west_in_crop, rfid: sensor.west_in_tag}}
mqtt:
  port: {port}
  base_topic: eg{topics}
  discovery: false
  reconnect_min_seconds: 0.1
  sensors:
    - {{topic: {topics}/plate, object_id: lpr_west_in_plate, json_path: plate, value_type: string,
        force_update: true}}
    - {{topic: {topics}/tag, object_id: west_in_tag, value_type: string, force_update: true}}
  images:
    - {{topic: {topics}/scene, object_id: lpr_west_in_scene}}
    - {{topic: {topics}/crop, object_id: lpr_west_in_crop}}
"""


async def decided(hub: Any, publish: Any, topic: str, plate: str) -> dict[str, Any]:
    waiter = asyncio.ensure_future(
        hub.bus.async_wait_for(EVENT_GATE_DECISION, lambda e: e.data["plate"] == plate, 10)
    )
    await asyncio.sleep(0)
    await publish(topic, json.dumps({"plate": plate}))
    return dict((await waiter).data)


async def test_a_bound_lane_records_its_camera_systems_photos_and_tag(
    make_hub, clock, own_broker, subscribe
) -> None:
    topics = f"lpr{uuid.uuid4().hex[:8]}"
    camera = await subscribe(own_broker.port, [f"{topics}/ack"])
    # A photo left retained on the broker is a vehicle long gone: not taken when the hub subscribes.
    await camera.publish(f"{topics}/scene", jpeg(10), retain=True)
    hub = await make_hub(config(own_broker.port, topics), clock=clock)
    assert {"policy", "mqtt", "ledger"} <= set(hub.loaded), hub.setup_errors
    await seed(hub)
    await wait_state(hub, "binary_sensor.mqtt_broker_connected", "on", timeout=10)
    # Bytes that are no picture are refused at the door, the last photo stays.
    await camera.publish(f"{topics}/crop", b"<html>502 Bad Gateway</html>")
    scene, crop = jpeg(200), jpeg(120, (40, 16))
    await camera.publish(f"{topics}/tag", TAG)
    await camera.publish(f"{topics}/scene", scene)
    await camera.publish(f"{topics}/crop", crop)
    await wait_state(hub, "sensor.west_in_tag", TAG, timeout=10)
    for entity_id, photo in (("image.lpr_west_in_scene", scene), ("image.lpr_west_in_crop", crop)):
        sha = hashlib.sha256(photo).hexdigest()
        await wait_entity(hub, entity_id, lambda s, sha=sha: s.attributes.get("sha256") == sha, timeout=10)

    decision = await decided(hub, camera.publish, f"{topics}/plate", "冀B60006")
    assert decision["decision"] == "allow", decision
    [row] = [r for r in await records(hub, decision["passage_id"]) if r["kind"] == "passage"]
    assert row["photo_scene"] == hashlib.sha256(scene).hexdigest()
    assert row["photo_plate"] == hashlib.sha256(crop).hexdigest()
    assert row["rfid"] == TAG
    for sha, photo in ((row["photo_scene"], scene), (row["photo_plate"], crop)):
        served = await hub.services.async_call("ledger", "evidence", {"sha256": sha})
        assert served["data"] == photo
    assert (await hub.services.async_call("ledger", "verify", {}))["ok"]
    # The tag is in what an inspector searches (the API's passage list and detail) and exports.
    found = await hub.services.async_call("ledger", "query", {"plate": "冀B60006"})
    assert [item["rfid"] for item in found["items"]] == [TAG]
    export = {"query": {"plate": "冀B60006"}, "format": "csv"}
    lines = (await hub.services.async_call("ledger", "export", export))["content"].decode("utf-8-sig")
    header, row_line = [line for line in lines.splitlines() if "通行编号" in line or TAG in line]
    assert header.split(",").index("电子标签") == row_line.split(",").index(TAG)

    # Minutes later another truck, with no new photo and no tag in the field: the old ones are not its.
    clock.advance(600)
    decision = await decided(hub, camera.publish, f"{topics}/plate", "冀B66666")
    [row] = [r for r in await records(hub, decision["passage_id"]) if r["kind"] == "passage"]
    assert (row["photo_scene"], row["photo_plate"], row["rfid"]) == (None, None, None)
