"""Other profiles: the same engine speaks a TCP line-JSON platform (heartbeats, pushed control measure)
and an HMAC-signed platform with other field names, codes and separate photo uploads."""

from __future__ import annotations

import base64

from hub.core.const import EVENT_STATE_CHANGED
from tests.common import expect_event, wait_state
from tests.components.uplink.conftest import JPEG, POLICY, passage, record, uplink_yaml

CONNECTED = "binary_sensor.uplink_province_connected"


async def test_tcp_platform_delivery_heartbeat_and_pushed_control(make_hub, clock, start_sim) -> None:
    sim = await start_sim("tcp_json")
    text = uplink_yaml(sim.url, profile="tcp_json", platform="heartbeat_seconds: 0.1", extra=POLICY)
    hub = await make_hub(text, clock=clock)
    assert {"uplink", "policy"} <= set(hub.loaded), hub.setup_errors
    data = [passage(n, direction="out" if n == 2 else "in") for n in range(4)]
    for item in data:
        await record(hub, item)
    await sim.wait_for(lambda: len(sim.ids()) == 4)
    sent = sim.received["passage"][data[2]["passage_id"]]
    assert sent["plate"] == "冀B00002" and sent["direction"] == 2 and sent["plate_color"] == 1
    assert sent["pass_time"] == "20261124080000" and base64.b64decode(sent["plate_img"]) == JPEG + b"plate-2"
    await sim.wait_for(lambda: sim.heartbeats >= 3)
    await wait_state(hub, CONNECTED, lambda s: s == "on")
    # The platform pushes a control measure down the connection; the policy applies it, and the switch
    # goes back up as an alert-level message.
    level = expect_event(hub, EVENT_STATE_CHANGED, {"entity_id": "select.plant_alert_level"})
    await sim.async_push_control({
        "id": "GK-2026-118", "level": "orange", "measure_code": 2, "measure": "禁止国四及以下柴油重型货车",
        "start": "2026-11-24T08:00:00+08:00", "end": "2026-11-26T08:00:00+08:00",
    })  # fmt: skip
    applied = (await level).data["new_state"]
    assert applied.state == "orange" and applied.attributes["measure_code"] == 2
    assert applied.attributes["source"] == "platform" and "GK-2026-118" in applied.attributes["reason"]
    await sim.wait_for(lambda: len(sim.received["alert_level"]) == 1 and sim.control_acks == 1)
    alert = next(iter(sim.received["alert_level"].values()))
    assert alert["level"] == 2 and alert["measure"] == 2
    # The connection drops; the hub reconnects, logs in again and carries on.
    await sim.async_go_down()
    await wait_state(hub, CONNECTED, lambda s: s == "off")
    await record(hub, passage(9))
    await sim.async_come_back()
    await sim.wait_for(lambda: len(sim.ids()) == 5, timeout=20)
    assert sum(sim.duplicates.values()) == 0


async def test_hmac_profile_with_other_names_codes_and_separate_photos(make_hub, clock, start_sim) -> None:
    sim = await start_sim("pinyin_hmac")
    text = uplink_yaml(sim.url, profile="pinyin_hmac", platform="codes: {gate: {east_gate: '01'}}")
    hub = await make_hub(text, clock=clock)
    data = [passage(n, direction="out", colour="green" if n else "yellow") for n in range(3)]
    for item in data:
        await record(hub, item)
    await sim.wait_for(lambda: len(sim.ids()) == 3 and len(sim.received["photo"]) == 6)
    sent = sim.received["passage"][data[1]["passage_id"]]
    assert sent["HPHM"] == "冀B00001" and sent["HPYS"] == "4" and sent["CRBZ"] == "C"
    assert sent["CRSJ"] == "2026-11-24 08:00:00" and sent["PFJD"] == "国五" and sent["CRKBH"] == "01"
    assert "platePhoto" not in sent and "ZP" not in sent
    photo = sim.received["photo"][f"{data[1]['passage_id']}-photo-plate"]
    assert photo["YLSH"] == data[1]["passage_id"] and photo["ZPLX"] == "01"
    assert base64.b64decode(photo["ZP"]) == JPEG + b"plate-1"
    assert sim.auth_failures == 0  # every request carried a good signature
    sim.secret = "rotated"  # the platform changed the shared secret: refused, not parked, retried
    await record(hub, passage(7))
    await wait_state(hub, CONNECTED, lambda s: s == "off")
    await sim.wait_for(lambda: sim.auth_failures >= 2)
    assert len(sim.ids()) == 3
    await wait_state(hub, "sensor.uplink_province_pending", "1")  # counted while it waits
