"""The bridge between the hub and the broker, fed by bus events and feeding hub services.

Out: every device's discovery config (catalog.py), every entity's state, attributes and availability
(retained), every `passage_recorded` record as a JSON event, and each lane's plate reads and latest
photos (lanes.py). In: commands for barriers and the alert level, believed
only from a sender the broker vouches for (authority.py) and run through the hub's services as the hub
user that sender maps to; values on configured sensor topics. On each (re)connect the broker is checked
for anonymous access and everything is published again, so a restarted broker or Home Assistant is whole.
"""

from __future__ import annotations

import asyncio
import fnmatch
import logging
from collections import deque
from collections.abc import Callable
from typing import Any

from hub.core import Event, Hub, State
from hub.core.const import EVENT_PASSAGE_RECORDED, EVENT_STATE_CHANGED, STATE_UNAVAILABLE
from hub.core.events import EventStateChangedData, PassageRecordedData

from .announcer import Announcer
from .authority import CommandAuthority
from .binary_sensor import BrokerConnected, BrokerOpen, async_legacy_unique_ids
from .catalog import DiscoveryCatalog
from .client import BrokerConnection, PublishRefused
from .commands import CommandTarget, command_target
from .config import MqttConfig
from .const import ANNOUNCE_SLICE, DOMAIN, EMPTY_STATE, OFFLINE, ONLINE
from .discovery import Topics, encode_json
from .door import CommandDoor
from .ingest import BadPayload, ThrottledLog, topic_matches
from .lanes import LaneFeed
from .probe import NOT_CHECKED, BrokerVerdict, async_probe, probe_tls_context
from .sensor import MqttSensor

_LOGGER = logging.getLogger(__name__)


