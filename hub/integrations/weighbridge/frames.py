"""Continuous serial output of Chinese weighing indicators (耀华 XK3190 and the many that copy it).

Formats (the indicator's "tF" communication setting):
- `yaohua_tf0`: 12 bytes, STX, sign '+'/'-', 6 digits high first, decimal places '0'..'4' (counted from
  the right), XOR of bytes 2..9 as two hex-like ASCII nibbles ('0'..'9', 'A'..'F'), ETX.
  3.000 t -> b"\\x02+0030003" + check + b"\\x03".
- `yaohua_tf1`: 9 bytes, '=', the displayed value (7 characters with its decimal point) low digit
  first, then the sign ('0' or '-'). 3.000 -> "=000.3000", -1.00 -> "=00.1000-".
- `yaohua_tf2`: 9 bytes, '=', the sign ('0' or '-'), the 7 displayed characters high digit first.
  3.000 -> "=0003.000", -1.00 -> "=-0001.00".
Pure functions, no I/O: the reader feeds bytes in and gets readings and errors out.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

FrameFormat = Literal["yaohua_tf0", "yaohua_tf1", "yaohua_tf2"]
FORMATS: tuple[FrameFormat, ...] = ("yaohua_tf0", "yaohua_tf1", "yaohua_tf2")
STX, ETX = 0x02, 0x03
MAX_BUFFER = 512  # a stream with no frame start in this many bytes is not an indicator's


@dataclass(frozen=True, slots=True)
class FrameReading:
    value: Decimal  # as the indicator displays it, in its unit


@dataclass(frozen=True, slots=True)
class FrameError:
    reason: str
    raw: bytes


def _nibble(value: int) -> int:
    return value + (0x30 if value <= 9 else 0x37)


def xor_check(body: bytes) -> bytes:
    x = 0
    for byte in body:
        x ^= byte
    return bytes((_nibble(x >> 4), _nibble(x & 0x0F)))


def _display(value: Decimal, decimals: int, width: int) -> str:
    text = f"{abs(value):.{decimals}f}"
    return text.rjust(width, "0")


def build_frame(fmt: FrameFormat, value: Decimal | float | int, decimals: int = 0) -> bytes:
    """The frame an indicator sends while it displays `value` with `decimals` places."""
    value = Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals))
    sign_negative = value < 0
    if fmt == "yaohua_tf0":
        digits = f"{int(abs(value).scaleb(decimals)):06d}"[-6:]
        body = (b"-" if sign_negative else b"+") + digits.encode() + str(decimals).encode()
        return bytes((STX,)) + body + xor_check(body) + bytes((ETX,))
    shown = _display(value, decimals, 7)[-7:]
    sign = "-" if sign_negative else "0"
    if fmt == "yaohua_tf1":
        return ("=" + shown[::-1] + sign).encode()
    return ("=" + sign + shown).encode()


class FrameParser:
    """Bytes in, readings and errors out; resynchronises on the next frame start after garbage."""

    def __init__(self, fmt: FrameFormat) -> None:
        self.format = fmt
        self._buffer = bytearray()
        self._start = STX if fmt == "yaohua_tf0" else ord("=")
        self._length = 12 if fmt == "yaohua_tf0" else 9

    def feed(self, data: bytes) -> list[FrameReading | FrameError]:
        self._buffer += data
        out: list[FrameReading | FrameError] = []
        while True:
            start = self._buffer.find(self._start)
            if start < 0:
                if len(self._buffer) > MAX_BUFFER:
                    out.append(FrameError("no frame start", bytes(self._buffer[:64])))
                    self._buffer.clear()
                break
            junk = bytes(self._buffer[:start]).strip(b"\r\n \x00")
            del self._buffer[:start]
            if junk:
                out.append(FrameError("bytes outside a frame", junk[:64]))
            if len(self._buffer) < self._length:
                break
            frame = bytes(self._buffer[: self._length])
            restart = frame.find(self._start, 1)
            if restart > 0:  # a new frame began inside this one: this one was cut short
                out.append(FrameError("truncated frame", frame[:restart]))
                del self._buffer[:restart]
                continue
            del self._buffer[: self._length]
            out.append(self._parse(frame))
        return out

    def _parse(self, frame: bytes) -> FrameReading | FrameError:
        try:
            if self.format == "yaohua_tf0":
                return self._parse_tf0(frame)
            text = frame[1:].decode("ascii")
            if self.format == "yaohua_tf1":
                sign, shown = text[-1], text[:-1][::-1]
            else:
                sign, shown = text[0], text[1:]
            if sign not in "0-" or not all(c.isdigit() or c == "." for c in shown) or shown.count(".") > 1:
                return FrameError("not a weight", frame)
            value = Decimal(shown.strip("."))
        except (UnicodeDecodeError, InvalidOperation):
            return FrameError("not a weight", frame)
        return FrameReading(-value if sign == "-" else value)

    @staticmethod
    def _parse_tf0(frame: bytes) -> FrameReading | FrameError:
        body = frame[1:9]
        if frame[11] != ETX:
            return FrameError("no ETX at the end", frame)
        if xor_check(body) != frame[9:11]:
            return FrameError("bad checksum", frame)
        sign, digits, decimals = chr(body[0]), body[1:7], chr(body[7])
        if sign not in "+-" or not digits.isdigit() or decimals not in "01234":
            return FrameError("not a weight", frame)
        value = Decimal(int(digits)).scaleb(-int(decimals))
        return FrameReading(-value if sign == "-" else value)
