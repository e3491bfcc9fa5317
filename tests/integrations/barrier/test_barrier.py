"""Barrier lanes against the simulated PLC over real Modbus TCP: open/close, display, alarm, faults."""

from __future__ import annotations

import logging

import pytest

from hub.core import HubError, ServiceValidationError
from hub.core.const import EVENT_STATE_CHANGED
from tests.common import advance, wait_state, wait_until

CONFIG = """\
hub: {}
barrier:
  lanes:
    - gate: east_gate
      lane: in
      port: 0
      scan_seconds: 0.05
      timeout: 0.3
      registers: {pulse_seconds: 0.05}
      simulator: {travel_seconds: 0.3}
"""


@pytest.fixture
async def lane(make_hub, clock):
    hub = await make_hub(CONFIG, clock=clock)
    plc = hub.data["barrier"].simulators["east_gate_in"]
    await wait_state(hub, "binary_sensor.east_gate_in_barrier_online", "on")
    await wait_state(hub, "cover.east_gate_in_barrier", "closed")
    return hub, plc


async def test_open_moves_the_arm_through_opening_to_open_and_close_brings_it_back(lane) -> None:
    hub, plc = lane
    seen: list[str] = []
    hub.bus.async_listen(
        EVENT_STATE_CHANGED,
        lambda e: seen.append(e.data["new_state"].state),
        event_filter=lambda e: e.data["entity_id"] == "cover.east_gate_in_barrier",
    )
    await hub.services.async_call("barrier", "open", {"gate": "east_gate", "lane": "in"})
    await wait_state(hub, "cover.east_gate_in_barrier", "open")
    assert seen == ["opening", "open"]
    assert plc.position == "open"
    await hub.services.async_call("barrier", "close", {"gate": "east_gate", "lane": "in"})
    await wait_state(hub, "cover.east_gate_in_barrier", "closed")
    assert seen == ["opening", "open", "closing", "closed"]


async def test_display_text_lands_in_the_plc_registers_as_gb2312(lane) -> None:
    hub, plc = lane
    text = "冀B12345 国四柴油货车禁止入厂"
    answer = await hub.services.async_call(
        "barrier", "display", {"gate": "east_gate", "lane": "in", "text": text, "seconds": 60}
    )
    assert answer == {"text": text, "truncated": False}
    assert plc.display_text == text
    raw = b"".join(w.to_bytes(2, "big") for w in plc.tables.holding_registers[100:132])
    assert raw.rstrip(b"\x00") == text.encode("gb2312")
    state = hub.states.get("sensor.east_gate_in_display")
    assert state.state == text and state.attributes["until"]


async def test_display_refuses_characters_outside_gb2312_and_cuts_long_text(lane) -> None:
    hub, plc = lane
    with pytest.raises(ServiceValidationError, match="gb2312"):
        await hub.services.async_call(
            "barrier", "display", {"gate": "east_gate", "lane": "in", "text": "禁止😀"}
        )
    long_text = "禁止入厂" * 20  # 160 bytes; the display holds 64
    answer = await hub.services.async_call(
        "barrier", "display", {"gate": "east_gate", "lane": "in", "text": long_text}
    )
    assert answer["truncated"] and answer["text"] == "禁止入厂" * 8
    assert plc.display_text == "禁止入厂" * 8


async def test_display_returns_to_the_idle_text_when_its_time_is_up(make_hub, clock) -> None:
    config = CONFIG.replace("registers:", "display: {idle_text: 欢迎光临}\n      registers:")
    hub = await make_hub(config, clock=clock)
    plc = hub.data["barrier"].simulators["east_gate_in"]
    await wait_state(hub, "binary_sensor.east_gate_in_barrier_online", "on")
    await hub.services.async_call(
        "barrier", "display", {"gate": "east_gate", "lane": "in", "text": "请减速慢行", "seconds": 60}
    )
    assert plc.display_text == "请减速慢行"
    await advance(clock, 59)
    assert hub.states.get("sensor.east_gate_in_display").state == "请减速慢行"
    await advance(clock, 1)
    await wait_state(hub, "sensor.east_gate_in_display", "欢迎光临")
    assert plc.display_text == "欢迎光临"


async def test_alarm_sets_the_coil_and_stops_by_itself(lane, clock) -> None:
    hub, plc = lane
    await hub.services.async_call("barrier", "alarm", {"gate": "east_gate", "lane": "in", "seconds": 30})
    assert plc.alarm is True
    assert hub.states.get("binary_sensor.east_gate_in_alarm").state == "on"
    await advance(clock, 29)
    assert plc.alarm is True
    await advance(clock, 1)
    await wait_state(hub, "binary_sensor.east_gate_in_alarm", "off")
    assert plc.alarm is False


async def test_fault_input_shows_as_fault(lane) -> None:
    hub, plc = lane
    plc.set_fault(True)
    await wait_state(hub, "cover.east_gate_in_barrier", "fault")
    plc.set_fault(False)
    await wait_state(hub, "cover.east_gate_in_barrier", "closed")