class MqttBridge:
    def __init__(self, hub: Hub, conf: MqttConfig) -> None:
        self.hub = hub
        self.conf = conf
        self.topics = Topics(
            conf.base_topic, conf.discovery_prefix, conf.node_id, conf.home_assistant_account
        )
        self.connection = BrokerConnection(
            hub, conf, will_topic=self.topics.status, on_connected=self._on_connected,
            on_disconnected=self._on_disconnected, on_message=self._on_message,
            on_status=self._on_status,
        )  # fmt: skip
        self._catalog = DiscoveryCatalog(hub, conf, self.topics)
        self._lane_feed = LaneFeed(hub, self.topics, self._publish, lambda: self.connection.connected)
        self._migrated = False  # the per-entity configs of older versions withdrawn (once a run)
        self._targets: dict[str, CommandTarget] = {}
        self._sensors = [MqttSensor(s) for s in conf.sensors]
        self._bad = ThrottledLog(_LOGGER, conf.bad_payload_log_every)
        self.authority = CommandAuthority(conf)
        self._door = CommandDoor(
            hub, self.authority, self._bad, self._target_of,
            lambda account, entity_id, answer: self._publish(
                self.topics.reply(account, entity_id), encode_json(answer)
            ),
        )  # fmt: skip
        self._broker_entity: BrokerConnected | None = None
        self._open_entity: BrokerOpen | None = None
        self._announcer = Announcer(hub, conf.announce_min_seconds, self._async_publish_all)
        self._probe_tls: Any = None
        self._told: BrokerVerdict | None = None
        # Records that came while the broker was away, sent on the next connect (oldest dropped first).
        self._backlog: deque[str] = deque(maxlen=conf.max_queued_messages or None)
        self._subscribers: list[tuple[str, int, Callable[[str, bytes, bool], None]]] = []

    def async_subscribe(
        self, topic: str, callback: Callable[[str, bytes, bool], None], qos: int = 0
    ) -> Callable[[], None]:
        """Other parts of the hub (automation mqtt triggers) get a topic's messages as (topic, payload,
        retained), now and after every reconnect; returns the unsubscribe (the broker subscription
        stays until the next connect)."""
        entry = (topic, qos, callback)
        self._subscribers.append(entry)
        if self.connection.connected:
            self.connection.subscribe([(topic, qos)])
        return lambda: self._subscribers.remove(entry) if entry in self._subscribers else None

    async def async_start(self) -> None:
        legacy = await async_legacy_unique_ids()
        self._broker_entity = BrokerConnected(
            self.connection.where, lambda: (self.connection.connected, self.connection.last_error),
            legacy.get("connected"),
        )  # fmt: skip
        self._open_entity = BrokerOpen(self.authority, legacy.get("open_broker"))
        await self.hub.entities.async_add(DOMAIN, [self._broker_entity, self._open_entity, *self._sensors])
        # The hub lets go of these on stop, after the bridge's own stop (registered after this start,
        # so run first): a change in between finds the connection closed, as while the broker is away.
        self.hub.async_on_stop(self.hub.bus.async_listen(EVENT_STATE_CHANGED, self._on_state_changed))
        self.hub.async_on_stop(self.hub.bus.async_listen(EVENT_PASSAGE_RECORDED, self._on_passage))
        for name in {self.conf.command_user, *self.conf.command_accounts.values()}:
            if name is None:
                continue
            if self.hub.auth.by_name(name) is None:
                _LOGGER.warning(
                    "mqtt: %r is not a hub user (yet): its MQTT commands are refused until it is", name
                )
        self._probe_tls = await self.hub.async_add_executor_job(
            probe_tls_context, self.conf, self.hub.config_dir
        )
        await self.connection.async_start()

    async def async_stop(self) -> None:
        self._announcer.cancel()
        await self.connection.async_stop()

    # ----- the broker came and went -------------------------------------------------------------
    def _on_status(self) -> None:
        if self._broker_entity is not None:
            self._broker_entity.async_write_state()

    def _on_connected(self) -> None:
        conf = self.conf
        self._set_verdict(NOT_CHECKED)  # the broker may have been reconfigured while we were away
        self._publish(self.topics.status, ONLINE, retain=True)
        subscriptions = [(s.conf.topic, s.conf.qos) for s in self._sensors]
        subscriptions += [(topic, qos) for topic, qos, _ in self._subscribers]
        if conf.discovery:
            subscriptions.append((self.topics.ha_status, 1))
        self.connection.subscribe(sorted(set(subscriptions)))
        # Retain-as-published: a command published retained is seen as such also when delivered live.
        commands = [(self.topics.command_filter, 1), (self.topics.account_command_filter, 1)]
        self.connection.subscribe(commands, retain_as_published=True)
        while self._backlog and self.connection.connected:
            self._publish(self.topics.passage, self._backlog.popleft())
        self.hub.async_create_task(self._async_check_broker(), name="mqtt broker check")
        self._announcer.request(now=True)

    def _on_disconnected(self, reason: str) -> None:
        self._announcer.cancel()
        for sensor in self._sensors:
            sensor.async_broker_lost()

    async def _async_check_broker(self) -> None:
        verdict = await async_probe(self.conf.host, self.conf.port, self._probe_tls)
        if self.connection.connected:
            self._set_verdict(verdict)

    def _set_verdict(self, verdict: BrokerVerdict) -> None:
        self.authority.verdict = verdict
        if self._open_entity is not None:
            self._open_entity.async_write_state()
        if verdict is NOT_CHECKED or verdict == self._told:
            return
        self._told = verdict  # said once per change, not on every reconnect
        where = self.connection.where
        if verdict.open and not self.conf.allow_open_broker:
            # An error where commands are configured (they will not work), a warning where none are.
            commanded = bool(self.conf.command_accounts or self.conf.command_user)
            _LOGGER.log(
                logging.ERROR if commanded else logging.WARNING,
                "MQTT broker %s lets anyone in (%s): commands over MQTT are IGNORED. Give each client "
                "its own broker account and ACL (docs/mqtt-broker.md)", where, verdict.detail,
            )  # fmt: skip
        elif verdict.open:
            _LOGGER.warning(
                "MQTT broker %s lets anyone in (%s), and allow_open_broker is set: commands are taken "
                "although anyone on the broker could send them", where, verdict.detail,
            )  # fmt: skip
        elif verdict.authenticates:
            _LOGGER.info(
                "MQTT broker %s authenticates its clients (%s): commands are taken", where, verdict.detail
            )
        else:
            _LOGGER.warning(
                "MQTT broker %s: %s; commands are ignored until the next connect", where, verdict.detail
            )

    async def _async_publish_all(self) -> None:
        """Everything again: after a (re)connect, or when Home Assistant announces it restarted.
        In slices, giving the loop back between them: the gate must not wait for an announcement.
        Device configs go once each at the end, not once for each of their entities."""
        discovery = self.conf.discovery
        if discovery:
            self._catalog.refresh()
        for i, entity_id in enumerate(self.hub.states.entity_ids()):
            if i % ANNOUNCE_SLICE == ANNOUNCE_SLICE - 1:
                await asyncio.sleep(0)
            if not self.connection.connected:
                return
            state = self.hub.states.get(entity_id)  # gone meanwhile: withdrawn, not announced again
            if state is not None and not self._excluded(entity_id):
                self._publish_entity(state, None, full=True)
        if not discovery:
            return
        if self._migrated:
            self._flush_devices()
            return
        # Home Assistant's way from per-entity to device configs that keeps its entities (and their
        # history and names): `migrate_discovery` on the old topic, the device config, then the old
        # topic emptied, so it does not show each entity twice.
        old = self._catalog.old_topics()
        for topic in old:
            self._publish(topic, encode_json({"migrate_discovery": True}), retain=True)
        self._flush_devices()
        for topic in old:
            self._publish(topic, b"", retain=True)
        self._migrated = True

    def _flush_devices(self) -> None:
        if not self.connection.connected:
            return
        for topic, payload in self._catalog.devices.pending():
            self._publish(topic, payload, retain=True)

    # ----- hub -> broker ------------------------------------------------------------------------
    def _excluded(self, entity_id: str) -> bool:
        return any(fnmatch.fnmatchcase(entity_id, pattern) for pattern in self.conf.exclude)

    def _on_state_changed(self, event: Event[EventStateChangedData]) -> None:
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
            self._catalog.file(state, self.hub.entities.get_entity(eid), target)
            if not full:
                self._flush_devices()
        available = state.state != STATE_UNAVAILABLE
        if full or old is None or (old.state != STATE_UNAVAILABLE) != available:
            self._publish(self.topics.availability(eid), ONLINE if available else OFFLINE, retain=True)
        if full or old is None or old.attributes != state.attributes:
            self._publish(self.topics.attributes(eid), encode_json(dict(state.attributes)), retain=True)
        if full or old is None or old.state != state.state:
            # An empty payload would delete the retained state (and Home Assistant ignores one).
            self._publish(self.topics.state(eid), state.state or EMPTY_STATE, retain=True)

    def _withdraw(self, entity_id: str) -> None:
        """An entity went away (removed or renamed): clear its retained config and topics."""
        self._targets.pop(entity_id, None)
        self._catalog.remove(entity_id)
        if not self.connection.connected:
            return
        self._flush_devices()
        for topic in (self.topics.state, self.topics.attributes, self.topics.availability):
            self._publish(topic(entity_id), b"", retain=True)

    def _on_passage(self, event: Event[PassageRecordedData]) -> None:
        payload = encode_json(dict(event.data))
        if self.connection.connected:
            self._publish(self.topics.passage, payload)
            self._lane_feed.on_record(event.data)
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
                _LOGGER.debug("Home Assistant came online; announcing every entity again")
                self._announcer.request()
            return
        command = self.topics.command_of(topic)
        if command is not None:
            self._door.on_command(topic, *command, payload, retained)
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
        for topic_filter, _qos, callback in list(self._subscribers):
            if topic_matches(topic_filter, topic):
                try:
                    callback(topic, payload, retained)
                except Exception:
                    _LOGGER.exception("MQTT subscriber of %s failed on %s", topic_filter, topic)

    def _target_of(self, entity_id: str) -> CommandTarget | None:
        """The commands an entity takes, as last published (or from its state if not yet)."""
        if self._excluded(entity_id):
            return None
        target = self._targets.get(entity_id)
        if target is None and (state := self.hub.states.get(entity_id)) is not None:
            target = command_target(entity_id, state.attributes)
        return target
