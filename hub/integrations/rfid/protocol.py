"""What RFID readers send: tag reads out of a byte stream, and what is garbage.

Two protocols:
- `line`: the generic text output of readers in "TCP client/server, ASCII" mode and of serial
  wedges: one tag a line (CR, LF or CRLF), optionally followed by the antenna and the RSSI, separated
  by commas, semicolons, tabs or spaces, with or without names: `E2003412B802011712345678`,
  `E2003412B802011712345678,1,-61`, `EPC:E2003412... ANT:2 RSSI:-58`.
- `frame`: the binary answer frame of the UHFReader18 protocol (Chafon CF-RU5102 and the many
  readers that copy it):  Len | Adr | reCmd | Status | Data ... | CRC-16 (LSB first), where Len counts
  the bytes after itself and the CRC is CRC-16/MCRF4XX (polynomial 0x8408 reflected, preset 0xFFFF)
  over Len..Data. reCmd 0xEE is the reader's active (auto-read) mode, Data = the EPC; reCmd 0x01 is an
  inventory answer, Data = Num, then Num times (EPC length, EPC). Other frames are valid but carry no
  tag and are skipped. No antenna or RSSI in this format.
Bytes that fit neither are reported as `Garbled` with the reason; the parser resynchronises and goes on.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from .const import MAX_LINE

Protocol = Literal["line", "frame"]
TAG = re.compile(r"^[0-9A-F]{4,64}$")
_FIELD_NAMES = re.compile(r"\b(EPC|TAG|ID|ANT|ANTENNA|RSSI)\s*[:=]\s*", re.IGNORECASE)
CMD_ACTIVE = 0xEE
CMD_INVENTORY = 0x01
MIN_FRAME = 6  # Len Adr reCmd Status CRC CRC: Len >= 5


@dataclass(frozen=True, slots=True)
class TagRead:
    tag: str  # upper-case hex (EPC) or the card number as the reader sends it
    antenna: int | None = None
    rssi: float | None = None


@dataclass(frozen=True, slots=True)
class Garbled:
    reason: str
    data: bytes  # what was thrown away (the start of it, for the log)


def crc16_mcrf4xx(data: bytes) -> int:
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return crc


def active_frame(tag: str, address: int = 0) -> bytes:
    """The frame a UHFReader18-protocol reader sends for a tag in active mode (the simulator's)."""
    body = bytes([address, CMD_ACTIVE, 0x00]) + bytes.fromhex(tag)
    head = bytes([len(body) + 2]) + body  # Len counts what follows it, the CRC included
    return head + crc16_mcrf4xx(head).to_bytes(2, "little")


def tag_line(read: TagRead) -> bytes:
    fields = [read.tag]
    if read.antenna is not None or read.rssi is not None:
        fields.append("" if read.antenna is None else str(read.antenna))
    if read.rssi is not None:
        fields.append(f"{read.rssi:g}")
    return (",".join(fields) + "\r\n").encode()


class LineParser:
    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, data: bytes) -> Iterator[TagRead | Garbled]:
        self._buffer += data
        *lines, self._buffer = re.split(rb"\r\n|\r|\n", self._buffer)
        if len(self._buffer) > MAX_LINE:
            yield Garbled(f"no line end within {MAX_LINE} bytes", self._buffer[:32])
            self._buffer = b""
        for raw in lines:
            if raw.strip(b" \t\x00"):
                yield parse_line(raw)


def parse_line(raw: bytes) -> TagRead | Garbled:
    if len(raw) > MAX_LINE:
        return Garbled(f"line longer than {MAX_LINE} bytes", raw[:32])
    try:
        text = raw.decode("ascii").strip()
    except UnicodeDecodeError:
        return Garbled("not ASCII text (a binary reader on a line port?)", raw[:32])
    parts = [p for p in re.split(r"[,;\t ]+", _FIELD_NAMES.sub(" ", text).strip()) if p != ""]
    if not parts:
        return Garbled("an empty record", raw[:32])
    tag = parts[0].upper().removeprefix("0X")
    if not TAG.match(tag):
        return Garbled(f"{parts[0][:24]!r} is no tag id (4 to 64 hex digits)", raw[:32])
    try:
        antenna = int(parts[1]) if len(parts) > 1 and parts[1] else None
        rssi = float(parts[2]) if len(parts) > 2 else None
    except ValueError:
        return Garbled(f"antenna/RSSI {' '.join(parts[1:3])[:24]!r} are not numbers", raw[:32])
    if (antenna is not None and not 0 <= antenna <= 64) or (rssi is not None and not -150 <= rssi <= 50):
        return Garbled("antenna or RSSI out of range", raw[:32])
    return TagRead(tag, antenna, rssi)


class FrameParser:
    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> Iterator[TagRead | Garbled]:
        self._buffer += data
        skipped = bytearray()
        while len(self._buffer) >= MIN_FRAME:
            length = self._buffer[0]
            if length < MIN_FRAME - 1:
                skipped.append(self._buffer.pop(0))
                continue
            if len(self._buffer) < length + 1:
                # The rest of the frame is still coming, unless this byte was noise: a whole valid frame
                # later in the buffer says so (a noise byte may claim a length of up to 255).
                later = self._next_frame()
                if later is None:
                    break
                skipped += self._buffer[:later]
                del self._buffer[:later]
                continue
            frame = bytes(self._buffer[: length + 1])
            if crc16_mcrf4xx(frame[:-2]) != int.from_bytes(frame[-2:], "little"):
                skipped.append(self._buffer.pop(0))  # not a frame start: resynchronise byte by byte
                continue
            if skipped:
                yield Garbled(
                    "bytes between frames that are no frame (bad length or CRC)", bytes(skipped[:32])
                )
                skipped.clear()
            del self._buffer[: length + 1]
            yield from _tags_of(frame)
        if skipped:
            yield Garbled("bytes that are no frame (bad length or CRC)", bytes(skipped[:32]))
        if len(self._buffer) > 256:  # Len is one byte: anything longer cannot become a frame
            yield Garbled("an incomplete frame that never ends", bytes(self._buffer[:32]))
            self._buffer.clear()

    def _next_frame(self) -> int | None:
        buffer = self._buffer
        for start in range(1, len(buffer) - MIN_FRAME + 1):
            end = start + buffer[start] + 1
            if buffer[start] >= MIN_FRAME - 1 and end <= len(buffer):
                frame = bytes(buffer[start:end])
                if crc16_mcrf4xx(frame[:-2]) == int.from_bytes(frame[-2:], "little"):
                    return start
        return None


def _tags_of(frame: bytes) -> Iterator[TagRead | Garbled]:
    command, status, data = frame[2], frame[3], frame[4:-2]
    if command == CMD_ACTIVE and status == 0 and data:
        yield TagRead(data.hex().upper())
    elif command == CMD_INVENTORY and status in (0x01, 0x02, 0x03, 0x04) and data:
        count, at = data[0], 1
        for _ in range(count):
            size = data[at] if at < len(data) else 0
            epc = data[at + 1 : at + 1 + size]
            if size == 0 or len(epc) != size:
                yield Garbled("an inventory answer shorter than its tag count says", frame[:32])
                return
            yield TagRead(epc.hex().upper())
            at += 1 + size
