"""HJ 212 packets cut from a TCP stream by their framing (no I/O)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from hub.integrations.airquality import hj212
from hub.integrations.airquality.framing import BadFrame, Garbage, PacketFramer

ONE = hj212.frame("QN=1;ST=22;CN=2011;PW=1;MN=A;Flag=5;CP=&&DataTime=20261124080000;a34004-Rtd=38&&")
TWO = hj212.frame("QN=2;ST=22;CN=2011;PW=1;MN=A;Flag=5;CP=&&DataTime=20261124080100;a34004-Rtd=41&&")


def packets(items: list[bytes | Garbage | BadFrame]) -> list[bytes]:
    return [item for item in items if isinstance(item, bytes)]


def test_a_packet_in_many_reads_comes_out_whole_once() -> None:
    framer = PacketFramer()
    out: list[bytes | Garbage | BadFrame] = []
    for index in range(len(ONE)):  # one byte a read: the worst a TCP stack can do
        out += framer.feed(ONE[index : index + 1])
    assert out == [ONE] and framer.pending == 0


def test_two_packets_in_one_read_and_one_and_a_half() -> None:
    framer = PacketFramer()
    assert framer.feed(ONE + TWO) == [ONE, TWO]
    assert framer.feed(ONE + TWO[:20]) == [ONE]
    assert framer.feed(TWO[20:]) == [TWO]


def test_garbage_between_packets_is_skipped_and_reported() -> None:
    framer = PacketFramer()
    out = framer.feed(b"\x00\xffAT+OK" + ONE + b"#" + b"noise#" + TWO)
    assert packets(out) == [ONE, TWO]
    skipped = [item for item in out if isinstance(item, Garbage)]
    assert [g.size for g in skipped] == [7, 7]
    assert "7 bytes of garbage between packets skipped" in str(skipped[0])


def test_a_length_that_lies_is_refused_and_the_next_packet_still_found() -> None:
    framer = PacketFramer()
    too_short = b"##0050" + ONE[6:]  # the CRLF is not where 50 puts it
    too_long = b"##0900" + ONE[6:]  # the CRLF comes long before 900
    over = b"##2000" + ONE[6:]  # beyond the standard's 1024
    for liar in (too_short, too_long, over):
        out = framer.feed(liar + TWO)
        refused = [item for item in out if isinstance(item, BadFrame)]
        assert len(refused) == 1 and "bad length" in str(refused[0])
        assert packets(out) == [TWO]
    out = framer.feed(b"##12ab" + ONE)
    assert "not 4 digits" in str(out[0]) and packets(out) == [ONE]


def test_a_header_waits_for_the_rest_of_the_length() -> None:
    framer = PacketFramer()
    assert framer.feed(b"#") == []
    assert framer.feed(b"#00") == []
    assert framer.feed(ONE[4:]) == [ONE]


@settings(max_examples=120, deadline=None, derandomize=True)
@given(st.lists(st.binary(max_size=40), max_size=6), st.lists(st.integers(1, 64), min_size=1, max_size=8))
def test_any_noise_and_any_cuts_keep_every_whole_packet(noises: list[bytes], cuts: list[int]) -> None:
    stream = b"".join(noise.replace(b"#", b"") + packet for noise in noises for packet in (ONE, TWO))
    framer = PacketFramer()
    out: list[bytes | Garbage | BadFrame] = []
    position, index = 0, 0
    while position < len(stream):
        size = cuts[index % len(cuts)]
        out += framer.feed(stream[position : position + size])
        position, index = position + size, index + 1
    assert packets(out) == [ONE, TWO] * len(noises)
    assert all(hj212.unframe(packet) for packet in packets(out))
