"""After an outage the backlog goes out within seconds of the platform's return, and a flapping network
loses nothing, duplicates nothing and keeps each gate's order (issue 20). The link's back-off runs on the
hub's clock: the tests move the ManualClock through it instead of waiting it out."""

from __future__ import annotations

import pytest

from hub.core import Hub, ManualClock
from tests.common import advance, wait_entity, wait_state
from tests.components.uplink.conftest import passage, record, status, uplink_yaml
from tests.components.uplink.test_uplink_delivery import by_gate, two_gates

CONNECTED = "binary_sensor.uplink_province_connected"
# The test's timings: the same rules as a plant's (initial 2 s, at most 5 s apart while records wait).
RETRY = "retry: {initial_seconds: 0.1, max_seconds: 300, waiting_max_seconds: 1, request_timeout: 5}"


def outage_yaml(url: str, profile: str = "default") -> str:
    text = uplink_yaml(url, profile=profile, platform="batch_size: 10")
    return text.replace("retry: {initial_seconds: 0.02, max_seconds: 0.2, request_timeout: 5}", RETRY)


async def failed_attempts(hub: Hub, clock: ManualClock, count: int, step: float) -> None:
    """Move the hub's clock on, `step` seconds at a time, until the link has tried `count` times."""
    while (tried := hub.states.get(CONNECTED).attributes["failed_attempts"]) < count:
        await advance(clock, step)
        await wait_entity(hub, CONNECTED, lambda st, tried=tried: st.attributes["failed_attempts"] > tried)


async def test_the_backlog_goes_out_soon_after_the_platform_returns(make_hub, clock, sim) -> None:
    hub = await make_hub(outage_yaml(sim.url), clock=clock)
    await sim.async_go_down()
    data = [passage(n) for n in range(30)]
    for item in data:
        await record(hub, item)
    # Long enough down that an uncapped back-off (0.1 s doubling) would now wait 25-50 s.
    await failed_attempts(hub, clock, 10, step=1.0)
    assert hub.states.get(CONNECTED).state == "off"
    assert (await status(hub))["failed_attempts"] >= 10
    await sim.async_come_back()
    await advance(clock, 1.0)  # the capped wait: the next probe finds the platform
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
    data = [two_gates(n) for n in range(60)]
    for block in range(6):  # ten passages up, ten down, ... : the network drops right after each up block
        for item in data[block * 10 : block * 10 + 10]:
            await record(hub, item)
        if block % 2 == 0:
            await sim.async_go_down()  # a batch on its way may lose its answer
        else:
            await sim.async_come_back()
        await advance(clock, 1.0)  # the link's wait is over: it probes, or sends
    if sim.faults.down:
        await sim.async_come_back()
        await advance(clock, 1.0)
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
    # Six failed attempts: the next pause would be 8-16 s (of the hub's clock, and of the loop's).
    await failed_attempts(hub, clock, 6, step=8.0)
    await sim.async_come_back()
    data = passage(1)
    await record(hub, data)
    await sim.wait_for(lambda: data["passage_id"] in sim.received["passage"], timeout=5)
