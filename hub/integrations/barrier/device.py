"""One lane's barrier controller: polls the PLC, pulses its coils, writes its display, sounds its alarm.

The polling is the coordinator's (hub/core/coordinator.py): every `scan_seconds`, and at once after a
command. While the PLC does not answer, `online` is False, every entity of the lane shows `unavailable`
and commands fail with a clear error; it is asked again every poll interval (no growing back-off: a PLC
on the plant network costs nothing to ask, and a barrier that is back must be usable at once).
The coil's pulse, the alarm's duration and the display's return to its idle text run on the hub's
clock (`hub.clock.async_sleep`), so a test moves a `ManualClock` instead of waiting them out.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from hub.core import Context, Hub, HubError
from hub.core.coordinator import DataUpdateCoordinator, UpdateFailed
from hub.util.modbus import ModbusConnection, ModbusError, RegisterTable
from hub.util.registers import encode_text, pack_registers

from .config import BarrierLane
from .const import Position
from .display import async_send_line

_LOGGER = logging.getLogger(__name__)


def position_from_inputs(inputs: dict[str, bool], last_command: str | None) -> Position:
    """The arm's position from the PLC's inputs; a PLC without motor inputs is judged by the last command."""
    if inputs.get("fault") or (inputs.get("open") and inputs.get("closed")):
        return Position.FAULT  # contradicting limit switches are a wiring fault, not a position
    if inputs.get("opening"):
        return Position.OPENING
    if inputs.get("closing"):
        return Position.CLOSING
    if inputs.get("open"):
        return Position.OPEN
    if inputs.get("closed"):
        return Position.CLOSED
    if last_command == "close" and "closing" not in inputs:
        return Position.CLOSING
    if last_command == "open" and "opening" not in inputs:
        return Position.OPENING
    return Position.OPEN  # stopped between the limits: not closed, so not safe to treat as closed


class BarrierController:
    def __init__(
        self,
        hub: Hub,
        conf: BarrierLane,
        connection: ModbusConnection,
        display_target: tuple[str, int] | None = None,
    ) -> None:
        self.hub = hub
        self.conf = conf
        self.key = conf.key
        self.connection = connection
        self.display_target = display_target
        # Polls the PLC; tells the entities of a change (always_update off: not of every poll).
        self.coordinator: DataUpdateCoordinator[tuple[Position, bool]] = DataUpdateCoordinator(
            hub,
            _LOGGER,
            name=f"Barrier {conf.key}",  # the error names the PLC and its address
            update_interval=conf.scan_seconds,
            update_method=self._async_fetch,
            always_update=False,
        )
        self.position: Position | None = None
        self.alarm_on = False
        self.display_text = conf.display.idle_text
        self.display_until: datetime | None = None
        self.display_truncated = False
        self.last_command: str | None = None
        self.last_context: Context | None = None  # the last command's: what the PLC then reports is its doing
        self._pulse: tuple[int, asyncio.Task[None]] | None = None
        self._alarm_timer: asyncio.Task[None] | None = None
        self._display_timer: asyncio.Task[None] | None = None

    @property
    def online(self) -> bool:
        """The PLC answered the last poll."""
        return self.coordinator.last_update_success

    def _notify(self) -> None:
        self.coordinator.async_update_listeners(self.last_context)

    # ----- the poll ----------------------------------------------------------------------------
    async def _async_fetch(self) -> tuple[Position, bool]:
        try:
            if not self.connection.connected:
                await self.connection.async_connect()
            self.position, self.alarm_on = await self._async_poll()
        except ModbusError as err:
            self.connection.close()
            raise UpdateFailed(str(err)) from err
        return self.position, self.alarm_on

    async def _async_poll(self) -> tuple[Position, bool]:
        regs = self.conf.registers
        offsets = regs.input_offsets()
        if regs.inputs in ("discrete_inputs", "coils"):
            bits = await self.connection.async_read_bits(
                regs.inputs, regs.inputs_address, max(offsets.values()) + 1
            )
            inputs = {name: bits[offset] for name, offset in offsets.items()}
        else:
            table: RegisterTable = (
                "holding_registers" if regs.inputs == "holding_registers" else "input_registers"
            )
            [word] = await self.connection.async_read_registers(table, regs.inputs_address, 1)
            inputs = {name: bool(word >> offset & 1) for name, offset in offsets.items()}
        alarm = self.alarm_on
        if regs.alarm_coil is not None:
            [alarm] = await self.connection.async_read_bits("coils", regs.alarm_coil, 1)
        position = position_from_inputs(inputs, self.last_command)
        if position in (Position.OPEN, Position.CLOSED, Position.FAULT):
            self.last_command = None  # the travel is over
        return position, alarm

    # ----- commands ----------------------------------------------------------------------------
    def _check_online(self, what: str) -> None:
        if not self.online:
            error = self.coordinator.last_error
            raise HubError(f"barrier {self.key}: cannot {what}: PLC not answering ({error})")

    async def _async_write_coil(self, what: str, coil: int, value: bool) -> None:
        self._check_online(what)
        try:
            await self.connection.async_write_coil(coil, value)
        except ModbusError as err:
            self.coordinator.async_request_refresh()  # find out whether the PLC is gone
            raise HubError(f"barrier {self.key}: cannot {what}: {err}") from err

    async def async_command(self, command: str, context: Context | None) -> None:
        """Pulse the open or close coil; the position follows from the PLC's inputs."""
        regs = self.conf.registers
        coil = regs.open_coil if command == "open" else regs.close_coil
        if coil is None:
            raise HubError(f"barrier {self.key}: no close coil configured; it closes by its loop detector")
        if self._pulse is not None:  # release a pulse still held, so open and close never overlap
            held, task = self._pulse
            task.cancel()
            self._pulse = None
            await self._async_write_coil(command, held, False)
        await self._async_write_coil(command, coil, True)
        self.last_command, self.last_context = command, context
        self._pulse = (coil, self.hub.async_create_task(self._async_release(coil), name=f"{self.key} pulse"))
        self.coordinator.async_request_refresh()

    async def _async_release(self, coil: int) -> None:
        await self.hub.clock.async_sleep(self.conf.registers.pulse_seconds)
        self._pulse = None
        try:
            await self.connection.async_write_coil(coil, False)
        except ModbusError as err:
            _LOGGER.warning("Barrier %s: could not release coil %s: %s", self.key, coil, err)

    async def async_alarm(self, seconds: float, context: Context | None) -> None:
        coil = self.conf.registers.alarm_coil
        if coil is None:
            raise HubError(f"barrier {self.key}: no alarm coil configured")
        if self._alarm_timer is not None:
            self._alarm_timer.cancel()
            self._alarm_timer = None
        await self._async_write_coil("sound the alarm", coil, seconds > 0)
        self.last_context = context
        self.alarm_on = seconds > 0
        self._notify()
        if seconds > 0:
            self._alarm_timer = self.hub.async_create_background_task(
                self._async_alarm_off(coil, seconds), name=f"{self.key} alarm"
            )

    async def _async_alarm_off(self, coil: int, seconds: float) -> None:
        await self.hub.clock.async_sleep(seconds)
        self._alarm_timer = None
        try:
            await self.connection.async_write_coil(coil, False)
        except ModbusError as err:
            _LOGGER.warning("Barrier %s: could not stop the alarm: %s", self.key, err)
            self.coordinator.async_request_refresh()
            return
        # Shown at once, as the alarm's start is: a poll that never saw the coil on finds no change
        # to tell (the coordinator tells only changes), so an alarm shorter than a poll stayed "on".
        self.alarm_on = False
        self._notify()
        self.coordinator.async_request_refresh()

    async def async_show(self, text: str, seconds: float | None, context: Context | None) -> bool:
        """Show text on the LED display for `seconds`, then the idle text; returns whether it was cut."""
        display = self.conf.display
        if display.kind == "none":
            raise HubError(f"barrier {self.key}: no display configured")
        capacity = display.text_registers * 2 if display.kind == "modbus" else 1024
        data, truncated = encode_text(text, display.encoding, capacity)
        if truncated:
            _LOGGER.warning("Barrier %s: display text cut to %d bytes: %s", self.key, capacity, text)
        await self._async_write_display(data)
        if self._display_timer is not None:
            self._display_timer.cancel()
            self._display_timer = None
        self.display_text = data.decode(display.encoding)
        self.display_truncated = truncated
        self.last_context = context
        self.display_until = None
        if text != display.idle_text:
            seconds = seconds or display.default_seconds
            self.display_until = self.hub.now() + timedelta(seconds=seconds)
            self._display_timer = self.hub.async_create_background_task(
                self._async_display_idle(seconds), name=f"{self.key} display"
            )
        self._notify()
        return truncated

    async def _async_write_display(self, data: bytes) -> None:
        display = self.conf.display
        if display.kind == "tcp":
            assert self.display_target is not None
            host, port = self.display_target
            try:
                await async_send_line(
                    host, port, data + display.line_end.encode(display.encoding), self.conf.timeout
                )
            except (OSError, TimeoutError) as err:
                raise HubError(f"barrier {self.key}: display {host}:{port} not answering: {err}") from err
            return
        self._check_online("write the display")
        words = pack_registers(data, display.text_registers, display.byte_order)
        try:
            await self.connection.async_write_registers(display.text_address, words)
            if display.length_register is not None:
                await self.connection.async_write_registers(display.length_register, [len(data)])
        except ModbusError as err:
            self.coordinator.async_request_refresh()
            raise HubError(f"barrier {self.key}: cannot write the display: {err}") from err

    async def _async_display_idle(self, seconds: float) -> None:
        await self.hub.clock.async_sleep(seconds)
        self._display_timer = None
        try:
            await self.async_show(self.conf.display.idle_text, None, None)
        except HubError as err:
            _LOGGER.warning("Barrier %s: could not clear the display: %s", self.key, err)

    def async_stop(self) -> None:
        for task in (self._alarm_timer, self._display_timer):
            if task is not None:
                task.cancel()
        self.connection.close()
