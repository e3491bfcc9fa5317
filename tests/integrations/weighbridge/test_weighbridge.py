"""Weighbridges against the simulated indicator over real sockets (and a real pseudo-terminal)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import tty
from datetime import datetime

import pytest
import yaml

from hub.core.const import EVENT_STATE_CHANGED, EVENT_VEHICLE_ARRIVED, EVENT_WEIGHT_STABLE
from hub.integrations.weighbridge.const import BACKOFF_MAX
from hub.integrations.weighbridge.frames import build_frame
from tests.common import advance, wait_state, wait_until

# A truck rolls on and off in a tenth of a second (real time: the indicator's frames are); it stands
# on the bridge until the test moves the hub's clock past its minute.
DWELL = 60
FAST = (
    f"{{arrive_seconds: 0, drive_on_seconds: 0.1, dwell_seconds: {DWELL}, clear_seconds: 0.1, "
    "frames_per_second: 50"
)


def bridge_config(extra: str, sim: str) -> str:
    return f"""\
hub: {{}}
weighbridge:
  bridges:
    - gate: east_gate
      lane: in
      indicator: 耀华 XK3190-A9
      port: 0
      timeout: 0.5
      scan_seconds: 0.05
      stable: {{readings: 5, band_kg: 20}}
      {extra}
      simulator: {FAST}, {sim}}}
"""


def arrive(hub, gross_kg: int) -> None:
    hub.bus.async_fire(
        EVENT_VEHICLE_ARRIVED,
        {
            "gate": "east_gate",
            "lane": "in",
            "direction": "in",
            "vehicle": {"plate": "冀B12345"},
            "gross_kg": gross_kg,
        },
    )


@pytest.mark.parametrize(
    ("extra", "sim"),
    [
        ("{source: tcp, format: yaohua_tf0}", "noise_kg: 4, garbled_share: 0.2"),
        ("{source: tcp, format: yaohua_tf1, unit: t}", "noise_kg: 4, garbled_share: 0.2"),
        ("{source: tcp, format: yaohua_tf2}", "noise_kg: 4, garbled_share: 0.2"),
        ("{source: modbus, modbus: {word_order: low_first, kg_per_count: 10, address: 40}}", "noise_kg: 4"),
    ],
)
async def test_a_vehicle_on_the_bridge_gives_one_stable_weight(make_hub, clock, extra, sim) -> None:
    hub = await make_hub(bridge_config(_yaml_keys(extra), sim), clock=clock)
    await wait_state(hub, "binary_sensor.east_gate_in_weighbridge_online", "on")
    weights = []
    hub.bus.async_listen(EVENT_WEIGHT_STABLE, weights.append)
    arrive(hub, 31460)
    event = await hub.bus.async_wait_for(EVENT_WEIGHT_STABLE, None, 10)
    assert event.data["weight_kg"] == 31460
    assert event.data["gate"] == "east_gate" and event.data["lane"] == "in"
    assert event.data["indicator"] == "耀华 XK3190-A9"
    assert datetime.fromisoformat(event.data["at"]).tzinfo is not None
    state = hub.states.get("sensor.east_gate_in_weight")
    assert state.state == "31460" and state.attributes["unit_of_measurement"] == "kg"
    assert state.attributes["last_stable_kg"] == 31460
    # It drives off and the next one drives on: exactly one weight each.
    arrive(hub, 18020)
    await advance(clock, DWELL)
    second = await hub.bus.async_wait_for(EVENT_WEIGHT_STABLE, lambda e: e.data["weight_kg"] != 31460, 10)
    assert second.data["weight_kg"] == 18020
    assert [e.data["weight_kg"] for e in weights] == [31460, 18020]


def _yaml_keys(flow: str) -> str:
    """`{a: 1, b: {c: 2}}` -> one `key: value` line each, for the bridge entry."""
    data = yaml.safe_load(flow)
    return "\n      ".join(
        f"{k}: {json.dumps(v)}"
        for k, v in data.items()  # JSON is YAML flow syntax
    )


@pytest.mark.parametrize("source", ["tcp", "modbus"])
async def test_an_indicator_that_stops_answering_goes_unavailable_and_comes_back(
    make_hub, clock, caplog, source
) -> None:
    caplog.set_level(logging.INFO, logger="hub.integrations.weighbridge")
    hub = await make_hub(bridge_config(f"source: {source}", "noise_kg: 0"), clock=clock)
    sim = hub.data["weighbridge"].simulators["east_gate_in"]
    await wait_state(hub, "binary_sensor.east_gate_in_weighbridge_online", "on")
    await wait_state(hub, "sensor.east_gate_in_weight", "0")
    sim.set_answering(False)
    await wait_state(hub, "sensor.east_gate_in_weight", "unavailable")
    assert hub.states.get("binary_sensor.east_gate_in_weighbridge_online").state == "off"
    [line] = [r for r in caplog.records if "not answering" in r.getMessage()]
    assert line.levelno == logging.WARNING and "east_gate_in" in line.getMessage()
    sim.set_answering(True)
    await advance(clock, BACKOFF_MAX)  # whatever the reconnect's back-off has grown to
    await wait_state(hub, "binary_sensor.east_gate_in_weighbridge_online", "on", timeout=10)
    assert hub.states.get("sensor.east_gate_in_weight").state == "0"
    assert any("answering again" in r.getMessage() for r in caplog.records)


async def test_garbled_frames_are_logged_clearly_and_counted(make_hub, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="hub.integrations.weighbridge")
    hub = await make_hub(bridge_config("source: tcp", "noise_kg: 0, garbled_share: 0.5"))
    sim = hub.data["weighbridge"].simulators["east_gate_in"]
    await wait_state(hub, "binary_sensor.east_gate_in_weighbridge_online", "on")
    sim.set_load(25000)
    await hub.bus.async_wait_for(EVENT_WEIGHT_STABLE, None, 10)
    garbled = [r.getMessage() for r in caplog.records if "garbled frame" in r.getMessage()]
    # One line for the first, then one summary a minute at most; never one per frame.
    assert len(garbled) == 1
    assert garbled[0].startswith("Weighbridge east_gate_in: garbled frame from the indicator (")
    assert hub.data["weighbridge"].readers["east_gate_in"].garbled_frames > 0


async def test_serial_port_indicator(make_hub, caplog) -> None:
    """A real serial device: the hub opens a pseudo-terminal's slave end; the test is the indicator."""
    master, slave = os.openpty()
    tty.setraw(master)
    try:
        hub = await make_hub(
            f"""\
            hub: {{}}
            weighbridge:
              bridges:
                - {{gate: east_gate, lane: in, source: serial, device: {os.ttyname(slave)},
                    format: yaohua_tf0, timeout: 1, stable: {{readings: 3, band_kg: 20}}}}
            """
        )

        # pyserial empties the input buffer when it opens the port: the indicator sends zeros until
        # the hub shows it online, then a truck (and one damaged frame) — as a real one sends all day.
        async def indicator() -> None:
            while hub.states.get("binary_sensor.east_gate_in_weighbridge_online").state != "on":
                os.write(master, build_frame("yaohua_tf0", 0))
                await asyncio.sleep(0.02)
            for kg in [0, 0, 12000, 24000, 24010, 24000, 24000, 24000, 24000]:
                os.write(master, build_frame("yaohua_tf0", kg))
                os.write(master, b"\x02+02x4000\x03" if kg == 24010 else b"")
                await asyncio.sleep(0.02)

        sending = asyncio.create_task(indicator())
        event = await hub.bus.async_wait_for(EVENT_WEIGHT_STABLE, None, 5)
        await sending
        assert event.data["weight_kg"] == 24000
        assert hub.states.get("sensor.east_gate_in_weight").state == "24000"
        assert any("garbled frame" in r.getMessage() for r in caplog.records)
    finally:
        os.close(master)
        os.close(slave)


