"""Two-step release over OPC UA: on a lane where an officer approves every guard's release, a guard's
SpecialRelease moves nothing and answers that it is a request (with its id); an officer's goes through.
The real policy, ledger and web console's release desk; a real asyncua client as each person."""

from __future__ import annotations

from typing import Any

from hub.core.const import EVENT_PASSAGE_RECORDED
from tests.common import wait_until
from tests.integrations.opcua.conftest import NAMESPACE, node, passage

TWO_STEP = "policy: {}\nui: {port: 0, release: [{gate: east_gate, release: two_step}]}\n"


async def call(client: Any, method: str, *args: Any) -> Any:
    idx = await client.get_namespace_index(NAMESPACE)
    return await (await node(client, "EcoGate")).call_method(f"{idx}:{method}", *args)


async def test_a_guards_special_release_is_a_request_an_officers_is_done(opcua_hub, connect) -> None:
    hub = await opcua_hub(TWO_STEP)
    assert {"policy", "ui"} <= set(hub.loaded), hub.setup_errors
    denied = passage(7, decision="deny")  # recorded earlier: the truck is long gone
    await hub.services.async_call("ledger", "record_passage", denied)
    releases: list[dict[str, Any]] = []
    hub.bus.async_listen(
        EVENT_PASSAGE_RECORDED,
        lambda e: releases.append(dict(e.data)) if e.data["kind"] == "release" else None,
    )

    async with connect(hub, "guard1") as client:
        result, request_id = await call(
            client, "SpecialRelease", denied["passage_id"], "持环保特批单", "张主任"
        )
        assert result == "release requested, awaiting approval" and request_id
        # Asked again: the same request, not a second one.
        assert await call(client, "SpecialRelease", denied["passage_id"], "持环保特批单", "") == [
            result,
            request_id,
        ]

    async def requested_over_opcua() -> bool:
        audit = await hub.services.async_call("ledger", "audit_query", {"action": "ui.release_requested"})
        return [(r["door"], r["detail"]["id"], r["detail"]["requester"]) for r in audit["items"]] == [
            ("opcua", request_id, "guard1")
        ]

    await wait_until(requested_over_opcua)
    await hub.async_block_till_done()
    assert releases == []  # the guard's word alone (and the approver they named) released nothing

    async with connect(hub, "officer1") as client:
        assert await call(client, "SpecialRelease", denied["passage_id"], "环保专员特批", "") == ["done", ""]
    await hub.async_block_till_done()
    assert [(r["passage_id"], r["actor"]) for r in releases] == [
        (denied["passage_id"], hub.auth.by_name("officer1").id)
    ]
