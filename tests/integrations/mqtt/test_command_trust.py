"""Who MQTT commands are believed from, and input that must not hurt: against real Mosquitto brokers.

An open broker vouches for no one (commands ignored by default); an authenticating broker with a
per-account ACL does, and the audit names the broker account; retained commands are never obeyed,
also live; a flood of Home Assistant births is announced a bounded number of times; hostile
payloads get a logged reason, never a traceback.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from hub.core.auth import Role
from hub.core.const import EVENT_SERVICE_CALLED
from tests.common import advance, wait_state, wait_until
from tests.integrations.mqtt.conftest import ACCOUNTS
from tests.integrations.mqtt.ha_mqtt import HomeAssistant
from tests.integrations.mqtt.test_bridge import (
    ANNOUNCE_MIN_SECONDS,
    BARRIER,
    COVER,
    NODE,
    OPEN_BROKER,
    OPEN_OK,
    commands_taken,
    config,
    logged,
    names,
    text_is,
)

MARKER = """\
sensors:
  - topic: {base}-probe/marker
    object_id: marker
    value_type: string
"""


async def marker_seen(hub, sub, base: str, value: str) -> None:
    """Everything `sub` published before this has reached the hub: one client's messages stay in order."""
    await sub.publish(f"{base}-probe/marker", value)
    await wait_state(hub, "sensor.marker", value)


async def audit_rows(hub, wanted: int, **filters: Any) -> list[dict[str, Any]]:
    """The audit rows matching `filters`, once there are `wanted` of them (rows are written just after)."""
    async with asyncio.timeout(10):
        while True:
            answer = await hub.services.async_call("ledger", "audit_query", {**filters, "sort": "seq"})
            if answer["total"] >= wanted:
                return answer["items"]
            await asyncio.sleep(0.05)


def barrier_calls(hub) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []
    hub.bus.async_listen(
        EVENT_SERVICE_CALLED, lambda e: calls.append(dict(e.data)) if e.data["domain"] == "barrier" else None
    )
    return calls


async def test_an_open_broker_takes_no_commands_by_default(make_hub, broker, subscribe, caplog) -> None:
    base, prefix = names()
    sub = await subscribe(broker.port, [f"{base}/#"])
    mqtt = "command_user: mqtt_ops\ncommand_accounts: {scada: mqtt_ops}\n" + MARKER.format(base=base)
    hub = await make_hub(config(broker.port, base, prefix, mqtt=mqtt, extra=BARRIER + "ledger: {}\n"))
    await hub.auth.async_add_user("mqtt_ops", "password-123", frozenset({Role.GUARD}))
    await wait_state(hub, OPEN_BROKER, "on")  # a problem an operator sees
    assert hub.states.get(OPEN_BROKER).attributes["commands"] == "ignored"
    assert [r for r in caplog.records if r.levelno == logging.ERROR and "lets anyone in" in r.getMessage()]
    calls = barrier_calls(hub)

    # An anonymous client, on the shared topic and claiming an account's branch, many times over.
    for _ in range(30):
        await sub.publish(f"{base}/{COVER}/set", "OPEN")
        await sub.publish(f"{base}/command/scada/{COVER}", "OPEN")
    await marker_seen(hub, sub, base, "after-the-commands")
    assert hub.states.get(COVER).state == "closed" and calls == []
    assert len(logged(caplog, "lets anyone in, so no sender is known")) == 1  # said once, not 60 times
    rows = await hub.services.async_call("ledger", "audit_query", {"door": "mqtt"})
    assert rows["total"] == 0  # anyone could have sent them: no audit row per message for a flood


