"""Each account's command is answered on its own reply branch; on a two-step lane a guard's OPEN while
a denied truck waits is a release request, not an opening, and the reply says so.

A real Mosquitto with the documented ACL, the real policy, ledger, register, simulated barrier PLC and
the web console's release desk; the SCADA (a guard's account) and Home Assistant (an officer's) as paho
clients."""

from __future__ import annotations

import json

from hub.core.auth import Role
from tests.common import wait_state
from tests.components.policy.conftest import config as plant
from tests.components.policy.conftest import fire_read, records, seed
from tests.integrations.mqtt.test_bridge import COVER, OPEN_BROKER, commands_taken

BASE = "ecogate"  # the name the documented ACL grants


def hub_yaml(port: int) -> str:
    mqtt = {"port": port, "base_topic": BASE, "discovery_prefix": "homeassistant", "username": "ecogate",
            "password": "hub-pass-123", "reconnect_min_seconds": 0.1, "reconnect_max_seconds": 0.5,
            "command_accounts": {"scada": "scada_guard", "homeassistant": "ha_officer"}}  # fmt: skip
    two_step = {"port": 0, "release": [{"gate": "east", "release": "two_step"}]}
    return plant() + f"ui: {json.dumps(two_step)}\nmqtt: {json.dumps(mqtt)}\n"


async def test_a_guards_open_on_a_two_step_lane_is_a_request_and_the_reply_says_so(
    make_hub, secured_broker, subscribe
) -> None:
    hub = await make_hub(hub_yaml(secured_broker.port))
    assert {"policy", "ui", "mqtt"} <= set(hub.loaded), hub.setup_errors
    await wait_state(hub, COVER, "closed")
    await seed(hub)
    await hub.auth.async_add_user("scada_guard", "password-123", frozenset({Role.GUARD}))
    officer = await hub.auth.async_add_user("ha_officer", "password-123", frozenset({Role.OFFICER}))
    await wait_state(hub, OPEN_BROKER, "off")
    await commands_taken(hub)
    scada = await subscribe(secured_broker.port, [f"{BASE}/reply/scada/#"], "scada")
    ha = await subscribe(secured_broker.port, [f"{BASE}/reply/homeassistant/#"], "homeassistant")
    denied = await fire_read(hub, "冀B40004")
    assert denied["decision"] == "deny"

    await scada.publish(f"{BASE}/command/scada/{COVER}", "OPEN")
    reply = json.loads((await scada.wait_for(f"{BASE}/reply/scada/{COVER}")).text)
    assert (reply["call"], reply["outcome"]) == ("policy.open_barrier", "requested"), reply
    assert reply["request_id"] and "release requested, awaiting approval" in reply["message"]
    assert hub.states.get(COVER).state == "closed"
    assert "release" not in [r["kind"] for r in await records(hub, denied["passage_id"])]

    await ha.publish(f"{BASE}/command/homeassistant/{COVER}", "OPEN")  # the officer's account
    reply = json.loads((await ha.wait_for(f"{BASE}/reply/homeassistant/{COVER}")).text)
    assert (reply["call"], reply["outcome"], reply["error"]) == ("policy.open_barrier", "ok", None)
    await wait_state(hub, COVER, lambda s: s in ("opening", "open"))
    [release] = [r for r in await records(hub, denied["passage_id"]) if r["kind"] == "release"]
    assert release["actor"] == officer.id
