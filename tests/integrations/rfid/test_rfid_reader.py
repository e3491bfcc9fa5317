"""RFID readers: the protocols' parsers (table-driven), and a reader over TCP against the simulator."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from hub.core.const import EVENT_STATE_CHANGED
from hub.integrations.rfid.protocol import (
    FrameParser,
    Garbled,
    LineParser,
    TagRead,
    active_frame,
    crc16_mcrf4xx,
)

EPC = "E2003412B802011712345678"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (f"{EPC}\r\n", [TagRead(EPC)]),
        (f"{EPC.lower()},2,-61.5\n", [TagRead(EPC, 2, -61.5)]),
        (f"EPC:{EPC} ANT:3 RSSI:-58\r", [TagRead(EPC, 3, -58.0)]),
        (f"{EPC};1\n0x00000A1B\n", [TagRead(EPC, 1), TagRead("00000A1B")]),
        ("\r\n\r\n", []),
    ],
)
def test_line_protocol_reads_tags(data: str, expected: list[TagRead]) -> None:
    assert list(LineParser().feed(data.encode())) == expected


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"hello world\n", "is no tag id"),
        (b"\xff\xfe\x01\x02\n", "not ASCII"),
        (f"{EPC},x,y\n".encode(), "not numbers"),
        (f"{EPC},1,-999\n".encode(), "out of range"),
        (b"A" * 300, "no line end"),
    ],
)
def test_line_protocol_refuses_garbage_with_the_reason(data: bytes, reason: str) -> None:
    [item] = list(LineParser().feed(data))
    assert isinstance(item, Garbled) and reason in item.reason


def test_line_protocol_waits_for_the_rest_of_a_line() -> None:
    parser = LineParser()
    assert list(parser.feed(EPC[:10].encode())) == []
    assert list(parser.feed(f"{EPC[10:]}\r\n".encode())) == [TagRead(EPC)]


def test_crc_is_crc16_mcrf4xx() -> None:
    assert crc16_mcrf4xx(b"123456789") == 0x6F91  # the catalogue's check value


def test_frame_protocol_reads_active_mode_and_inventory_answers() -> None:
    inventory_body = bytes([0x00, 0x01, 0x01, 2, 4]) + bytes.fromhex("0A0B0C0D") + bytes([2]) + b"\x12\x34"
    head = bytes([len(inventory_body) + 2]) + inventory_body
    inventory = head + crc16_mcrf4xx(head).to_bytes(2, "little")
    status_only = bytes([5, 0, 0x21, 0])
    status_only += crc16_mcrf4xx(status_only).to_bytes(2, "little")  # a valid frame without tags
    parser = FrameParser()
    stream = active_frame(EPC) + status_only + inventory
    items = [item for i in range(0, len(stream), 7) for item in parser.feed(stream[i : i + 7])]
    assert items == [TagRead(EPC), TagRead("0A0B0C0D"), TagRead("1234")]


def test_frame_protocol_skips_garbage_and_resynchronises() -> None:
    broken = bytearray(active_frame(EPC))
    broken[-1] ^= 0xFF  # a bad CRC
    items = list(FrameParser().feed(b"\x00\x01garbage" + bytes(broken) + active_frame("1234ABCD")))
    assert items[-1] == TagRead("1234ABCD")
    assert all(isinstance(i, Garbled) and "no frame" in i.reason for i in items[:-1]) and items[:-1]


def reader_yaml(protocol: str) -> str:
    reader = f"{{name: west_in_rfid, protocol: {protocol}, simulator: true}}"
    return f"hub: {{}}\nrfid:\n  readers:\n    - {reader}\n"


async def next_state(hub: Any, entity_id: str, timeout: float = 10.0) -> Any:
    event = await hub.bus.async_wait_for(
        EVENT_STATE_CHANGED,
        lambda e: e.data["entity_id"] == entity_id and e.data["new_state"].state not in ("unknown",),
        timeout,
    )
    return event.data["new_state"]


@pytest.mark.parametrize("protocol", ["line", "frame"])
async def test_a_reader_reports_tags_on_its_sensor(make_hub, clock, protocol: str) -> None:
    hub = await make_hub(reader_yaml(protocol), clock=clock)
    sim = hub.data["rfid"].simulators["west_in_rfid"]
    await sim.async_wait_connected()
    waiter = asyncio.ensure_future(next_state(hub, "sensor.west_in_rfid_tag"))
    await asyncio.sleep(0)
    await sim.async_present(EPC, antenna=2, rssi=-60)
    state = await waiter
    assert state.state == EPC and state.attributes["tag"] == EPC
    if protocol == "line":
        assert (state.attributes["antenna"], state.attributes["rssi"]) == (2, -60)
    assert state.attributes["read_at"].startswith(hub.now().isoformat()[:16])


async def test_garbage_from_a_reader_is_logged_clearly_and_the_hub_goes_on(make_hub, clock, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="hub.integrations.rfid")
    hub = await make_hub(reader_yaml("line"), clock=clock)
    sim = hub.data["rfid"].simulators["west_in_rfid"]
    waiter = asyncio.ensure_future(next_state(hub, "sensor.west_in_rfid_tag"))
    await asyncio.sleep(0)
    await sim.async_send_raw(b"\x00\xff\x13binary noise\r\nHELLO\r\n")
    await sim.async_present(EPC)
    state = await waiter  # the same connection carries on
    assert state.state == EPC
    [warning] = [r.getMessage() for r in caplog.records if "no tag read" in r.getMessage()]
    assert "west_in_rfid" in warning and "line protocol" in warning and "00 ff 13" in warning
    assert hub.states.get("sensor.west_in_rfid_tag").state == EPC


async def test_a_serial_reader_speaks_the_same_protocols(make_hub, clock) -> None:
    """The serial path, through pyserial's socket:// URL to a simulated reader (a TCP serial server)."""
    from hub.integrations.rfid.simulator import SimulatedReader

    sim = SimulatedReader("frame")
    port = await sim.async_start()
    try:
        reader = f"{{name: dock_rfid, source: serial, device: 'socket://127.0.0.1:{port}', protocol: frame}}"
        hub = await make_hub(f"hub: {{}}\nrfid:\n  readers:\n    - {reader}\n", clock=clock)
        waiter = asyncio.ensure_future(next_state(hub, "sensor.dock_rfid_tag"))
        await asyncio.sleep(0)
        await sim.async_present(EPC)
        assert (await waiter).state == EPC
    finally:
        await sim.async_stop()