async def test_commands_are_believed_from_broker_accounts_and_audited_with_them(
    make_hub, secured_broker, subscribe, caplog
) -> None:
    base, prefix = "ecogate", "homeassistant"  # the names the documented ACL grants
    port = secured_broker.port
    ha = await subscribe(port, [f"{prefix}/#", f"{base}/#"], "homeassistant")
    mqtt = (
        f"username: ecogate\npassword: {ACCOUNTS['ecogate']}\n"
        "command_accounts: {homeassistant: ha_ops, scada: scada_ops}\nhome_assistant_account: homeassistant\n"
    )
    hub = await make_hub(config(port, base, prefix, mqtt=mqtt, extra=BARRIER + "ledger: {}\n"))
    ha_ops = await hub.auth.async_add_user("ha_ops", "password-123", frozenset({Role.GUARD}))
    scada_ops = await hub.auth.async_add_user("scada_ops", "password-123", frozenset({Role.INSPECTOR}))
    await wait_state(hub, OPEN_BROKER, "off")
    await commands_taken(hub)

    # Home Assistant is told its own command topic, sends there, and the barrier opens as ha_ops.
    # The broker is shared by the session: a config retained by an earlier test's hub may come first.
    own_topic = f"{base}/command/homeassistant/{COVER}"
    found = await ha.wait_for(f"{prefix}/device/{NODE}_barrier_east_in/config", lambda m: own_topic in m.text)
    discovered = HomeAssistant(prefix)
    discovered.feed(found.topic, found.payload)
    cover = discovered.by_default_id(COVER)
    assert cover["command_topic"] == own_topic
    await ha.wait_for(f"{base}/{COVER}/state", text_is("closed"))
    await ha.publish(cover["command_topic"], "OPEN")
    await wait_state(hub, COVER, "open")
    [sent] = await audit_rows(hub, 1, action="mqtt.command")
    assert (sent["door"], sent["outcome"], sent["target"]) == ("mqtt", "ok", COVER)
    assert sent["detail"]["broker_user"] == "homeassistant" and sent["detail"]["vouched_by_broker"] is True
    assert (sent["detail"]["hub_user"], sent["detail"]["call"]) == ("ha_ops", "barrier.open")
    [opened] = await audit_rows(hub, 1, action="barrier.open")
    assert (opened["user_id"], opened["door"]) == (ha_ops.id, "mqtt")
    assert opened["detail"]["context_id"] == sent["detail"]["context_id"]  # the two rows are one command

    # An account the broker knows but the hub does not map is refused, and the row names it.
    mallory = await subscribe(port, [f"{base}/status"], "mallory")
    # Not its branch: the ACL drops it.
    await mallory.publish(f"{base}/command/homeassistant/{COVER}", "CLOSE")
    await mallory.publish(f"{base}/command/mallory/{COVER}", "CLOSE")
    [refused] = await audit_rows(hub, 1, action="barrier.close", outcome="refused")
    assert refused["detail"]["broker_user"] == "mallory"
    assert "not in command_accounts" in refused["detail"]["reason"]
    assert len(await audit_rows(hub, 1, action="mqtt.command")) == 1  # the forged command never arrived
    assert hub.states.get(COVER).state == "open"

    # A mapped account whose hub user lacks the role: refused like any other door, both rows name it.
    scada = await subscribe(port, [f"{base}/status"], "scada")
    await scada.publish(f"{base}/command/scada/{COVER}", "CLOSE")
    [by_role] = await audit_rows(hub, 1, action="barrier.close", user_id=scada_ops.id)
    assert (by_role["outcome"], by_role["door"]) == ("refused", "mqtt")
    rows = await audit_rows(hub, 2, action="mqtt.command")
    assert (rows[1]["outcome"], rows[1]["detail"]["broker_user"]) == ("refused", "scada")
    assert hub.states.get(COVER).state == "open"


async def test_a_retained_command_is_never_obeyed_also_when_delivered_live(
    make_hub, broker, subscribe, caplog
) -> None:
    caplog.set_level(logging.WARNING, logger="hub.integrations.mqtt")
    base, prefix = names()
    sub = await subscribe(broker.port, [f"{base}/status"])
    mqtt = OPEN_OK + "command_user: mqtt_ops\nbad_payload_log_every: 1\n"
    hub = await make_hub(config(broker.port, base, prefix, mqtt=mqtt))
    await hub.auth.async_add_user("mqtt_ops", "password-123", frozenset({Role.GUARD}))
    await commands_taken(hub)
    calls = barrier_calls(hub)

    await sub.publish(f"{base}/{COVER}/set", "OPEN", retain=True)  # live, to a hub already subscribed
    await sub.publish(f"{base}/{COVER}/set", "WIGGLE")  # after it from the same client
    await wait_until(lambda: logged(caplog, "'WIGGLE' is not OPEN or CLOSE"))
    assert len(logged(caplog, "retained command")) == 1
    assert hub.states.get(COVER).state == "closed" and calls == []

    # The broker kept it: a hub that subscribes later gets it flagged retained, and ignores it too.
    base2 = names()[1]
    again = await make_hub(config(broker.port, base, base2, mqtt=mqtt))
    await wait_until(lambda: len(logged(caplog, "retained command")) == 2)
    assert again.states.get(COVER).state == "closed"
    await sub.publish(f"{base}/{COVER}/set", b"", retain=True)  # clear it from the broker


