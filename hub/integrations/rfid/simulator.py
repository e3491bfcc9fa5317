"""A simulated UHF reader: a TCP server that sends tag reads (line or frame protocol) to whoever connects.

Product code: the demo and the tests run it. `async_present(tag)` is a tag coming into the field;
`async_send_raw(data)` sends bytes as they are (a reader in the wrong mode, line noise).
"""

from __future__ import annotations

import asyncio
import logging

from .protocol import Protocol, TagRead, active_frame, tag_line

_LOGGER = logging.getLogger(__name__)


class SimulatedReader:
    def __init__(self, protocol: Protocol, host: str = "127.0.0.1", port: int = 0, name: str = "") -> None:
        self.protocol = protocol
        self.host, self.port = host, port
        self.name = name
        self._server: asyncio.Server | None = None
        self._clients: set[asyncio.StreamWriter] = set()
        self._connected = asyncio.Event()

    async def async_start(self) -> int:
        self._server = await asyncio.start_server(self._on_client, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def async_stop(self) -> None:
        for writer in list(self._clients):
            writer.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _on_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._clients.add(writer)
        self._connected.set()
        try:
            await reader.read()  # the hub never writes; this returns when it hangs up
        except OSError:
            pass
        finally:
            self._clients.discard(writer)
            if not self._clients:
                self._connected.clear()
            writer.close()

    async def async_wait_connected(self, timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout):
            await self._connected.wait()

    async def async_present(self, tag: str, antenna: int | None = 1, rssi: float | None = -55.0) -> None:
        """A tag in the reader's field: one report of it in the reader's protocol."""
        read = TagRead(tag.upper(), antenna, rssi)
        await self.async_send_raw(active_frame(read.tag) if self.protocol == "frame" else tag_line(read))

    async def async_send_raw(self, data: bytes) -> None:
        await self.async_wait_connected()
        for writer in list(self._clients):
            try:
                writer.write(data)
                await writer.drain()
            except OSError as err:
                _LOGGER.debug("Simulated reader %s: client gone: %s", self.name, err)
