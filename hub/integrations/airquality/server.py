"""The HJ 212 TCP server that microstations connect to (the hub is the 上位机 / platform side).

Packets are cut from the stream by their framing (framing.py: a packet in several reads, two in one,
garbage between them skipped). Each is checked for length and CRC, then its MN and PW against the
configured stations, its CN (data uploads 2011/2051/2061/2031) and its factor codes. A refused packet
gets one log line (throttled per peer) and no answer; the connection stays, since the next packet may be
good. More garbage than any packet can be, with no packet between, is a flood: the connection is cut.
Uploads that ask for it (Flag bit 0) are answered with a data reply (CN=9014).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging

from hub.core import Hub

from . import hj212
from .badinput import BadInputLog
from .config import Hj212Server
from .const import FACTOR_BY_CODE, MAX_PACKET_CHARS
from .framing import BadFrame, Garbage, PacketFramer
from .station import StationData

_LOGGER = logging.getLogger(__name__)
# A station misconfigured (wrong PW, a code we refuse) is told by the log at the first packet; a peer
# sending nothing else this many times in a row is not a station and is cut off.
MAX_REFUSED_IN_A_ROW = 100
READ_CHUNK = 4096


class Hj212Listener:
    def __init__(self, hub: Hub, conf: Hj212Server, stations: dict[str, StationData]) -> None:
        self.hub = hub
        self.conf = conf
        self.by_mn = stations  # MN -> station
        self.port = conf.port
        self.bad = BadInputLog(_LOGGER, "HJ 212 packet", hub.clock.monotonic)
        self._server: asyncio.Server | None = None
        self._connections: dict[asyncio.Task[None], asyncio.StreamWriter] = {}

    async def async_start(self) -> int:
        self._server = await asyncio.start_server(
            self._client, self.conf.host, self.conf.port, limit=MAX_PACKET_CHARS
        )
        self.port = self._server.sockets[0].getsockname()[1]
        _LOGGER.info("HJ 212 server listening on %s:%s", self.conf.host, self.port)
        return self.port

    async def async_stop(self) -> None:
        if self._server is not None:
            self._server.close()
            # Closing the sockets ends each connection's read, so its task ends by itself (a task
            # cancelled here would be logged by asyncio's stream callback as an error).
            for writer in list(self._connections.values()):
                writer.transport.abort()
            if self._connections:
                await asyncio.wait(list(self._connections), timeout=5)
            await self._server.wait_closed()
            self._server = None

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        peer_address = writer.get_extra_info("peername")
        peer = f"{peer_address[0]}:{peer_address[1]}" if peer_address else "?"
        if len(self._connections) >= self.conf.max_connections:
            self.bad.refused(peer.rsplit(":", 1)[0], f"more than {self.conf.max_connections} connections")
            writer.close()
            return
        self._connections[task] = writer
        try:
            await self._serve(reader, writer, peer)
        except (ConnectionError, asyncio.IncompleteReadError, TimeoutError):
            pass
        finally:
            self._connections.pop(task, None)
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 2)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: str) -> None:
        host = peer.rsplit(":", 1)[0]
        framer = PacketFramer()
        refused_in_a_row = 0
        garbage_in_a_row = 0
        while True:
            async with asyncio.timeout(self.conf.idle_seconds):
                data = await reader.read(READ_CHUNK)
            if not data:
                return
            for item in framer.feed(data):
                if isinstance(item, Garbage):
                    garbage_in_a_row += item.size
                    if item.sample.strip(b"\r\n\0 ") or garbage_in_a_row > MAX_PACKET_CHARS:
                        self.bad.refused(host, str(item))
                    if garbage_in_a_row > MAX_PACKET_CHARS:
                        self.bad.refused(
                            host, f"more than {MAX_PACKET_CHARS} bytes without a packet; connection cut"
                        )
                        return
                    continue
                try:
                    if isinstance(item, BadFrame):
                        raise hj212.PacketError(item.reason)
                    garbage_in_a_row = 0
                    reply = self.handle(item)
                except hj212.PacketError as err:
                    self.bad.refused(host, str(err))
                    refused_in_a_row += 1
                    if refused_in_a_row >= MAX_REFUSED_IN_A_ROW:
                        self.bad.refused(host, f"{refused_in_a_row} packets refused in a row; connection cut")
                        return
                    continue
                refused_in_a_row = 0
                if reply:
                    writer.write(reply)
            await writer.drain()
            # A peer with a full buffer of packets lets the others in between.
            await asyncio.sleep(0)

    def handle(self, line: bytes) -> bytes | None:
        """One packet: recorded and answered (bytes) or refused (PacketError)."""
        packet = hj212.parse_segment(hj212.unframe(line.rstrip(b"\r\n")))
        station = self.by_mn.get(packet.mn)
        if station is None:
            raise hj212.PacketError(f"unknown MN {packet.mn[:30]!r}")
        if not hmac.compare_digest(packet.pw.encode(), (station.conf.password or "").encode()):
            raise hj212.PacketError(f"wrong PW for MN {packet.mn} ({station.key})")
        kind = hj212.DATA_KINDS.get(packet.cn)
        if kind is None:
            raise hj212.PacketError(
                f"CN {packet.cn[:8]!r} is not a data upload this hub takes (2011/2051/2061/2031)"
            )
        record = hj212.parse_data(packet.cp, self.hub.clock.tz, frozenset(station.conf.ignore_codes))
        values = {FACTOR_BY_CODE[code].key: value for code, value in record.values(packet.cn).items()}
        station.async_record(kind, record.data_time, values, "hj212")
        return hj212.build_reply(packet) if packet.wants_ack else None
