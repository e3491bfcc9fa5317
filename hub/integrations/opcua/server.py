"""Our OPC UA server: the gates' states as variables, passages as events, methods that call services.

Fed by the bus: `state_changed` updates variables (and adds those of entities that appear later),
`passage_recorded` (kind passage) emits a `GatePassageEventType` event and updates the lane's last
decision. Everything runs in the hub's event loop; asyncua is asyncio-native.
"""

from __future__ import annotations

import json
import logging
import socket
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from asyncua import ua

from hub.core import Context, Event, Hub, Unauthorized
from hub.core.const import EVENT_PASSAGE_RECORDED, EVENT_STATE_CHANGED
from hub.core.events import EventStateChangedData, PassageRecordedData
from hub.core.state import split_entity_id

from .alarms import ALARM_METHODS, ENGLISH, PLANT_SOURCES, Alarms
from .capabilities import async_fill as async_fill_capabilities
from .certs import ensure_certificate
from .config import OpcUaConfig
from .const import (
    APPLICATION_URI,
    CERT_DAYS,
    CERT_FILE,
    DOMAIN,
    ENDPOINT_PATH,
    KEY_FILE,
    NAMESPACE_URI,
    PLANT_ID,
    PRODUCT_URI,
    ROOT_ID,
)
from .events import PassageEvents, async_create_event_type
from .gatekeeper import Rules
from .guarded_server import GuardedServer
from .history import LedgerHistory
from .logins import AuditedUserManager
from .mapping import (
    BACKLOG_TOTAL,
    SLUG,
    UPLINK_PENDING,
    LaneIndex,
    Reading,
    lane_points,
    lanes_in_config,
    plant_points,
    read_last_passage,
    read_points,
    read_record,
)
from .methods import METHODS, Methods
from .security import HubRuleset, HubUaUser
from .space import GateSpace
from .trust import TrustList
from .types import english_name

_LOGGER = logging.getLogger(__name__)
VERSION = json.loads((Path(__file__).parent / "manifest.json").read_text(encoding="utf-8"))["version"]
WILDCARD_HOSTS = ("0.0.0.0", "::", "")
METHODS_BY_NODE = {f"{ROOT_ID}.{spec.name}": spec for spec in METHODS}


