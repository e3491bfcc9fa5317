"""HJ 212 framing, CRC and data records (table-driven, no I/O)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.integrations.airquality import hj212

TZ = ZoneInfo("Asia/Shanghai")
# Public packets with their CRCs as published (HJ 212-2017 examples as quoted by several open-source
# implementations): a set-interval command and a microstation's real-time upload.
KNOWN_SET_INTERVAL = (
    b"##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;"
    b"CP=&&RtdInterval=30&&1C80\r\n"
)
KNOWN_AIR_SEGMENT = (
    "QN=20180427125809000;ST=22;CN=2011;PW=123456;MN=LXHB0CS0306310;Flag=5;CP=&&DataTime=20180427125809;"
    "a34004-Rtd=75600.000,a34004-Flag=N;a34002-Rtd=140600.000,a34002-Flag=N;a34001-Rtd=178000.000,"
    "a34001-Flag=N;a01001-Rtd=24.8,a01001-Flag=N;a01002-Rtd=46.8,a01002-Flag=N;a01006-Rtd=101.380,"
    "a01006-Flag=N;a01007-Rtd=0.0,a01007-Flag=N;a01008-Rtd=25,a01008-Flag=N;LA-Rtd=57.9,LA-Flag=N&&"
)


def test_crc_matches_published_packets() -> None:
    segment = hj212.unframe(KNOWN_SET_INTERVAL)
    assert len(segment) == 101
    assert hj212.crc16(segment.encode()) == 0x1C80
    assert hj212.crc16(KNOWN_AIR_SEGMENT.encode()) == 0x5440
    # Not the Modbus CRC, which gives 0759 for the same segment.
    assert hj212.crc16(segment.encode()) != 0x0759
    assert hj212.frame(segment) == KNOWN_SET_INTERVAL


def test_a_published_air_packet_parses() -> None:
    packet = hj212.parse_segment(hj212.unframe(hj212.frame(KNOWN_AIR_SEGMENT)))
    assert (packet.st, packet.cn, packet.mn, packet.pw, packet.qn) == (
        "22", "2011", "LXHB0CS0306310", "123456", "20180427125809000",
    )  # fmt: skip
    assert packet.wants_ack
    record = hj212.parse_data(packet.cp, TZ)
    assert record.data_time == datetime(2018, 4, 27, 12, 58, 9, tzinfo=TZ)
    values = record.values(packet.cn)
    assert values["a34004"] == (75600.0, "N")
    assert values["a01008"] == (25.0, "N")
    assert values["LA"] == (57.9, "N")


def test_round_trip_and_reply() -> None:
    at = datetime(2026, 11, 24, 8, 0, 30, tzinfo=TZ)
    wire = hj212.build_data(
        mn="AQ0001", pw="123456", cn="2051", data_time=at, qn=hj212.qn_of(at),
        values={"a34004": (37.5, "N"), "a21005": (0.62, "N"), "a01008": (225.0, "N")},
    )  # fmt: skip
    assert wire.startswith(b"##") and wire.endswith(b"\r\n")
    packet = hj212.parse_segment(hj212.unframe(wire))
    assert packet.cn == "2051" and packet.qn == "20261124080030000"
    record = hj212.parse_data(packet.cp, TZ)
    assert record.data_time == at
    assert record.values("2051") == {"a34004": (37.5, "N"), "a21005": (0.62, "N"), "a01008": (225.0, "N")}
    reply = hj212.parse_segment(hj212.unframe(hj212.build_reply(packet)))
    assert (reply.cn, reply.st, reply.qn, reply.mn, reply.flag, reply.cp) == (
        "9014", "91", packet.qn, "AQ0001", 4, "",
    )  # fmt: skip


GOOD = hj212.frame("QN=1;ST=22;CN=2011;PW=123456;MN=AQ1;Flag=5;CP=&&DataTime=20261124080000;a34004-Rtd=3&&")


@pytest.mark.parametrize(
    ("wire", "reason"),
    [
        (GOOD[:-6] + b"0000\r\n", "bad CRC"),
        (b"$" + GOOD[1:], "bad framing"),
        (GOOD[:2] + b"0x12" + GOOD[6:], "bad framing"),
        (GOOD[:2] + b"0099" + GOOD[6:], "bad length"),
        (GOOD[:2] + b"9999" + GOOD[6:], "bad length"),
        (hj212.frame("QN=1;ST=22;CN=2011;PW=1;MN=A;Flag=5;CP=&&a34004-Rtd=3"), "no CP"),
        (hj212.frame("QN=1;ST=22;CN=2011;PW=1;Flag=5;CP=&&&&"), "no MN"),
        (hj212.frame("QN=1;ST=22;CN=2011;PW=1;MN=A;Flag=x;CP=&&&&"), "Flag"),
        (GOOD[:10] + b"\xff" + GOOD[11:], "bad"),
    ],
)
def test_bad_packets_are_refused_with_the_reason(wire: bytes, reason: str) -> None:
    with pytest.raises(hj212.PacketError, match=reason):
        hj212.parse_segment(hj212.unframe(wire))


@pytest.mark.parametrize(
    ("cp", "reason"),
    [
        ("DataTime=20261124080000;x99999-Rtd=3,x99999-Flag=N", "unknown factor code 'x99999'"),
        ("a34004-Rtd=3", "no DataTime"),
        ("DataTime=20261340080000;a34004-Rtd=3", "bad DataTime"),
        ("DataTime=18000101000000;a34004-Rtd=3", "implausible DataTime"),
        ("DataTime=20261124080000;a34004-Bogus=3", "CODE-Rtd/Avg/Flag"),
        ("DataTime=20261124080000;a34004-Rtd=nan", "not a finite number"),
        ("DataTime=20261124080000;a34004-Rtd=abc", "not a number"),
    ],
)
def test_bad_data_records_are_refused(cp: str, reason: str) -> None:
    with pytest.raises(hj212.PacketError, match=reason):
        hj212.parse_data(cp, TZ).values("2011")


def test_ignored_codes_are_dropped() -> None:
    record = hj212.parse_data("DataTime=20261124080000;x99999-Rtd=3;a34004-Rtd=4", TZ, frozenset({"x99999"}))
    assert record.values("2011") == {"a34004": (4.0, "N")}


def test_split_packets_are_refused() -> None:
    with pytest.raises(hj212.PacketError, match="split packets"):
        hj212.parse_segment("QN=1;PNUM=2;PNO=1;ST=22;CN=2011;PW=1;MN=A;Flag=7;CP=&&DataTime=20261124080000&&")


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.binary(max_size=1200))
def test_any_bytes_are_a_packet_or_a_packet_error(blob: bytes) -> None:
    try:
        packet = hj212.parse_segment(hj212.unframe(blob))
        hj212.parse_data(packet.cp, TZ).values(packet.cn)
    except hj212.PacketError:
        pass


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=300))
def test_any_well_framed_segment_is_a_packet_or_a_packet_error(text: str) -> None:
    segment = f"QN=1;ST=22;CN=2011;PW=1;MN=A;Flag=5;CP=&&DataTime=20261124080000;{text}&&"
    try:
        packet = hj212.parse_segment(hj212.unframe(hj212.frame(segment)))
        hj212.parse_data(packet.cp, TZ).values(packet.cn)
    except hj212.PacketError:
        pass
