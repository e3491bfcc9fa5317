"""A simulated weighbridge indicator: Modbus TCP registers, or a TCP serial server sending frames.

A vehicle drives on (the weight ramps up), stands still while the reading wobbles by a few kg,
then drives off. In the serial form some frames go out damaged (a flipped byte, a frame cut short,
line noise), as they do on a long RS-232/RS-485 run. Faults on demand: `set_answering(False)`.
A vehicle's timings (arriving, driving on, standing, clearing) go by the `clock` it is given (the
hub's, in the demo and the tests, so a test moves a ManualClock past a truck's stay); the frames go
out at the indicator's own pace in real time.

Run alone: `python -m hub.integrations.weighbridge.simulator --port 4001 --format yaohua_tf1`
(type a weight in kg to put a vehicle on the bridge, `mute`/`unmute` to stop and resume).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import random
import sys
from collections.abc import Coroutine
from decimal import Decimal
from typing import Any, Literal

from hub.core.clock import Clock
from hub.util.modbus import ModbusDeviceServer, RegisterTables

from .config import ModbusMap, SimulatorConfig
from .frames import FORMATS, FrameFormat, build_frame
from .registers import weight_to_registers

_LOGGER = logging.getLogger(__name__)
MAX_QUEUE = 5


class SimulatedIndicator:
    def __init__(
        self,
        options: SimulatorConfig | None = None,
        *,
        form: Literal["modbus", "tcp"] = "tcp",
        fmt: FrameFormat = "yaohua_tf0",
        unit: Literal["kg", "t"] = "kg",
        modbus_map: ModbusMap | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 0,
        name: str = "weighbridge",
        clock: Clock | None = None,
    ) -> None:
        self.options = options or SimulatorConfig()
        self.clock = clock or Clock()
        self.form, self.format, self.unit, self.name = form, fmt, unit, name
        self.map = modbus_map or ModbusMap()
        self.host, self.port = host, port
        self.rng = random.Random(seed)
        self.load_kg = 0.0  # what really stands on the bridge
        self.answering = True
        self.frames_sent = 0
        self.queued = 0  # vehicles arriving or waiting for the bridge
        self._vehicle_lock = asyncio.Lock()
        self._tables = RegisterTables(size=self.map.address + 2)
        self._modbus: ModbusDeviceServer | None = None
        self._tcp: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # ----- the bridge --------------------------------------------------------------------------
    def displayed_kg(self) -> int:
        """What the indicator shows: the load plus noise, in whole divisions; an empty bridge shows 0."""
        noise = self.rng.uniform(-self.options.noise_kg, self.options.noise_kg) if self.load_kg > 0 else 0.0
        division = self.options.division_kg
        return int(round((self.load_kg + noise) / division) * division)

    def set_load(self, kg: float) -> None:
        self.load_kg = max(0.0, kg)

    def set_answering(self, answering: bool) -> None:
        self.answering = answering
        if self._modbus is not None:
            self._modbus.answering = answering

    async def async_weigh(self, gross_kg: float, *, delay: float | None = None) -> None:
        """A vehicle arrives, drives on, stands, drives off; vehicles queue for the bridge."""
        o = self.options
        if self.queued >= MAX_QUEUE:
            # Heavy demo traffic: beyond a few trucks in the queue, the next one is waved past the
            # bridge (as a yard does), so the simulator's backlog stays bounded.
            return
        self.queued += 1
        try:
            await self._async_drive_over(gross_kg, o.arrive_seconds if delay is None else delay)
        finally:
            self.queued -= 1

    async def _async_drive_over(self, gross_kg: float, delay: float) -> None:
        o = self.options
        await self.clock.async_sleep(delay)
        async with self._vehicle_lock:
            await self._async_ramp(0, gross_kg, o.drive_on_seconds)
            await self.clock.async_sleep(o.dwell_seconds)
            await self._async_ramp(gross_kg, 0, o.drive_on_seconds)
            await self.clock.async_sleep(o.clear_seconds)

    async def _async_ramp(self, start: float, end: float, seconds: float) -> None:
        # A new load every frame: a truck rolls on smoothly, it does not pause half-way (which an
        # indicator would rightly report as a steady, wrong, weight).
        steps = max(1, round(seconds * self.options.frames_per_second))
        for i in range(1, steps + 1):
            self.set_load(start + (end - start) * i / steps)
            await self.clock.async_sleep(seconds / steps)

    # ----- serial form -------------------------------------------------------------------------
    def frame(self) -> bytes:
        kg = self.displayed_kg()
        if self.unit == "t":
            frame = build_frame(self.format, Decimal(kg) / 1000, decimals=2)
        else:
            frame = build_frame(self.format, kg)
        if self.rng.random() < self.options.garbled_share:
            frame = self._garble(frame)
        return frame

    def _garble(self, frame: bytes) -> bytes:
        kind = self.rng.randrange(3)
        if kind == 0:  # one byte hit by noise
            i = self.rng.randrange(1, len(frame))
            return frame[:i] + bytes((frame[i] ^ 0x15,)) + frame[i + 1 :]
        if kind == 1:  # cut short
            return frame[: self.rng.randrange(2, len(frame) - 1)]
        return bytes(self.rng.randrange(0x80, 0x100) for _ in range(4)) + frame  # line noise before it

    async def _on_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        period = 1 / self.options.frames_per_second
        task = asyncio.current_task()
        if task is not None:  # asyncio.Server does not end its connections' handlers on close
            self._tasks.add(task)
        try:
            while True:
                if self.answering:
                    writer.write(self.frame())
                    await writer.drain()
                    self.frames_sent += 1
                await asyncio.sleep(period)
        except (ConnectionError, OSError):
            pass
        except asyncio.CancelledError:
            # The simulator stops: end quietly (asyncio logs a handler task that ends cancelled).
            pass
        finally:
            self._tasks.discard(task)
            writer.close()

    # ----- modbus form -------------------------------------------------------------------------
    async def _async_update_registers(self) -> None:
        table = getattr(self._tables, self.map.table)
        while True:
            count = round(self.displayed_kg() / self.map.kg_per_count)
            table[self.map.address : self.map.address + 2] = weight_to_registers(count, self.map.word_order)
            await asyncio.sleep(1 / self.options.frames_per_second)

    # ----- start and stop ----------------------------------------------------------------------
    async def async_start(self) -> int:
        if self.form == "modbus":
            self._modbus = ModbusDeviceServer(self._tables, host=self.host, port=self.port)
            self.port = await self._modbus.async_start()
            task = asyncio.get_running_loop().create_task(self._async_update_registers())
            self._tasks.add(task)
        else:
            self._tcp = await asyncio.start_server(self._on_client, self.host, self.port)
            self.port = self._tcp.sockets[0].getsockname()[1]
        _LOGGER.info(
            "Simulated weighbridge indicator %s (%s) on %s:%s", self.name, self.form, self.host, self.port
        )
        return self.port

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        """Run a vehicle (or anything) on the simulator's own tasks; they end with it."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def async_stop(self) -> None:
        if self._tcp is not None:
            self._tcp.close()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._tcp is not None:
            self._tcp.close()
            self._tcp = None
        if self._modbus is not None:
            await self._modbus.async_stop()
            self._modbus = None


