"""Our OPC UA server against a second, independent stack: node-opcua (npm), run as a child process."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from tests.integrations.opcua.conftest import passage, receives_passages, restart_yaml


async def test_node_opcua_signs_in_reads_and_browses(opcua_hub, node_client) -> None:
    hub = await opcua_hub()
    client = await node_client(hub, "read", user="inspector1")
    line = await client.next("connected")
    assert line["type"] == "connected", line
    read = await client.next("read")
    assert read["position"] == "closed"
    assert {"Plant", "east_gate", "west_gate", "OpenBarrier"} <= set(read["children"])


async def test_node_opcua_sees_the_types_and_calls_a_method_as_its_user(opcua_hub, node_client) -> None:
    hub = await opcua_hub()
    for user, status in (("guard1", "Good"), ("inspector1", "BadUserAccessDenied")):
        client = await node_client(hub, "model", user=user)
        model = await client.next("model")
        assert model["type"] == "model", model
        assert model["laneType"].endswith(";s=LaneType")
        assert {"plate", "decision", "camera", "barrier", "weight", "display"} <= set(model["members"])
        assert model["unitId"] == 4933453  # UNECE KGM
        assert set(model["argumentRanks"]) == {-1}
        assert model["call"] == status, user


async def test_node_opcua_on_a_none_channel_is_refused(opcua_hub, node_client) -> None:
    hub = await opcua_hub()
    client = await node_client(hub, "read", user="guard1", mode="None")
    line = await client.next("read")
    assert line["type"] == "error" and "BadSecurityPolicyRejected" in line["message"], line
    await hub.async_block_till_done()
    audit = await hub.services.async_call(
        "ledger", "audit_query", {"door": "opcua", "action": "login", "outcome": "refused"}
    )
    assert [row["detail"]["method"] for row in audit["items"]] == ["security_policy_none"]


async def test_node_opcua_untrusted_until_the_cli_trusts_it(opcua_hub, node_client, node_client_cert) -> None:
    hub = await opcua_hub()
    rejected = hub.data["opcua"].server.trust.reject(node_client_cert["der"])  # as `ecogate opcua reject`
    client = await node_client(hub, "read", user="inspector1")
    line = await client.next("connected")
    assert line["type"] == "error" and "BadCertificateUntrusted" in line["message"], line
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hub", "opcua", "trust", rejected.thumbprint, "-c", str(hub.config_dir),
        stdout=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    assert await asyncio.wait_for(proc.wait(), 60) == 0
    client = await node_client(hub, "read", user="inspector1")
    assert (await client.next("read"))["position"] == "closed"


async def test_node_opcua_receives_events_again_after_a_hub_restart(opcua_hub, node_client, make_hub) -> None:
    """node-opcua's own reconnection rebuilds its session and subscription and gets passages (events and
    data) again.

    Before the fix, its Republish of a missed notification got an empty Good answer from the restarted
    hub; it asked again tens of thousands of times and never received an event again.
    """
    hub = await opcua_hub()
    client = await node_client(hub, "events", user="inspector1")
    await client.next("subscribed")
    await hub.services.async_call("ledger", "record_passage", passage(1))
    assert "冀B00001" in (await client.next("event"))["message"]

    text, config_dir = restart_yaml(hub), hub.config_dir
    await hub.async_stop()
    await client.next("connection_lost")
    again: Any = await make_hub(text, config_dir=config_dir)  # same port, same data directory
    assert "opcua" in again.loaded, again.setup_errors

    async def next_text() -> str:
        return (await client.next("event", timeout=1.0))["message"]

    assert await receives_passages(again, next_text, within=10.0)
    # Data too: the lane's last decided plate is one recorded after the restart.
    while not any(x["type"] == "data" and (x["value"] or "") >= "冀B00101" for x in client.lines):
        await client.next("data", timeout=5.0)
