"""Indicator frame formats and stable-weight detection: pure, table-driven."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hub.integrations.weighbridge.frames import FrameError, FrameParser, FrameReading, build_frame, xor_check
from hub.integrations.weighbridge.registers import weight_from_registers, weight_to_registers
from hub.integrations.weighbridge.stability import StableWeight


@pytest.mark.parametrize(
    ("fmt", "value", "decimals", "frame"),
    [
        # The examples of the XK3190 manuals.
        ("yaohua_tf1", "3.000", 3, b"=000.3000"),
        ("yaohua_tf1", "-1.00", 2, b"=00.1000-"),
        ("yaohua_tf2", "3.000", 3, b"=0003.000"),
        ("yaohua_tf2", "-1.00", 2, b"=-0001.00"),
        ("yaohua_tf1", 31460, 0, b"=06413000"),
        ("yaohua_tf2", 31460, 0, b"=00031460"),
    ],
)
def test_equals_frames_match_the_manual(fmt, value, decimals, frame) -> None:
    assert build_frame(fmt, Decimal(str(value)), decimals) == frame
    [reading] = FrameParser(fmt).feed(frame)
    assert reading == FrameReading(Decimal(str(value)))


def test_tf0_frame_layout_and_checksum() -> None:
    frame = build_frame("yaohua_tf0", 31460)
    body = b"+0314600"
    assert frame == b"\x02" + body + xor_check(body) + b"\x03" and len(frame) == 12
    x = 0
    for byte in body:
        x ^= byte
    assert xor_check(body) == f"{x:02X}".encode()
    assert FrameParser("yaohua_tf0").feed(frame) == [FrameReading(Decimal(31460))]
    assert FrameParser("yaohua_tf0").feed(build_frame("yaohua_tf0", Decimal("-12.5"), 1)) == [
        FrameReading(Decimal("-12.5"))
    ]


@pytest.mark.parametrize(
    ("fmt", "stream", "readings", "reasons"),
    [
        # bad checksum, then a good frame split across two reads
        ("yaohua_tf0", b"\x02+0314600FF\x03" + build_frame("yaohua_tf0", 500), [500], ["bad checksum"]),
        # a frame cut short by the next one
        ("yaohua_tf0", b"\x02+031" + build_frame("yaohua_tf0", 20), [20], ["truncated frame"]),
        # line noise between frames
        ("yaohua_tf1", b"\xff\xfe=06413000", [31460], ["bytes outside a frame"]),
        ("yaohua_tf2", b"=0003x000=00031460", [31460], ["not a weight"]),
        ("yaohua_tf2", b"=00\n31460=00031460", [31460], ["not a weight"]),
        ("yaohua_tf1", b"\x00" * 600, [], ["no frame start"]),
    ],
)
def test_garbage_is_reported_and_the_parser_resynchronises(fmt, stream, readings, reasons) -> None:
    parser = FrameParser(fmt)
    out = parser.feed(stream[:7]) + parser.feed(stream[7:])
    assert [r.value for r in out if isinstance(r, FrameReading)] == readings
    assert [e.reason for e in out if isinstance(e, FrameError)] == reasons


@pytest.mark.parametrize(
    ("order", "words"), [("high_first", [0x0001, 0x86A0]), ("low_first", [0x86A0, 0x0001])]
)
def test_32_bit_weights_in_either_word_order(order, words) -> None:
    assert weight_from_registers(words, order, signed=True) == 100_000
    assert weight_to_registers(100_000, order) == words
    assert weight_from_registers(weight_to_registers(-20, order), order, signed=True) == -20
    assert weight_from_registers(weight_to_registers(-20, order), order, signed=False) == 2**32 - 20


def test_stable_weight_fires_once_per_vehicle_and_rearms_near_zero() -> None:
    detector = StableWeight(readings=4, band_kg=20, min_kg=500, zero_kg=200)
    ramp = [0, 5000, 15000, 25000, 31000]
    standing = [31450, 31470, 31460, 31460, 31455, 31460, 31465, 31460]
    fired = [w for w in (detector.add(x) for x in ramp + standing) if w is not None]
    assert fired == [31460]
    # Still standing: no second weight, even when the reading wobbles out of the band and back.
    assert [detector.add(x) for x in [31500, 31460, 31460, 31460, 31460]] == [None] * 5
    # Drives off; the next vehicle is weighed.
    for x in [20000, 3000, 100]:
        assert detector.add(x) is None
    assert [detector.add(x) for x in [18000, 18010, 18000, 18000]][-1] == 18000


def test_no_weight_below_the_minimum_or_while_moving() -> None:
    detector = StableWeight(readings=3, band_kg=10, min_kg=500, zero_kg=100)
    assert all(detector.add(x) is None for x in [300, 300, 300, 300])  # a person on the bridge
    assert all(detector.add(x) is None for x in [1000, 2000, 3000, 4000, 5000])  # still driving on
