"""After an outage the backlog goes out within seconds of the platform's return, and a flapping network
loses nothing, duplicates nothing and keeps each gate's order (issue 20)."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from tests.common import wait_entity, wait_state
from tests.components.uplink.conftest import passage, record, status, uplink_yaml
from tests.components.uplink.test_uplink_delivery import by_gate, two_gates

CONNECTED = "binary_sensor.uplink_province_connected"
# The test's timings: the same rules as a plant's (initial 2 s, at most 5 s apart while records wait).
RETRY = "retry: {initial_seconds: 0.1, max_seconds: 300, waiting_max_seconds: 1, request_timeout: 5}"


def outage_yaml(url: str, profile: str = "default") -> str:
    text = uplink_yaml(url, profile=profile, platform="batch_size: 10")
    return text.replace("retry: {initial_seconds: 0.02, max_seconds: 0.2, request_timeout: 5}", RETRY)


async def test_the_backlog_goes_out_soon_after_the_platform_returns(make_hub, clock, sim) -> None:
    hub = await make_hub(outage_yaml(sim.url), clock=clock)
    await sim.async_go_down()
    data = [passage(n) for n in range(30)]
    for item in data:
        await record(hub, item)
    # Long enough down that an uncapped back-off (0.1 s doubling) would now wait 25-50 s.
    await wait_entity(hub, CONNECTED, lambda st: st.attributes["failed_attempts"] >= 10, timeout=30)
    assert hub.states.get(CONNECTED).state == "off"
    assert (await status(hub))["failed_attempts"] >= 10
    await sim.async_come_back()
    await sim.wait_for(lambda: len(sim.ids()) == 30, timeout=10)
    assert sim.ids() == [d["passage_id"] for d in data]
    await wait_state(hub, CONNECTED, lambda s: s == "on")
    assert hub.states.get(CONNECTED).attributes["failed_attempts"] == 0


@pytest.mark.parametrize(("profile", "gate_field"), [("default", "gateCode"), ("tcp_json", "gate")])
async def test_a_flapping_network_delivers_everything_once_in_order(
    make_hub, clock, start_sim, profile, gate_field
) -> None:
    sim = await start_sim(profile)
    hub = await make_hub(outage_yaml(sim.url, profile), clock=clock)
    flapped = asyncio.Event()

    async def flap() -> None:  # down 0.7 s, up 0.5 s, for as long as traffic runs
        for n in range(1000):
            await sim.async_go_down()
            await asyncio.sleep(0.7)
            await sim.async_come_back()
            if n >= 2:
                flapped.set()
            await asyncio.sleep(0.5)

    flapping = asyncio.create_task(flap())
    data = [two_gates(n) for n in range(60)]
    try:
        for n, item in enumerate(data):
            await record(hub, item)
            if n % 10 == 9:
                await asyncio.sleep(0.3)  # traffic spread over several flaps
    finally:
        await asyncio.wait_for(flapped.wait(), 10)
        flapping.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await flapping
    if sim.faults.down:
        await sim.async_come_back()
    await sim.wait_for(lambda: len(sim.ids()) == 60, timeout=15)
    # Each record kept once (an answer lost in a flap is resent and deduplicated), each gate in order.
    assert sorted(sim.ids()) == sorted(d["passage_id"] for d in data)
    assert sim.by_field("passage", gate_field) == by_gate(data)
    await wait_state(hub, "sensor.uplink_province_pending", lambda s: s == "0")
    day = (await status(hub))["days"][0]
    assert (day["due"], day["acknowledged"], day["rejected"]) == (60, 60, 0)


async def test_a_passage_during_a_quiet_outage_goes_out_soon_after_the_return(make_hub, clock, sim) -> None:
    """With nothing to send only the control poll fails and backs off towards max_seconds; a passage
    recorded meanwhile must not wait that out."""
    text = outage_yaml(sim.url).replace("initial_seconds: 0.1", "initial_seconds: 0.5")
    hub = await make_hub(text, clock=clock)
    await sim.async_go_down()
    # Five failed polls: the next pause would be 8-16 s.
    await wait_entity(hub, CONNECTED, lambda st: st.attributes["failed_attempts"] >= 5, timeout=30)
    await sim.async_come_back()
    data = passage(1)
    await record(hub, data)
    await sim.wait_for(lambda: data["passage_id"] in sim.received["passage"], timeout=5)