async def test_an_indicator_stuck_at_one_load_is_a_problem_until_it_moves(make_hub, clock, caplog) -> None:
    caplog.set_level(logging.INFO, logger="hub.integrations.weighbridge")
    hub = await make_hub(bridge_config("source: tcp\n      stuck_seconds: 900", "noise_kg: 0"), clock=clock)
    sim = hub.data["weighbridge"].simulators["east_gate_in"]
    await wait_state(hub, "binary_sensor.east_gate_in_weighbridge_online", "on")
    stuck_states: list[str] = []
    hub.bus.async_listen(
        EVENT_STATE_CHANGED,
        lambda e: stuck_states.append(e.data["new_state"].state),
        event_filter=lambda e: e.data["entity_id"] == "binary_sensor.east_gate_in_weighbridge_stuck",
    )
    # An empty bridge reads 0 for ever: that is no fault (frames read after an hour of zeros).
    await advance(clock, 3600)
    sent = sim.frames_sent
    await wait_until(lambda: sim.frames_sent >= sent + 5)
    sim.set_load(31_480)  # the indicator freezes on one load, not a digit moving
    await wait_state(hub, "sensor.east_gate_in_weight", "31480")
    assert hub.states.get("binary_sensor.east_gate_in_weighbridge_stuck").state == "off"
    await advance(clock, 899)
    sent = sim.frames_sent
    await wait_until(lambda: sim.frames_sent >= sent + 5)
    assert hub.states.get("binary_sensor.east_gate_in_weighbridge_stuck").state == "off"
    await advance(clock, 1)
    await wait_state(hub, "binary_sensor.east_gate_in_weighbridge_stuck", "on")
    stuck = hub.states.get("binary_sensor.east_gate_in_weighbridge_stuck")
    assert stuck.attributes["reading_kg"] == 31_480
    assert any("without a change" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)
    sim.set_load(0)
    await wait_state(hub, "binary_sensor.east_gate_in_weighbridge_stuck", "off")
    assert stuck_states == ["on", "off"]
