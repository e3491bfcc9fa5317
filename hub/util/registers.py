"""Values in 16-bit Modbus registers: texts (GB2312 bytes two to a register, for LED displays) and
numbers of 16 or 32 bits (integers signed or not, IEEE floats), in either word order."""

from __future__ import annotations

import struct
from typing import Literal

ByteOrder = Literal["high_first", "low_first"]


def encode_text(text: str, encoding: str, capacity: int) -> tuple[bytes, bool]:
    """The text's bytes, cut at a character boundary to fit `capacity`; (bytes, truncated).

    Raises UnicodeEncodeError naming the character the display's character set lacks.
    """
    data = text.encode(encoding)
    if len(data) <= capacity:
        return data, False
    out = b""
    for char in text:
        piece = char.encode(encoding)
        if len(out) + len(piece) > capacity:
            break
        out += piece
    return out, True


def pack_registers(data: bytes, registers: int, byte_order: ByteOrder) -> list[int]:
    """Bytes into `registers` 16-bit words, zero-padded; high_first puts the first byte in the high half."""
    padded = data.ljust(registers * 2, b"\x00")[: registers * 2]
    words = []
    for i in range(0, len(padded), 2):
        first, second = padded[i], padded[i + 1]
        words.append(first << 8 | second if byte_order == "high_first" else second << 8 | first)
    return words


def unpack_registers(words: list[int], byte_order: ByteOrder, length: int | None = None) -> bytes:
    """The inverse of pack_registers; without a length the text ends at the first zero byte."""
    data = bytearray()
    for word in words:
        high, low = word >> 8 & 0xFF, word & 0xFF
        data += bytes((high, low) if byte_order == "high_first" else (low, high))
    if length is not None:
        return bytes(data[:length])
    return bytes(data).split(b"\x00", 1)[0]


WordOrder = Literal["high_first", "low_first"]
DataType = Literal["int16", "uint16", "int32", "uint32", "float32"]
WIDTH = {"int16": 1, "uint16": 1, "int32": 2, "uint32": 2, "float32": 2}
_FORMAT = {"int16": ">h", "uint16": ">H", "int32": ">i", "uint32": ">I", "float32": ">f"}


def decode_number(words: list[int], data_type: DataType, word_order: WordOrder = "high_first") -> float:
    """Registers as the number they hold (1 register for 16 bits, 2 for 32)."""
    ordered = words if word_order == "high_first" else list(reversed(words))
    raw = b"".join((w & 0xFFFF).to_bytes(2, "big") for w in ordered)
    value: float = struct.unpack(_FORMAT[data_type], raw)[0]
    return value


def encode_number(value: float, data_type: DataType, word_order: WordOrder = "high_first") -> list[int]:
    """The registers that hold `value`; ValueError if it does not fit the type."""
    number: float = value if data_type == "float32" else round(value)
    try:
        raw = struct.pack(_FORMAT[data_type], number)
    except struct.error:
        raise ValueError(f"{value:g} does not fit {data_type}") from None
    words = [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2)]
    return words if word_order == "high_first" else list(reversed(words))
