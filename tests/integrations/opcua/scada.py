"""A plant's existing SCADA as an asyncua server: a barrier the PLC moves on a command tag (position in
percent), the weighbridge weight, a loop detector, an LED text, an alarm lamp and a fog cannon."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from asyncua import Server, ua
from asyncua.common.callback import CallbackType

SCADA_URI = "urn:test:scada"
TRAVEL_STEPS = 4  # the arm moves 25 % a step


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
async def scada() -> AsyncIterator[PlantScada]:
    """The SCADA on a free port, its arm moving a step each 0.15 s (slow enough to see each state)."""
    plant = PlantScada(free_port(), step_seconds=0.15)
    await plant.start()
    yield plant
    await plant.stop()


class PlantScada:
    def __init__(self, port: int, step_seconds: float = 0.05) -> None:
        self.port = port
        self.step_seconds = step_seconds
        self.server: Server | None = None
        self.nodes: dict[str, Any] = {}
        self.commands: list[int] = []  # every barrier command the PLC saw, in order
        self.written_at: list[float] = []  # time.monotonic() of each client write of the command tag
        self._mover: asyncio.Task[None] | None = None
        self._queue: asyncio.Queue[int] = asyncio.Queue()

    @property
    def url(self) -> str:
        return f"opc.tcp://127.0.0.1:{self.port}/scada"

    async def start(self) -> None:
        server = Server()
        await server.init()
        server.set_endpoint(self.url)
        server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
        idx = await server.register_namespace(SCADA_URI)
        folder = await server.nodes.objects.add_folder(ua.NodeId("Gate1", idx), "Gate1")
        for name, value, vtype in (
            ("Barrier.Cmd", 0, ua.VariantType.Int16),  # 1 open, 2 close
            ("Barrier.Pos", 0, ua.VariantType.Int16),  # percent open
            ("WB.Weight", 0, ua.VariantType.Int32),  # in 10 kg
            ("Loop", False, ua.VariantType.Boolean),
            ("LED.Text", "", ua.VariantType.String),
            ("Alarm", False, ua.VariantType.Boolean),
            ("Fog.Run", False, ua.VariantType.Boolean),
            ("Fog.Rate", 0.0, ua.VariantType.Float),
        ):
            node = await folder.add_variable(ua.NodeId(name, idx), name, value, varianttype=vtype)
            await node.set_writable()
            self.nodes[name] = node
        server.subscribe_server_callback(CallbackType.PostWrite, self._on_write)
        await server.start()
        self.server = server
        self._mover = asyncio.create_task(self._run_plc())

    def _on_write(self, event: Any, _dispatcher: Any) -> None:
        """Every client write of the command tag is a command, even the same value again."""
        cmd_id = self.nodes["Barrier.Cmd"].nodeid
        for item in event.request_params.NodesToWrite:
            if item.NodeId == cmd_id and item.Value.Value.Value in (1, 2):
                self.written_at.append(time.monotonic())
                self._queue.put_nowait(int(item.Value.Value.Value))

    async def _run_plc(self) -> None:
        """The PLC: a command moves the arm in steps to its end; the arm closes by itself once the loop
        clears behind a vehicle, as a barrier with a loop detector does. The command tag keeps what
        was written (a read-back sees it)."""
        pos_node, loop_node = self.nodes["Barrier.Pos"], self.nodes["Loop"]
        occupied = False
        while True:
            try:
                cmd = await asyncio.wait_for(self._queue.get(), self.step_seconds / 2)
            except TimeoutError:
                cmd = 0
            loop = await loop_node.read_value()
            if occupied and not loop and await pos_node.read_value() == 100:
                cmd = 2  # the vehicle is through
            occupied = loop
            if cmd in (1, 2):
                self.commands.append(cmd)
                target = 100 if cmd == 1 else 0
                pos = await pos_node.read_value()
                while pos != target:
                    pos += 100 // TRAVEL_STEPS if target > pos else -(100 // TRAVEL_STEPS)
                    await pos_node.write_value(ua.Variant(pos, ua.VariantType.Int16))
                    await asyncio.sleep(self.step_seconds)

    async def set(self, name: str, value: Any) -> None:
        node = self.nodes[name]
        vtype = await node.read_data_type_as_variant_type()
        await node.write_value(ua.Variant(value, vtype))

    async def get(self, name: str) -> Any:
        return await self.nodes[name].read_value()

    async def stop(self) -> None:
        if self._mover is not None:
            self._mover.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._mover
        if self.server is not None:
            await self.server.stop()
            self.server = None