async def _async_main(args: argparse.Namespace) -> None:
    sim = SimulatedIndicator(
        SimulatorConfig(garbled_share=args.garbled, arrive_seconds=0),
        form=args.form,
        fmt=args.format,
        unit=args.unit,
        host=args.host,
        port=args.port,
    )
    port = await sim.async_start()
    print(f"Simulated indicator ({args.form}, {args.format}) on {args.host}:{port}. Type a weight in kg.")
    loop = asyncio.get_running_loop()
    try:
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            word = line.strip()
            if word in ("mute", "unmute"):
                sim.set_answering(word == "unmute")
            elif word.isdigit():
                sim.spawn(sim.async_weigh(int(word)))
            elif word:
                print("a weight in kg, mute, or unmute", flush=True)
        await asyncio.Event().wait()  # stdin closed: keep serving
    finally:
        await sim.async_stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Simulated weighbridge indicator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4001)
    parser.add_argument("--form", choices=["tcp", "modbus"], default="tcp")
    parser.add_argument("--format", choices=FORMATS, default="yaohua_tf0")
    parser.add_argument("--unit", choices=["kg", "t"], default="kg")
    parser.add_argument("--garbled", type=float, default=0.02, help="share of damaged frames")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_async_main(args))


if __name__ == "__main__":
    main()
