"""LED display text: Chinese text as GB2312 bytes packed two to a register, or one line over TCP."""

from __future__ import annotations

import asyncio
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


async def async_send_line(host: str, port: int, data: bytes, timeout: float) -> None:
    """Send one message to a TCP text display: connect, write, close (what such controllers expect)."""
    async with asyncio.timeout(timeout):
        _reader, writer = await asyncio.open_connection(host, port)
        try:
            writer.write(data)
            await writer.drain()
        finally:
            writer.close()
            await writer.wait_closed()
