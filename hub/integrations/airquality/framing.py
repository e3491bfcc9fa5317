"""Cutting an HJ 212 byte stream into packets by their framing, not by line ends.

TCP keeps no message boundaries: a station's packet may arrive in several reads, two packets in one,
and a serial-to-Ethernet converter may add noise between them. A packet is `##` + 4 digits of length +
that many characters of data segment + 4 hex of CRC + CRLF, so the length says where it ends. Bytes
before a `##` are garbage, skipped and reported; a length that lies (over the standard's 1024, or a
packet whose CRLF is not where the length puts it) is refused, and the search starts again after that
`##`, so the packet that follows is still found.
"""

from __future__ import annotations

from dataclasses import dataclass

from .hj212 import HEADER, MAX_SEGMENT, TRAILER

_HEAD = len(HEADER) + 4  # "##" and the length
_TAIL = 4 + len(TRAILER)  # CRC and CRLF


@dataclass(frozen=True, slots=True)
class Garbage:
    """Bytes skipped between packets (at most the first 16 kept, to show in the log)."""

    size: int
    sample: bytes

    def __str__(self) -> str:
        return f"{self.size} bytes of garbage between packets skipped ({self.sample!r})"


@dataclass(frozen=True, slots=True)
class BadFrame:
    """A `##` whose length cannot be right; the stream is searched again after it."""

    reason: str

    def __str__(self) -> str:
        return self.reason


class PacketFramer:
    """Feed it what the socket gave; it returns whole packets (bytes, CRLF included) and what it skipped."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    @property
    def pending(self) -> int:
        """Bytes held for a packet not yet complete."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[bytes | Garbage | BadFrame]:
        self._buffer += data
        out: list[bytes | Garbage | BadFrame] = []
        while item := self._next():
            out.append(item)
        return out

    def _next(self) -> bytes | Garbage | BadFrame | None:
        buffer = self._buffer
        start = buffer.find(HEADER)
        if start < 0:
            # Keep a last "#": it may be the first half of the next header.
            keep = 1 if buffer.endswith(b"#") else 0
            return self._skip(len(buffer) - keep) if len(buffer) > keep else None
        while buffer[start + 2 : start + 3] == b"#":  # "###0080...": the header is the last two
            start += 1
        if start > 0:
            return self._skip(start)
        if len(buffer) < _HEAD:
            return None
        length_text = bytes(buffer[2:_HEAD])
        if not length_text.isdigit():
            return self._refuse(f"bad framing: length {length_text!r} is not 4 digits")
        length = int(length_text)
        if length > MAX_SEGMENT:
            return self._refuse(f"bad length: {length}; at most {MAX_SEGMENT}")
        end = _HEAD + length + _TAIL
        # A data segment and its CRC hold no line end: one before the packet's end means the length lies
        # (too long); waiting for the rest would swallow the next packet.
        early = buffer.find(b"\n", _HEAD, min(end - 1, len(buffer)))
        if early >= 0:
            return self._refuse(
                f"bad length: header says {length}, the packet ends after {early + 1 - _HEAD - _TAIL}"
            )
        if len(buffer) < end:
            return None
        if buffer[end - len(TRAILER) : end] != TRAILER:
            return self._refuse(f"bad length: header says {length}, no CRLF after its data segment and CRC")
        packet = bytes(buffer[:end])
        del buffer[:end]
        return packet

    def _skip(self, size: int) -> Garbage:
        sample = bytes(self._buffer[: min(size, 16)])
        del self._buffer[:size]
        return Garbage(size, sample)

    def _refuse(self, reason: str) -> BadFrame:
        del self._buffer[: len(HEADER)]
        return BadFrame(reason)