class OpcUaServer:
    def __init__(self, hub: Hub, config: OpcUaConfig) -> None:
        self.hub = hub
        self.config = config
        self.server: GuardedServer | None = None
        self.space: GateSpace | None = None
        self.alarms: Alarms | None = None
        self.events = PassageEvents()
        self.users = AuditedUserManager(hub, config.allow_anonymous)
        self.trust = TrustList(hub.data_dir / DOMAIN / "pki", auto_trust=config.auto_trust_clients)
        self.hostname = config.hostname or (
            config.host if config.host not in WILDCARD_HOSTS else socket.gethostname()
        )
        self.port = config.port
        self.namespace_index = 0
        self.certificate_created = False
        self._backlog: dict[str, int] = {}
        self._passed: set[str] = set()  # lanes with a passage since start: newer than the ledger's last
        self._unsubs: list[Any] = []

    @property
    def endpoint(self) -> str:
        return f"opc.tcp://{self.hostname}:{self.port}{ENDPOINT_PATH}"

    @property
    def certificate_path(self) -> Path:
        return self.hub.data_dir / DOMAIN / CERT_FILE

    async def async_start(self) -> None:
        hostnames = list(dict.fromkeys([self.hostname, "localhost", "127.0.0.1", socket.gethostname()]))
        cert, key, self.certificate_created = await self.hub.async_add_executor_job(
            partial(
                ensure_certificate, self.hub.data_dir / DOMAIN, CERT_FILE, KEY_FILE,
                app_uri=APPLICATION_URI, common_name=self.config.server_name, hostnames=hostnames,
                server=True, days=CERT_DAYS,
            )
        )  # fmt: skip
        await self.hub.async_add_executor_job(self.trust.prepare)
        await self.users.async_refresh()
        rules = Rules(
            self.config.allow_none_policy, self.users.refused_early, self._user_executable, self._display_name
        )
        server = GuardedServer(rules, user_manager=self.users)
        self.server = server
        await server.init()
        server.set_server_name(self.config.server_name)
        server.product_uri = PRODUCT_URI
        server.manufacturer_name = "EcoGate"
        await server.set_application_uri(APPLICATION_URI)
        await server.set_build_info(
            PRODUCT_URI, "EcoGate", self.config.server_name, VERSION, VERSION, datetime.now(UTC)
        )
        await async_fill_capabilities(server)
        await server.load_certificate(cert)
        await server.load_private_key(key)
        server.set_certificate_validator(self.trust.async_validate)
        server.set_endpoint(self.endpoint)
        server.socket_address = (self.config.host, self.config.port)
        policies = [
            ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt,
            ua.SecurityPolicyType.Basic256Sha256_Sign,
        ]
        if self.config.allow_none_policy:
            policies.append(ua.SecurityPolicyType.NoSecurity)
        server.set_security_policy(policies, permission_ruleset=HubRuleset(self.config.allow_anonymous))
        tokens: list[type] = [ua.UserNameIdentityToken]
        if self.config.allow_anonymous:
            tokens.append(ua.AnonymousIdentityToken)
        server.set_identity_tokens(tokens)

        self.namespace_index = await server.register_namespace(NAMESPACE_URI)
        self.space = space = GateSpace(server, self.namespace_index)
        root = await space.async_build()
        etype = await async_create_event_type(server, self.namespace_index)
        await self.events.async_setup(server, etype, self.namespace_index)
        server.iserver.history_manager = LedgerHistory(  # type: ignore[assignment]  # asyncua types its own class
            self.hub, server.iserver.aspace, self.events, self.namespace_index, space.has_lane
        )
        await Methods(self.hub).async_add(root, self.namespace_index, space.model.enums)
        self.alarms = alarms = Alarms(self.hub, server, self.namespace_index, self.config.backlog_alarm)
        await alarms.async_setup()
        space.lane_added = alarms.async_lane

        for ref in self.config.lanes:
            await space.async_lane(ref.gate, ref.lane)
        for gate, lane in lanes_in_config(self.hub.config):
            await space.async_lane(gate, lane)
        # Listen first, then sweep the states present (each read when its turn comes), so no change
        # made meanwhile is lost and none is overwritten by an older value.
        self._unsubs = [
            self.hub.bus.async_listen(EVENT_STATE_CHANGED, self._async_on_state, event_filter=self._relevant),
            self.hub.bus.async_listen(EVENT_PASSAGE_RECORDED, self._async_on_passage),
        ]
        await self._async_restore(space)
        for entity_id in self.hub.states.entity_ids():
            if (state := self.hub.states.get(entity_id)) is not None:
                await self._async_apply(entity_id, state)
        await server.start()
        if server.bserver is not None:
            self.port = server.bserver.port  # the real one when port 0 asked for a free port
        self.hub.async_create_background_task(self.users.async_refresh_loop(), name="opcua users")
        _LOGGER.info(
            "OPC UA server at %s (namespace %s = %s; policies %s; anonymous %s)",
            self.endpoint, self.namespace_index, NAMESPACE_URI,
            ", ".join(p.name for p in policies), "on" if self.config.allow_anonymous else "off",
        )  # fmt: skip

    async def async_stop(self) -> None:
        for unsub in self._unsubs:
            unsub()
        self._unsubs.clear()
        if self.server is not None:
            server, self.server = self.server, None
            try:
                await server.stop()
            except Exception:
                _LOGGER.exception("Stopping the OPC UA server failed")

    def _user_executable(self, user: Any, node_id: ua.NodeId) -> bool | None:
        """May the session's user call this method of ours, or Acknowledge/Confirm (its service's
        roles)? None: not one of those."""
        if node_id in ALARM_METHODS:
            domain, service = DOMAIN, ALARM_METHODS[node_id]
        elif (
            node_id.NamespaceIndex == self.namespace_index
            and isinstance(ident := node_id.Identifier, str)
            and ident in METHODS_BY_NODE
        ):
            spec = METHODS_BY_NODE[ident]
            domain, service = spec.domain, spec.service
        else:
            return None
        services = self.hub.services
        if not isinstance(user, HubUaUser) or not user.user_id or not services.has_service(domain, service):
            return False
        try:
            services.authorize(services.get(domain, service), Context(user_id=user.user_id))
        except Unauthorized:
            return False
        return True

    def _display_name(self, node_id: ua.NodeId, locales: list[str]) -> ua.LocalizedText | None:
        """Our nodes are named zh-CN; a session that asks for English first gets English."""
        english = bool(locales) and locales[0].lower().startswith("en")
        if not english or node_id.NamespaceIndex != self.namespace_index:
            return None
        return english_name(str(node_id.Identifier), ENGLISH)

    async def _async_restore(self, space: GateSpace) -> None:
        """Each lane's last passage from the ledger, so a client after a restart reads the last plate,
        decision and weight; the states swept next (the state machine's) take over where they know."""
        if not self.hub.services.has_service("ledger", "query"):
            return
        for gate, lane in list(space.lanes):
            query = {"gate": gate, "lane": lane, "sort": "-seq", "page_size": 1}
            try:
                found = await self.hub.services.async_call("ledger", "query", query)
            except Exception as err:  # the variables keep their initial values; the hub starts anyway
                _LOGGER.warning("OPC UA: last passage of %s.%s not read from the ledger: %s", gate, lane, err)
                continue
            lane_id = f"{gate}.{lane}"
            if found["items"] and lane_id not in self._passed:
                await space.async_write(lane_id, read_last_passage(found["items"][0]))

    # ----- bus -----------------------------------------------------------------------------------
    def _relevant(self, event: Event[EventStateChangedData]) -> bool:
        """Cheap test in the bus's hands: does this state change feed any variable?"""
        entity_id = event.data["entity_id"]
        if plant_points(entity_id) or entity_id in PLANT_SOURCES:
            return True
        object_id = split_entity_id(entity_id)[1]
        if self.space is not None and self.space.lanes.match(object_id):
            return True
        state = event.data.get("new_state")
        return state is not None and LaneIndex.discover(object_id, state.attributes) is not None

    async def _async_on_state(self, event: Event[EventStateChangedData]) -> None:
        await self._async_apply(event.data["entity_id"], event.data.get("new_state"))

    async def _async_apply(self, entity_id: str, state: Any) -> None:
        space, alarms = self.space, self.alarms
        if space is None or alarms is None or self.server is None:  # stopped
            return
        points = plant_points(entity_id)
        if points or entity_id in PLANT_SOURCES:
            readings = read_points(points, state)
            if m := UPLINK_PENDING.match(entity_id):
                total = self._backlog_total(m.group(1), readings[0])
                readings.append(total)
                await alarms.async_backlog(int(total.value))
            await space.async_write(PLANT_ID, readings)
            await alarms.async_plant_state(entity_id, state)
            return
        object_id = split_entity_id(entity_id)[1]
        found = space.lanes.match(object_id)
        if found is None and state is not None:
            discovered = LaneIndex.discover(object_id, state.attributes)
            if discovered is not None:
                await space.async_lane(*discovered)
                found = space.lanes.match(object_id)
        if found is None:
            return
        gate, lane, what = found
        lane_id = await space.async_lane(gate, lane)
        await space.async_write(lane_id, read_points(lane_points(what), state))
        await alarms.async_lane_state(lane_id, what, entity_id, state)

    def _backlog_total(self, platform: str, reading: Reading) -> Reading:
        if reading.status == "Good":
            self._backlog[platform] = int(reading.value)
        else:
            self._backlog.pop(platform, None)
        return Reading(BACKLOG_TOTAL, sum(self._backlog.values()), "Good", reading.at)

    async def _async_on_passage(self, event: Event[PassageRecordedData]) -> None:
        record = event.data
        space, alarms = self.space, self.alarms
        if space is None or alarms is None or self.server is None:
            return
        gate, lane = record.get("gate"), record.get("lane")
        lane_id: str | None = None
        if isinstance(gate, str) and isinstance(lane, str) and SLUG.match(gate) and SLUG.match(lane):
            lane_id = await space.async_lane(gate, lane)
        if record.get("kind") != "passage":  # a follow-up: it may end a denied truck's wait
            if lane_id is not None:
                await alarms.async_record(lane_id, record)
            return
        if lane_id is not None:
            self._passed.add(lane_id)
        try:
            # The event first: it is what SCADA/MES wait for; the variables follow.
            await self.events.async_emit(record, lane_id)
        except Exception:
            _LOGGER.exception("OPC UA: passage %s not emitted", record.get("passage_id"))
        if lane_id is not None:
            await space.async_write(lane_id, read_record(record))
            await alarms.async_record(lane_id, record)