async def test_a_flood_of_home_assistant_births_is_announced_a_bounded_number_of_times(
    make_hub, broker, subscribe, clock
) -> None:
    base, prefix = names()
    event_config = f"{prefix}/device/{NODE}_barrier_east_in/config"  # one per announcement
    sub = await subscribe(broker.port, [f"{prefix}/#", f"{base}/#"])
    # A queue small enough that announcing once per birth would overflow it and drop messages.
    mqtt = "max_queued_messages: 1000\n" + MARKER.format(base=base)
    hub = await make_hub(config(broker.port, base, prefix, mqtt=mqtt), clock=clock)
    await sub.wait_for(f"{base}/{COVER}/state", text_is("closed"))
    await sub.wait_for(event_config)
    await wait_state(hub, OPEN_BROKER, "on")
    mark = len(sub.messages)

    for _ in range(500):
        sub.client.publish(f"{prefix}/status", "online", qos=0)
    await sub.publish(f"{prefix}/status", "online")
    hub.states.async_set("sensor.burst_probe", "during the burst")
    await sub.wait_for(f"{base}/sensor.burst_probe/state", text_is("during the burst"), since=mark)
    await marker_seen(hub, sub, base, "after-the-births")  # all 501 births have reached the hub
    await advance(clock, ANNOUNCE_MIN_SECONDS)  # the announcements' interval (mqtt announce_min_seconds)
    await sub.wait_for(event_config, since=mark)  # Home Assistant does get everything again
    await sub.wait_for(f"{base}/{COVER}/state", since=mark)
    announced = [m for m in sub.messages[mark:] if m.topic == event_config]
    assert 1 <= len(announced) <= 2
    hub.states.async_set("sensor.burst_probe", "after the burst")
    await sub.wait_for(f"{base}/sensor.burst_probe/state", text_is("after the burst"), since=mark)


@pytest.mark.parametrize(
    ("entity", "payload", "reason"),
    [
        ("select.plant_alert_level", b'{"level": ' + b"[" * 4000, "nested too deeply"),
        ("select.plant_alert_level", '{"level": "red", "reason": "橙'.encode("gbk") + b'"}', "not UTF-8"),
        (COVER, b"[" * 4000, "is not OPEN or CLOSE"),
        (COVER, b"\xc3\x28OPEN", "not UTF-8"),
    ],
)
async def test_hostile_command_payloads_are_refused_with_a_reason(
    make_hub, broker, subscribe, caplog, entity, payload, reason
) -> None:
    base, prefix = names()
    sub = await subscribe(broker.port, [f"{base}/status"])
    station = f"{base}-field/aqs"
    mqtt = (
        OPEN_OK + f"command_user: ops\nsensors:\n  - {{topic: {station}, object_id: aqs, json_path: pm25}}\n"
    )
    hub = await make_hub(config(broker.port, base, prefix, mqtt=mqtt))
    await hub.auth.async_add_user("ops", "password-123", frozenset({Role.GUARD, Role.OFFICER}))
    hub.states.async_set(
        "select.plant_alert_level", "normal", {"options": ["normal", "yellow", "orange", "red"]}
    )
    await commands_taken(hub)

    await sub.publish(f"{base}/{entity}/set", payload)
    await sub.publish(station, b'{"pm25": ' + b"[" * 4000)  # a sensor topic parses JSON too
    await wait_until(lambda: logged(caplog, reason))
    await wait_until(lambda: logged(caplog, "aqs: payload on"))
    assert logged(caplog, "JSON nested too deeply")
    assert not [r for r in caplog.records if r.exc_info or "Caught exception" in r.getMessage()]
    assert hub.states.get(COVER).state == "closed"
    assert hub.states.get("select.plant_alert_level").state == "normal"
