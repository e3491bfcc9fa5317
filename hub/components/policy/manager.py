"""The policy at run time: the plant's lanes and the objects that each do one job for them.

- `lane_control.py: LaneController`: a plate read becomes a decision, a ledger row, then a barrier
  movement, one read at a time per lane;
- `lifecycle.py: PassageLifecycle`: the passage state machine and its lifecycle rows;
- `weight_join.py: WeightJoin`: the passage's weight step;
- `lane_devices.py: LaneDevices`: the lane's barrier, display and alarm;
- `select.py: AlertLevelSelect`: the alert level in force, owned by its select entity;
- `register_lookup.py: RegisterLookup`: the register's record of a plate;
- `lanes.py: LaneWiring`: the entities bound to each lane's parts;
- `refused.py: RefusedReads`: reads the ledger refused, recorded later.
"""

from __future__ import annotations

import logging
from typing import Any

from hub.core import Context, Hub
from hub.core.const import (
    EVENT_HUB_STARTED,
    EVENT_PASSAGE_RECORDED,
    EVENT_PLATE_READ,
    EVENT_STATE_CHANGED,
    EVENT_WEIGHT_STABLE,
)

from .config import PolicyConfig
from .const import DOMAIN
from .incoming import BadRead, parse_read
from .lane_control import LaneController
from .lane_devices import LaneDevices
from .lanes import LaneWiring
from .lifecycle import PassageLifecycle
from .passage import LaneTrack, RecentPassages
from .refused import RefusedReads
from .register_lookup import RegisterLookup
from .select import AlertLevelSelect
from .sensor import DecisionSensor
from .weight_join import WeightJoin

_LOGGER = logging.getLogger(__name__)


class PolicyManager:
    def __init__(self, hub: Hub, config: PolicyConfig) -> None:
        self.hub = hub
        self.config = config
        self.book = config.rule_book()
        self.lanes: dict[str, LaneTrack] = {}
        self.bindings = {binding.key: binding for binding in config.lanes}
        self.passages = RecentPassages()
        self.lifecycle = PassageLifecycle(hub, self.lanes, config.recovery_hours)
        self.wiring = LaneWiring(hub, self.lifecycle, config.read_max_age_seconds)
        self.select = AlertLevelSelect(hub, self.book, config.schedule_check_seconds, self._show_alert)
        self.devices = LaneDevices(hub, config, self.wiring, self.lifecycle, self.select)
        self.register = RegisterLookup(hub, config.lookup_timeout, self.devices.warn_once)
        self.control = LaneController(self)
        self.weights = WeightJoin(hub, config.weight_join_seconds)
        self.refused = RefusedReads(
            hub, config.refused_spool_limit, config.read_max_age_seconds, self.control.reason_text
        )
        self._unsubs: list[Any] = []

    async def async_start(self) -> None:
        await self.select.async_load()
        await self.hub.entities.async_add(DOMAIN, [self.select])
        for ref in self.config.lanes:
            self.lane(ref.gate, ref.lane)
        self._discover_lanes()
        await self.lifecycle.async_recover()
        await self.weights.async_restore()
        bus = self.hub.bus
        self._unsubs = [
            bus.async_listen(EVENT_PLATE_READ, self.control.on_plate_read),
            bus.async_listen(
                EVENT_STATE_CHANGED,
                self.lifecycle.on_cover,
                event_filter=lambda e: str(e.data.get("entity_id", "")).startswith("cover."),
            ),
            bus.async_listen(EVENT_PASSAGE_RECORDED, self.weights.on_recorded),
            bus.async_listen(EVENT_WEIGHT_STABLE, self.weights.on_weight),
            bus.async_listen(EVENT_HUB_STARTED, lambda _e: self._discover_lanes()),
        ]
        self.hub.async_create_background_task(self.select.async_run_schedule(), name="policy alert schedule")

    def async_stop(self) -> None:
        for unsub in self._unsubs:
            unsub()
        self._unsubs.clear()
        self.wiring.stop()

    def lane(self, gate: str, lane: str) -> LaneTrack:
        key = f"{gate}_{lane}"
        track = self.lanes.get(key)
        if track is None:
            track = self.lanes[key] = LaneTrack(gate, lane, self.bindings.get(key))
            self.wiring.bind(track)
            track.sensor = DecisionSensor(track)
            self.hub.async_create_task(self._async_add_sensor(track), name=f"policy sensor {key}")
        return track

    async def _async_add_sensor(self, track: LaneTrack) -> None:
        assert track.sensor is not None
        await self.hub.entities.async_add(DOMAIN, [track.sensor])

    def _discover_lanes(self) -> None:
        """Lanes that have a barrier or a camera get a decision sensor before their first read."""
        for state in [*self.hub.states.all("cover"), *self.hub.states.all("sensor")]:
            if not state.entity_id.endswith(("_barrier", "_plate")):
                continue
            gate, lane = state.attributes.get("gate"), state.attributes.get("lane")
            if isinstance(gate, str) and isinstance(lane, str):
                try:
                    parse_read({"gate": gate, "lane": lane, "direction": "in"})
                except BadRead:
                    continue
                self.lane(gate, lane)

    def _show_alert(self, context: Context) -> None:
        self.devices.show_alert(list(self.lanes.values()), context)
