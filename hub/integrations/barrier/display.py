"""LED display text over TCP (one line a message); in registers it is packed by hub/util/registers.py."""

from __future__ import annotations

import asyncio


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