@pytest.mark.parametrize("fault", ["mute", "garble", "refuse"])
async def test_a_plc_that_stops_answering_goes_unavailable_and_comes_back(lane, caplog, fault) -> None:
    hub, plc = lane
    caplog.set_level(logging.INFO, logger="hub.integrations.barrier")
    {
        "mute": lambda: plc.set_answering(False),
        "garble": lambda: plc.set_garbled(True),
        "refuse": lambda: plc.set_refusing(4),
    }[fault]()
    await wait_state(hub, "cover.east_gate_in_barrier", "unavailable")
    assert hub.states.get("binary_sensor.east_gate_in_barrier_online").state == "off"
    assert hub.states.get("binary_sensor.east_gate_in_alarm").state == "unavailable"
    assert hub.states.get("sensor.east_gate_in_display").state == "unavailable"
    with pytest.raises(HubError, match="PLC not answering"):
        await hub.services.async_call("barrier", "open", {"gate": "east_gate", "lane": "in"})
    [line] = [r for r in caplog.records if r.name == "hub.integrations.barrier.device"]
    assert "east_gate_in" in line.getMessage()
    assert line.levelno == logging.WARNING
    if fault == "refuse":
        assert "exception 4 (device failure)" in line.getMessage()
    else:
        assert "no valid reply within 0.3 s" in line.getMessage()
    plc.set_answering(True)
    plc.set_garbled(False)
    plc.set_refusing(None)
    await wait_state(hub, "cover.east_gate_in_barrier", "closed", timeout=10)
    assert hub.states.get("binary_sensor.east_gate_in_barrier_online").state == "on"
    assert any("answering again" in r.getMessage() for r in caplog.records)
    await hub.services.async_call("barrier", "open", {"gate": "east_gate", "lane": "in"})
    await wait_state(hub, "cover.east_gate_in_barrier", "open")


async def test_a_plc_that_goes_away_entirely_is_reconnected(lane) -> None:
    hub, plc = lane
    port = plc.port
    await plc.server.async_stop()
    await wait_state(hub, "cover.east_gate_in_barrier", "unavailable")
    plc.server.port = port
    await plc.server.async_start()
    await wait_state(hub, "cover.east_gate_in_barrier", "closed", timeout=10)


async def test_unknown_lane_and_bad_data_are_refused(lane) -> None:
    hub, _ = lane
    with pytest.raises(HubError, match="no barrier configured for lane west_gate_main"):
        await hub.services.async_call("barrier", "open", {"gate": "west_gate", "lane": "main"})
    with pytest.raises(ServiceValidationError):
        await hub.services.async_call("barrier", "alarm", {"gate": "east_gate", "lane": "in", "seconds": -1})


async def test_status_word_inputs_and_tcp_display(make_hub) -> None:
    hub = await make_hub(
        """\
        hub: {}
        barrier:
          lanes:
            - gate: west_gate
              lane: main
              port: 0
              scan_seconds: 0.05
              registers: {inputs: holding_registers, inputs_address: 10, opening_input: null,
                          closing_input: null, close_coil: null, pulse_seconds: 0.05}
              display: {kind: tcp}
              simulator: {travel_seconds: 0.2, auto_close_seconds: 0.3}
        """
    )
    plc = hub.data["barrier"].simulators["west_gate_main"]
    await wait_state(hub, "cover.west_gate_main_barrier", "closed")
    await hub.services.async_call("barrier", "open", {"gate": "west_gate", "lane": "main"})
    await wait_state(hub, "cover.west_gate_main_barrier", "open")
    # The demo's simulated barrier closes by itself once the vehicle passed.
    await wait_state(hub, "cover.west_gate_main_barrier", "closed")
    with pytest.raises(HubError, match="no close coil"):
        await hub.services.async_call("barrier", "close", {"gate": "west_gate", "lane": "main"})
    await hub.services.async_call(
        "barrier", "display", {"gate": "west_gate", "lane": "main", "text": "一路平安"}
    )
    # The TCP display's text arrives on another connection: nothing to wait on but the text itself.
    await wait_until(lambda: plc.display_text == "一路平安", timeout=5)


async def test_a_plc_down_for_a_while_is_back_within_a_poll_interval_of_answering(
    make_hub, clock, caplog
) -> None:
    # Found: the reconnect waited 0.5, 1, 2, 4 ... 30 s, so a PLC back after an outage stayed
    # "unavailable" (and the lane's barrier unusable) for up to half a minute.
    caplog.set_level(logging.DEBUG, logger="hub.integrations.barrier.device")
    hub = await make_hub(
        CONFIG.replace("scan_seconds: 0.05", "scan_seconds: 5").replace("timeout: 0.3", "timeout: 0.1"),
        clock=clock,
    )
    plc = hub.data["barrier"].simulators["east_gate_in"]
    await wait_state(hub, "cover.east_gate_in_barrier", "closed")
    plc.set_answering(False)

    def failures() -> int:
        return sum("not answering" in r.getMessage() for r in caplog.records)

    # A 40 s outage, polled every 5 s on the hub's clock: each poll is asked and fails.
    for polls in range(1, 9):
        await advance(clock, 5)
        await wait_until(lambda polls=polls: failures() >= polls, timeout=2.0)
    assert hub.states.get("cover.east_gate_in_barrier").state == "unavailable"
    plc.set_answering(True)
    # Back at the next poll (5 s on the hub's clock); a back-off grown over the outage would still be
    # asleep, on the hub's clock or on the loop's.
    await advance(clock, 5)
    await wait_state(hub, "cover.east_gate_in_barrier", "closed", timeout=2.0)
