"""The bridge between the hub and the broker, fed by bus events and feeding hub services.

Out: every entity's discovery config, state, attributes and availability (retained), and every
`passage_recorded` record as a JSON event. In: commands for barriers and the alert level, which go
through the hub's services as the configured command user; values on configured sensor topics.
On each (re)connect everything is published again, so a restarted broker or Home Assistant is whole.
"""

from __future__ import annotations

import fnmatch
import logging
from collections import deque
from typing import Any

from hub.core import Context, Entity, Event, Hub, HubError, ServiceNotFound, State, Unauthorized
from hub.core.auth import User
from hub.core.const import EVENT_PASSAGE_RECORDED, EVENT_STATE_CHANGED, STATE_UNAVAILABLE

from .binary_sensor import BrokerConnected
from .client import BrokerConnection, PublishRefused
from .commands import BadCommand, CommandTarget, ServiceRequest, command_target, parse_command
from .config import MqttConfig
from .const import DOMAIN, OFFLINE, ONLINE
from .discovery import (
    EntityView,
    Topics,
    discovery_config,
    encode_json,
    hub_device,
    passage_event_config,
)
from .ingest import BadPayload, ThrottledLog, topic_matches
from .sensor import MqttSensor

_LOGGER = logging.getLogger(__name__)


class MqttBridge:
    def __init__(self, hub: Hub, conf: MqttConfig) -> None:
        self.hub = hub
        self.conf = conf
        self.topics = Topics(conf.base_topic, conf.discovery_prefix, conf.node_id)
        self.connection = BrokerConnection(
            hub, conf, will_topic=self.topics.status, on_connected=self._on_connected,
            on_disconnected=self._on_disconnected, on_message=self._on_message,
            on_status=lambda: self._broker_entity.async_write_state(),
        )  # fmt: skip
        self._hub_device = hub_device(conf.node_id, hub.core_config.name)
        self._configs: dict[str, tuple[str, str]] = {}  # entity_id -> (topic, payload) last announced
        self._targets: dict[str, CommandTarget] = {}
        self._sensors = [MqttSensor(s) for s in conf.sensors]
        self._bad = ThrottledLog(_LOGGER, conf.bad_payload_log_every)
        self._broker_entity = BrokerConnected(
            self.connection.where, lambda: (self.connection.connected, self.connection.last_error)
        )
        self._unsubs: list[Any] = []
        # Records that came while the broker was away, sent on the next connect (oldest dropped first).
        self._backlog: deque[str] = deque(maxlen=conf.max_queued_messages or None)

    async def async_start(self) -> None:
        await self.hub.entities.async_add(DOMAIN, [self._broker_entity, *self._sensors])
        self._unsubs = [
            self.hub.bus.async_listen(EVENT_STATE_CHANGED, self._on_state_changed),
            self.hub.bus.async_listen(EVENT_PASSAGE_RECORDED, self._on_passage),
        ]
        if self.conf.command_user and self.hub.auth.by_name(self.conf.command_user) is None:
            _LOGGER.warning(
                "mqtt command_user %r is not a hub user (yet): MQTT commands are refused until it is",
                self.conf.command_user,
            )
        await self.connection.async_start()

    async def async_stop(self) -> None:
        for unsub in self._unsubs:
            unsub()
        self._unsubs.clear()
        await self.connection.async_stop()

    # ----- the broker came and went -------------------------------------------------------------
    def _on_connected(self) -> None:
        conf = self.conf
        self._publish(self.topics.status, ONLINE, retain=True)
        subscriptions = [(self.topics.command_filter, 1)]
        subscriptions += [(s.conf.topic, s.conf.qos) for s in self._sensors]
        if conf.discovery:
            subscriptions.append((self.topics.ha_status, 1))
        self.connection.subscribe(sorted(set(subscriptions)))
        while self._backlog and self.connection.connected:
            self._publish(self.topics.passage, self._backlog.popleft())
        self._publish_all()

    def _on_disconnected(self, reason: str) -> None:
        for sensor in self._sensors:
            sensor.async_broker_lost()

    def _publish_all(self) -> None:
        """Everything again: after a (re)connect, or when Home Assistant announces it restarted."""
        self._configs.clear()
        if self.conf.discovery:
            topic, payload = passage_event_config(self.topics, self._hub_device)
            self._publish(topic, encode_json(payload), retain=True)
        for state in self.hub.states.all():
            if not self._excluded(state.entity_id):
                self._publish_entity(state, None, full=True)

    # ----- hub -> broker ------------------------------------------------------------------------
    def _excluded(self, entity_id: str) -> bool:
        return any(fnmatch.fnmatchcase(entity_id, pattern) for pattern in self.conf.exclude)

    def _on_state_changed(self, event: Event) -> None:
        entity_id: str = event.data["entity_id"]
        if self._excluded(entity_id):
            return
        new: State | None = event.data["new_state"]
        if new is None:
            self._withdraw(entity_id)
        elif self.connection.connected:
            self._publish_entity(new, event.data["old_state"], full=False)

    def _publish_entity(self, state: State, old: State | None, *, full: bool) -> None:
        eid = state.entity_id
        target = command_target(eid, state.attributes)
        if target is None:
            self._targets.pop(eid, None)
        else:
            self._targets[eid] = target
        if self.conf.discovery:
            view = self._view(state, self.hub.entities.get_entity(eid), target)
            topic, payload = discovery_config(view, self.topics, self._hub_device)
            announced = (topic, encode_json(payload))
            if self._configs.get(eid) != announced:
                self._publish(topic, announced[1], retain=True)
                self._configs[eid] = announced
        available = state.state != STATE_UNAVAILABLE
        if full or old is None or (old.state != STATE_UNAVAILABLE) != available:
            self._publish(self.topics.availability(eid), ONLINE if available else OFFLINE, retain=True)
        if full or old is None or old.attributes != state.attributes:
            self._publish(self.topics.attributes(eid), encode_json(dict(state.attributes)), retain=True)
        if full or old is None or old.state != state.state:
            self._publish(self.topics.state(eid), state.state, retain=True)

    def _view(self, state: State, entity: Entity | None, target: CommandTarget | None) -> EntityView:
        attrs = state.attributes
        desc = entity.entity_description if entity is not None else None
        icon = attrs.get("icon")
        options = attrs.get("options")
        if target is not None and target.kind == "alert_level":
            options = target.options
        elif not isinstance(options, list | tuple) or not options:
            options = (state.state,)
        return EntityView(
            entity_id=state.entity_id,
            unique_id=entity.unique_id if entity is not None else f"state-{state.entity_id}",
            name=(desc.name if desc else None) or attrs.get("friendly_name"),
            device=entity.device_info if entity is not None else None,
            device_class=(desc.device_class if desc else None) or attrs.get("device_class"),
            unit_of_measurement=(desc.unit_of_measurement if desc else None)
            or attrs.get("unit_of_measurement"),
            state_class=attrs.get("state_class"),
            icon=icon if isinstance(icon, str) and icon.startswith("mdi:") else None,
            entity_category=desc.entity_category if desc else None,
            options=tuple(str(o) for o in options),
            commandable=target is not None,
        )

    def _withdraw(self, entity_id: str) -> None:
        """An entity went away (removed or renamed): clear its retained config and topics."""
        self._targets.pop(entity_id, None)
        announced = self._configs.pop(entity_id, None)
        if not self.connection.connected:
            return
        if announced is not None:
            self._publish(announced[0], b"", retain=True)
        for topic in (self.topics.state, self.topics.attributes, self.topics.availability):
            self._publish(topic(entity_id), b"", retain=True)

    def _on_passage(self, event: Event) -> None:
        payload = encode_json(dict(event.data))
        if self.connection.connected:
            self._publish(self.topics.passage, payload)
            return
        if self._backlog.maxlen is not None and len(self._backlog) == self._backlog.maxlen:
            self._bad.warning(
                "backlog", "MQTT: broker away for %d records; dropping the oldest (the ledger keeps it)",
                len(self._backlog),
            )  # fmt: skip
        self._backlog.append(payload)

    def _publish(self, topic: str, payload: str | bytes, *, retain: bool = False) -> None:
        try:
            self.connection.publish(topic, payload, qos=self.conf.qos, retain=retain)
        except PublishRefused as err:
            self._bad.warning("publish", "MQTT: %s not published: %s", topic, err)

    # ----- broker -> hub ------------------------------------------------------------------------
    def _on_message(self, topic: str, payload: bytes, retained: bool) -> None:
        if topic == self.topics.ha_status:
            if payload.strip() == ONLINE.encode() and self.conf.discovery and not retained:
                _LOGGER.info("Home Assistant came online; announcing every entity again")
                self._publish_all()
            return
        entity_id = self.topics.entity_of_command(topic)
        if entity_id is not None:
            self._on_command(topic, entity_id, payload, retained)
            return
        for sensor in self._sensors:
            if topic_matches(sensor.conf.topic, topic):
                try:
                    sensor.async_handle(topic, payload)
                except BadPayload as err:
                    self._bad.warning(
                        f"sensor {sensor.conf.key}", "MQTT sensor %s: payload on %s ignored: %s (%r)",
                        sensor.entity_id, topic, err, payload[:80],
                    )  # fmt: skip

    def _on_command(self, topic: str, entity_id: str, payload: bytes, retained: bool) -> None:
        if retained:
            # A retained command would act again on every reconnect: never obey one.
            self._bad.warning(f"command {entity_id}", "MQTT: retained command on %s ignored", topic)
            return
        target = None if self._excluded(entity_id) else self._targets.get(entity_id)
        if target is None and (state := self.hub.states.get(entity_id)) is not None:
            target = None if self._excluded(entity_id) else command_target(entity_id, state.attributes)
        if target is None:
            self._bad.warning(
                f"command {entity_id}", "MQTT: %s takes no commands; %s ignored", entity_id, topic
            )
            return
        try:
            request = parse_command(target, payload)
        except BadCommand as err:
            self._bad.warning(f"command {entity_id}", "MQTT: command on %s ignored: %s", topic, err)
            return
        self.hub.async_create_task(self._async_command(entity_id, request), name=f"mqtt command {entity_id}")

    def _command_user(self) -> tuple[User | None, str]:
        name = self.conf.command_user
        if not name:
            return None, "no command_user is configured for MQTT"
        user = self.hub.auth.by_name(name)
        if user is None or not user.active:
            return None, f"command_user {name!r} is not an active hub user"
        return user, ""

    async def _async_command(self, entity_id: str, request: ServiceRequest) -> None:
        action = f"{request.domain}.{request.service}"
        user, reason = self._command_user()
        if user is None:
            _LOGGER.warning("MQTT command %s for %s refused: %s", action, entity_id, reason)
            await self._async_audit_refusal(action, entity_id, request.data, reason)
            return
        context = Context(user_id=user.id)
        try:
            await self.hub.services.async_call(
                request.domain, request.service, request.data, context, door="mqtt"
            )
        except Unauthorized as err:
            _LOGGER.warning("MQTT command %s for %s refused: %s", action, entity_id, err)
        except ServiceNotFound:
            _LOGGER.warning(
                "MQTT command %s for %s: no such service here (not configured?)", action, entity_id
            )
        except HubError as err:
            _LOGGER.warning("MQTT command %s for %s failed: %s", action, entity_id, err)
        except Exception:
            _LOGGER.exception("MQTT command %s for %s failed", action, entity_id)
        else:
            _LOGGER.info("MQTT command %s for %s done as %s", action, entity_id, user.username)

    async def _async_audit_refusal(self, action: str, target: str, data: dict[str, Any], reason: str) -> None:
        """Refused before any service saw it, so the audit log hears of it from here."""
        if not self.hub.services.has_service("ledger", "record_audit"):
            return
        audit = {"action": action[:64], "door": "mqtt", "outcome": "refused", "target": target[:128],
                 "detail": {"data": data, "reason": reason}}  # fmt: skip
        try:
            await self.hub.services.async_call("ledger", "record_audit", audit)
        except Exception as err:  # the refusal stands whether or not the audit row could be written
            _LOGGER.warning("Could not audit a refused MQTT command: %s", err)
