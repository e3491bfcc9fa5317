"""Our OPC UA server against real asyncua clients: address space, passage events, methods, security."""

from __future__ import annotations

import asyncio
import os
import stat
from typing import Any

import pytest
from asyncua import Client, ua
from cryptography import x509

from hub.core.const import EVENT_SERVICE_CALLED, EVENT_USER_LOGIN
from tests.common import wait_state
from tests.integrations.opcua.conftest import NAMESPACE, node, passage

REASON = "消防车进厂"  # an opening by hand says why


class EventCatcher:
    """asyncua subscription handler: events into a queue."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[Any] = asyncio.Queue()

    def event_notification(self, event: Any) -> None:
        self.queue.put_nowait(event)

    async def next(self, timeout: float = 5.0) -> Any:
        return await asyncio.wait_for(self.queue.get(), timeout)


async def value_of(client: Any, node_id: str) -> Any:
    return await (await node(client, node_id)).read_value()


async def test_address_space_has_the_lanes_and_plant_with_typed_variables(opcua_hub, connect) -> None:
    hub = await opcua_hub()
    async with connect(hub, "inspector1") as client:
        idx = await client.get_namespace_index(NAMESPACE)
        ecogate = await client.nodes.objects.get_child(f"{idx}:EcoGate")
        assert ecogate.nodeid == ua.NodeId("EcoGate", idx)
        names = {(await child.read_browse_name()).Name for child in await ecogate.get_children()}
        assert {"Plant", "east_gate", "west_gate", "OpenBarrier", "SpecialRelease", "SetAlertLevel"} <= names

        # Browse path and explicit string node id name the same variable.
        position = await ecogate.get_child(
            [f"{idx}:east_gate", f"{idx}:in", f"{idx}:barrier", f"{idx}:position"]
        )
        assert position.nodeid == ua.NodeId("east_gate.in.barrier.position", idx)
        assert await position.read_value() == "closed"
        assert await position.read_data_type_as_variant_type() == ua.VariantType.String
        online = await node(client, "east_gate.in.barrier.online")
        assert await online.read_value() is True
        assert await online.read_data_type_as_variant_type() == ua.VariantType.Boolean
        # A configured lane without entities yet has its standard variables (test_opcua_restore.py).
        assert await (await node(client, "west_gate.main")).get_children() != []

        # Entities that appear later get their variables: a weight, a plate, a camera of a new lane.
        hub.states.async_set("sensor.east_gate_in_weight", "31250.5", {"steady": True})
        hub.states.async_set(
            "sensor.west_gate_main_plate", "冀B12345",
            {"gate": "west_gate", "lane": "main", "colour": "yellow", "confidence": 0.97, "direction": "in",
             "needs_review": False, "read_id": "R1"},
        )  # fmt: skip
        hub.states.async_set(
            "binary_sensor.north_gate_out_camera_online", "on", {"gate": "north_gate", "lane": "out"}
        )
        hub.states.async_set(
            "select.plant_alert_level", "orange", {"response_level": "II", "measure": "限产"}
        )
        hub.states.async_set("sensor.plant_entries_today", "12")
        hub.states.async_set("sensor.uplink_province_pending", "7")
        hub.states.async_set("sensor.uplink_city_pending", "5")
        await hub.async_block_till_done()

        kg = await node(client, "east_gate.in.weight.kg")
        assert await kg.read_value() == 31250.5
        assert await kg.read_data_type_as_variant_type() == ua.VariantType.Double
        assert await value_of(client, "east_gate.in.weight.steady") is True
        assert await value_of(client, "west_gate.main.plate.text") == "冀B12345"
        assert await value_of(client, "west_gate.main.plate.colour") == "yellow"
        assert await value_of(client, "west_gate.main.plate.confidence") == pytest.approx(97.0)  # percent
        assert await value_of(client, "north_gate.out.camera.online") is True
        assert await value_of(client, "Plant.alert_level") == "orange"
        assert await value_of(client, "Plant.alert_measure") == "限产"
        entries = await node(client, "Plant.entries_today")
        assert await entries.read_value() == 12
        assert await entries.read_data_type_as_variant_type() == ua.VariantType.UInt32
        assert await value_of(client, "Plant.upload_backlog") == 12
        assert await value_of(client, "Plant.upload_backlog_province") == 7

        # The barrier moving shows in the variable.
        await hub.services.async_call("barrier", "open", {"gate": "east_gate", "lane": "in"})
        await wait_state(hub, "cover.east_gate_in_barrier", "open")
        await hub.async_block_till_done()
        assert await position.read_value() == "open"

        # An entity going unavailable: the variable's status goes bad, its type stays.
        hub.states.async_set("sensor.east_gate_in_weight", "unavailable", {})
        await hub.async_block_till_done()
        value = await kg.read_data_value(raise_on_bad_status=False)
        assert value.StatusCode.value == ua.StatusCodes.BadNoCommunication
        hub.states.async_set("sensor.east_gate_in_weight", "18000", {"steady": False})
        await hub.async_block_till_done()
        assert await kg.read_value() == 18000.0


async def test_each_recorded_passage_is_one_gate_passage_event(opcua_hub, connect) -> None:
    hub = await opcua_hub()
    async with connect(hub, "inspector1") as client:
        etype = await node(client, "GatePassageEventType")
        on_ecogate, on_server = EventCatcher(), EventCatcher()
        sub = await client.create_subscription(20, on_ecogate)
        await sub.subscribe_events(await node(client, "EcoGate"), etype)
        sub2 = await client.create_subscription(20, on_server)
        await sub2.subscribe_events(client.nodes.server, etype)

        sent = [
            passage(1, decision="deny"),
            passage(2, decision="allow", reason_code="OK", reason_text="国六放行"),
        ]
        results = [await hub.services.async_call("ledger", "record_passage", data) for data in sent]
        # A follow-up row is recorded too, but it is not a passage: no event for it.
        await hub.services.async_call(
            "ledger", "record_followup",
            {"passage_id": sent[1]["passage_id"], "kind": "lifecycle", "data": {"state": "closed"}},
        )  # fmt: skip
        sent.append(
            passage(3, gate="west_gate", lane="main", direction="out", decision="allow", reason_code="OK")
        )
        results.append(await hub.services.async_call("ledger", "record_passage", sent[2]))

        idx = await client.get_namespace_index(NAMESPACE)
        for catcher in (on_ecogate, on_server):
            for data, result in zip(sent, results, strict=True):
                event = await catcher.next()
                assert event.PassageId == data["passage_id"]
                assert event.Seq == result["seq"]
                assert (event.Gate, event.Lane, event.Direction) == (
                    data["gate"],
                    data["lane"],
                    data["direction"],
                )
                assert (event.Plate, event.Colour) == (data["plate"], "yellow")
                assert (event.VehicleClass, event.EmissionStage) == ("transport", "5")
                assert (event.Decision, event.ReasonCode) == (data["decision"], data["reason_code"])
                assert event.ReasonText == data["reason_text"]
                assert event.RecordedTime.tzinfo is not None
                assert event.SourceNode == ua.NodeId(f"{data['gate']}.{data['lane']}", idx)
                assert event.Severity == (600 if data["decision"] == "deny" else 100)
            assert catcher.queue.empty()

        # The lane's last decision follows the ledger.
        assert await value_of(client, "east_gate.in.decision.value") == "allow"
        assert await value_of(client, "east_gate.in.decision.seq") == results[1]["seq"]
        assert await value_of(client, "west_gate.main.decision.passage_id") == sent[2]["passage_id"]


async def test_open_barrier_method_acts_as_the_signed_in_user(opcua_hub, connect) -> None:
    hub = await opcua_hub()
    calls: list[dict[str, Any]] = []
    hub.bus.async_listen(EVENT_SERVICE_CALLED, lambda e: calls.append(dict(e.data)))
    guard = hub.auth.by_name("guard1")
    async with connect(hub, "guard1") as client:
        idx = await client.get_namespace_index(NAMESPACE)
        ecogate = await node(client, "EcoGate")
        assert await ecogate.call_method(f"{idx}:OpenBarrier", "east_gate", "in", REASON) == ["done", ""]
        await wait_state(hub, "cover.east_gate_in_barrier", "open")
        opened = [c for c in calls if c["service"] == "open"]
        assert opened[-1]["door"] == "opcua" and opened[-1]["user_id"] == guard.id
        assert opened[-1]["outcome"] == "ok"

        with pytest.raises(ua.uaerrors.BadInvalidArgument):  # no barrier on that lane
            await ecogate.call_method(f"{idx}:OpenBarrier", "north_gate", "in", REASON)
        with pytest.raises(ua.uaerrors.BadInvalidArgument):  # not a gate name
            await ecogate.call_method(f"{idx}:OpenBarrier", "East Gate", "in", REASON)
        with pytest.raises(ua.uaerrors.BadInvalidArgument):  # not a string
            await ecogate.call_method(f"{idx}:OpenBarrier", ua.Variant(5, ua.VariantType.Int32), "in", REASON)
        with pytest.raises(ua.uaerrors.BadArgumentsMissing):
            await ecogate.call_method(f"{idx}:OpenBarrier", "east_gate")

    await hub.services.async_call("barrier", "close", {"gate": "east_gate", "lane": "in"})
    await wait_state(hub, "cover.east_gate_in_barrier", "closed")
    inspector = hub.auth.by_name("inspector1")
    async with connect(hub, "inspector1") as client:  # signed in, but the barrier needs guard or engineer
        idx = await client.get_namespace_index(NAMESPACE)
        with pytest.raises(ua.uaerrors.BadUserAccessDenied):
            await (await node(client, "EcoGate")).call_method(f"{idx}:OpenBarrier", "east_gate", "in", REASON)
    assert hub.states.get("cover.east_gate_in_barrier").state == "closed"
    refused = [c for c in calls if c["service"] == "open" and c["outcome"] == "refused"]
    assert refused and refused[-1]["user_id"] == inspector.id and refused[-1]["door"] == "opcua"
    await hub.async_block_till_done()
    audit = await hub.services.async_call(
        "ledger", "audit_query", {"door": "opcua", "action": "barrier.open"}
    )
    assert {row["outcome"] for row in audit["items"]} >= {"ok", "refused"}


async def test_no_session_without_valid_credentials_or_signing(opcua_hub, connect) -> None:
    hub = await opcua_hub()
    logins: list[dict[str, Any]] = []
    hub.bus.async_listen(EVENT_USER_LOGIN, lambda e: logins.append(dict(e.data)))
    with pytest.raises(ua.uaerrors.BadIdentityTokenRejected):  # anonymous is off by default
        async with connect(hub, None):
            pass
    with pytest.raises(ua.uaerrors.BadUserAccessDenied):
        async with connect(hub, "guard1", password="wrong-password"):
            pass
    with pytest.raises(ua.uaerrors.BadUserAccessDenied):
        async with connect(hub, "nobody", password="whatever-it-is"):
            pass
    with pytest.raises(ua.uaerrors.BadSecurityPolicyRejected):  # no session on an unsigned channel
        async with connect(hub, "guard1", mode="None"):
            pass
    endpoints = await Client(hub.data["opcua"].endpoint).connect_and_get_server_endpoints()
    assert {(e.SecurityPolicyUri.rsplit("#")[-1], e.SecurityMode.name) for e in endpoints} == {
        ("Basic256Sha256", "Sign"),
        ("Basic256Sha256", "SignAndEncrypt"),
    }
    assert all(t.TokenType == ua.UserTokenType.UserName for e in endpoints for t in e.UserIdentityTokens)
    assert [(x["username"], x["outcome"], x["door"]) for x in logins] == [
        ("", "refused", "opcua"),  # the anonymous one
        ("guard1", "failed", "opcua"),
        ("nobody", "failed", "opcua"),
        ("", "refused", "opcua"),  # the unsigned channel
    ]
    async with connect(hub, "guard1", mode="Sign") as client:  # signed but not encrypted is fine
        assert await value_of(client, "east_gate.in.barrier.position") == "closed"
    assert logins[-1]["outcome"] == "ok" and logins[-1]["user_id"] == hub.auth.by_name("guard1").id


async def test_anonymous_and_none_policy_only_when_configured(opcua_hub, connect) -> None:
    hub = await opcua_hub("  allow_anonymous: true\n  allow_none_policy: true\n")
    async with connect(hub, None, mode="None") as client:
        assert await value_of(client, "east_gate.in.barrier.position") == "closed"
        idx = await client.get_namespace_index(NAMESPACE)
        with pytest.raises(ua.uaerrors.BadUserAccessDenied):  # anonymous never acts
            await (await node(client, "EcoGate")).call_method(f"{idx}:OpenBarrier", "east_gate", "in", REASON)
    assert hub.states.get("cover.east_gate_in_barrier").state == "closed"


async def test_certificate_made_on_first_start_and_kept(opcua_hub, connect, make_hub) -> None:
    hub = await opcua_hub()
    folder = hub.data_dir / "opcua"
    cert_bytes = (folder / "server_cert.der").read_bytes()
    cert = x509.load_der_x509_certificate(cert_bytes)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "urn:ecogate:hub:server" in san.get_values_for_type(x509.UniformResourceIdentifier)
    assert stat.S_IMODE(os.stat(folder / "server_key.pem").st_mode) == 0o600
    async with connect(hub, "guard1", mode="SignAndEncrypt") as client:
        assert client.security_policy.Mode == ua.MessageSecurityMode.SignAndEncrypt
        assert client.security_policy.peer_certificate == cert_bytes
        assert await value_of(client, "east_gate.in.barrier.position") == "closed"

    config_dir = hub.config_dir
    await hub.async_stop()
    again = await make_hub((config_dir / "configuration.yaml").read_text(), config_dir=config_dir)
    assert "opcua" in again.loaded
    assert (folder / "server_cert.der").read_bytes() == cert_bytes
