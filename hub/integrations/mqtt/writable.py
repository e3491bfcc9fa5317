"""Devices the hub commands over MQTT: `switch`, `number`, `text`, `button` and `cover` entities from a
command topic and, usually, a state topic (Home Assistant's MQTT platforms, seen from the other side).

A command is published on the command topic; with a state topic the service call returns only when
the device reports the state the command asked for (within `confirm_seconds`), so the caller knows it
was carried out, as an OPC UA write is read back. Without a state topic the entity shows what was sent
(optimistic). The state topic's messages keep the state true when the device is moved by other means.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any

from hub.core import DeviceInfo, Entity, EntityDescription, HubError
from hub.core.const import STATE_OFF, STATE_ON

from .client import PublishRefused
from .config import CommandTopic, Payload
from .ingest import BadPayload, extract_value, parse_json_path

_LOGGER = logging.getLogger(__name__)
Publish = Callable[[str, str, int, bool], None]


def text(value: Payload) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class CommandEntity(Entity):
    """The state is the device's last report (or, without a state topic, the last command sent)."""

    def __init__(self, conf: CommandTopic, publish: Publish) -> None:
        self.conf = conf
        self.domain = conf.platform
        self.publish = publish
        self.entity_description = EntityDescription(key=conf.object_id, name=conf.name or conf.object_id)
        d = conf.device
        self._attr_device_info = (
            DeviceInfo(identifier=f"mqtt:{d.id}", name=d.name, manufacturer=d.manufacturer, model=d.model)
            if d is not None
            else DeviceInfo(
                identifier=f"mqtt:{conf.command_topic}",
                name=conf.command_topic,
                model="MQTT device",
                model_key="mqtt_device",
            )
        )
        self._attr_available = conf.state_topic is None
        self._path = parse_json_path(conf.json_path) if conf.json_path else None
        self.reported: str | None = None  # the state payload as text
        self._waiters: list[tuple[Callable[[str | None], bool], asyncio.Future[None]]] = []

    @property
    def suggested_object_id(self) -> str:
        return self.conf.object_id

    @property
    def state(self) -> str | None:
        return self.reported

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        return {"command_topic": self.conf.command_topic, "state_topic": self.conf.state_topic}

    def on_message(self, topic: str, payload: bytes, retained: bool) -> None:
        """A state report: raises BadPayload (the bridge logs it), leaving the state as it was."""
        try:
            self.reported = str(extract_value(payload, self._path, "string"))
        except BadPayload as err:
            _LOGGER.warning("MQTT %s: state on %s ignored: %s", self.entity_id, topic, err)
            return
        self._attr_available = True
        if self.entity_id is not None:
            self.async_write_state()
        for wanted, future in list(self._waiters):
            if not future.done() and wanted(self.state):
                future.set_result(None)

    async def async_command(self, payload: Payload, wanted: Callable[[str | None], bool] | None) -> None:
        """Publish; with a state topic, wait until the reported state satisfies `wanted`."""
        conf = self.conf
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (wanted or (lambda _s: True), future)
        if conf.state_topic is not None and wanted is not None:
            self._waiters.append(entry)
        try:
            try:
                self.publish(conf.command_topic, text(payload), conf.qos, conf.retain)
            except PublishRefused as err:
                raise HubError(f"{self.entity_id}: {text(payload)!r} not sent: {err}") from err
            if conf.state_topic is None or wanted is None:
                self.reported = text(payload) if self.domain != "button" else self.reported
                self.async_write_state()
                return
            try:
                await asyncio.wait_for(future, conf.confirm_seconds)
            except TimeoutError:
                raise HubError(
                    f"{self.entity_id}: sent {text(payload)!r} to {conf.command_topic}, but "
                    f"{conf.state_topic} did not confirm it within {conf.confirm_seconds:g} s "
                    f"(it shows {self.reported!r})"
                ) from None
        finally:
            if entry in self._waiters:
                self._waiters.remove(entry)


class MqttSwitch(CommandEntity):
    @property
    def state(self) -> str | None:
        c = self.conf
        if self.reported is None:
            return None
        if self.reported == text(c.state_on if c.state_on is not None else c.payload_on):
            return STATE_ON
        off = c.state_off if c.state_off is not None else c.payload_off
        return STATE_OFF if self.reported == text(off) else None

    async def async_turn_on(self) -> None:
        await self.async_command(self.conf.payload_on, lambda s: s == STATE_ON)

    async def async_turn_off(self) -> None:
        await self.async_command(self.conf.payload_off, lambda s: s == STATE_OFF)


class MqttNumber(CommandEntity):
    async def async_set_value(self, value: float) -> None:
        c = self.conf
        if (c.minimum is not None and value < c.minimum) or (c.maximum is not None and value > c.maximum):
            raise HubError(f"{self.entity_id}: {value:g} is outside {c.minimum}..{c.maximum}")
        sent = int(value) if float(value).is_integer() else value
        await self.async_command(sent, lambda s: _number(s) == float(value))


class MqttText(CommandEntity):
    async def async_set_value(self, value: str) -> None:
        await self.async_command(value, lambda s: s == value)


class MqttButton(CommandEntity):
    async def async_press(self) -> None:
        await self.async_command(self.conf.payload_press, None)


class MqttCover(CommandEntity):
    @property
    def state(self) -> str | None:
        if self.reported is None:
            return None
        states = self.conf.cover_states
        if states is not None:
            return states.get(self.reported)
        word = self.reported.lower()
        return word if word in ("open", "closed", "opening", "closing") else None

    async def async_open_cover(self) -> None:
        await self.async_command(self.conf.payload_open, lambda s: s in ("opening", "open"))

    async def async_close_cover(self) -> None:
        await self.async_command(self.conf.payload_close, lambda s: s in ("closing", "closed"))

    async def async_stop_cover(self) -> None:
        if self.conf.payload_stop is not None:
            await self.async_command(self.conf.payload_stop, None)


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


KINDS: dict[str, type[CommandEntity]] = {
    "switch": MqttSwitch, "number": MqttNumber, "text": MqttText, "button": MqttButton, "cover": MqttCover,
}  # fmt: skip
