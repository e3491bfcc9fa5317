"""The policy at run time: a plate read becomes a decision, a ledger row, then a barrier movement.

Per lane, reads are decided one at a time in the order they came (a lock); lanes do not wait for each
other. The passage row is committed (`ledger.record_passage`, which returns after the commit) before
any barrier, display or alarm service is called: if the ledger does not take it, nothing moves, the
lane's decision sensor shows `error`, and the read is recorded later (`refused.py`). Lifecycle rows
are written behind, in order, per lane.

A read older than `read_max_age_seconds` (it waited behind a ledger that could not record) is never
acted on: it is recorded as `read_expired`, held for the guard, and the barrier stays shut. Ages and
the repeat-read window are measured on the monotonic clock, so NTP steps of the wall clock (which is
only recorded) make no read look fresh or stale.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from hub.core import Context, Event, Hub, ServiceValidationError
from hub.core.const import EVENT_GATE_DECISION, EVENT_HUB_STARTED, EVENT_PLATE_READ, EVENT_STATE_CHANGED
from hub.core.faults import ThrottledLog

from . import tags
from .alert import AlertLevels, AlertStore
from .alerting import AlertMixin
from .config import PolicyConfig
from .const import ALERT_STATE_FILE, DOMAIN, VEHICLE_CLASSES, Phase, Reason, Verdict
from .decide import Decision, Read, Vehicle, render
from .incoming import BadRead, Incoming, parse_read
from .lanes import LaneWiring
from .lifecycle import LifecycleMixin
from .online_check import async_decide
from .passage import LaneTrack, Passage, RecentPassages
from .refused import RefusedReads
from .rules import load_common
from .select import AlertLevelSelect
from .sensor import DecisionSensor

_LOGGER = logging.getLogger(__name__)
_SNAPSHOT_LIMITS = {"emission_stage": 4, "fuel": 4, "fleet": 100}
_PART = {"open": "barrier", "display": "display", "alarm": "alarm"}  # what each gate service drives


class PolicyManager(LifecycleMixin, AlertMixin):
    def __init__(self, hub: Hub, config: PolicyConfig) -> None:
        self.hub = hub
        self.config = config
        self.book = config.rule_book()
        self.display_texts = {**load_common().display, **config.display}
        self.lanes: dict[str, LaneTrack] = {}
        self.bindings = {binding.key: binding for binding in config.lanes}
        self.wiring = LaneWiring(hub, self, config.read_max_age_seconds)
        self.passages = RecentPassages()
        self.store = AlertStore(hub.data_dir / ALERT_STATE_FILE)
        self.alerts: AlertLevels = None  # type: ignore[assignment]  # set in async_start
        self.select = AlertLevelSelect(self)
        self.alert_context: Context | None = None  # the service call behind the switch being applied
        self._warned: set[str] = set()
        self._save_tail: asyncio.Task[None] | None = None
        self._unsubs: list[Any] = []
        self.refused = RefusedReads(
            hub, config.refused_spool_limit, config.read_max_age_seconds, self._reason_text
        )
        self._log = ThrottledLog(_LOGGER)  # a full disk refuses every read: a line now and then

    # ----- start and stop ------------------------------------------------------------------------
    async def async_start(self) -> None:
        state = await self.hub.async_add_executor_job(self.store.load)
        self.alerts = AlertLevels(self.store, self._on_alert_change, self._persist_alert, state)
        await self.hub.entities.async_add(DOMAIN, [self.select])
        self.alerts.tick(self.hub.now())  # an alert that ended while the hub was down
        for ref in self.config.lanes:
            self.lane(ref.gate, ref.lane)
        self._discover_lanes()
        await self._async_recover()
        bus = self.hub.bus
        self._unsubs = [
            bus.async_listen(EVENT_PLATE_READ, self._on_plate_read),
            bus.async_listen(
                EVENT_STATE_CHANGED,
                self._on_cover,
                event_filter=lambda e: str(e.data.get("entity_id", "")).startswith("cover."),
            ),
            bus.async_listen(EVENT_HUB_STARTED, lambda _e: self._discover_lanes()),
        ]
        self.hub.async_create_background_task(self._async_schedule_loop(), name="policy alert schedule")

    def async_stop(self) -> None:
        for unsub in self._unsubs:
            unsub()
        self._unsubs.clear()
        self.wiring.stop()

    # ----- lanes ---------------------------------------------------------------------------------
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

    def has(self, key: str, what: str) -> bool:
        """Whether the lane has its barrier (`open`), `display` or `alarm` wired."""
        track = self.lanes.get(key)
        return track is not None and self.wiring.command(track, _PART[what]) is not None

    def warn_once(self, tag: str, message: str, *args: Any) -> None:
        if tag not in self._warned:
            self._warned.add(tag)
            _LOGGER.warning(message, *args)

    # ----- a plate read --------------------------------------------------------------------------
    def _on_plate_read(self, event: Event) -> None:
        try:
            incoming = parse_read(event.data, received=self.hub.clock.monotonic())
        except BadRead as err:
            _LOGGER.error("Policy: plate_read %s ignored: %s", event.data.get("read_id"), err)
            return
        self.hub.async_create_task(self.async_handle(incoming, event.context), name="policy decide")

    async def async_handle(self, incoming: Incoming, context: Context) -> Passage | None:
        track = self.lane(incoming.gate, incoming.lane)
        async with track.lock:
            now = self.hub.now()
            if self._expired(incoming):  # it waited behind a ledger that could not record
                return await self._async_expired(track, incoming, context)
            tag = incoming.rfid or self.wiring.recent_tag(track)
            by_tag = await tags.async_tag_record(self, tag, context) if tag else None
            from_tag = False  # a lane with no plate camera: the tag names the vehicle (tags.py)
            if by_tag is not None and not incoming.read.plate:
                incoming, from_tag = tags.identified(incoming, by_tag), True
            current = track.current
            if current is not None and self._merges(current, incoming, now):
                current.last_seen, current.merged_reads = now, current.merged_reads + 1
                current.seen_monotonic = self.hub.clock.monotonic()
                track.write_state(context)
                if current.phase is Phase.DENIED:  # the driver is still there: show why again
                    await self.async_show(track, current, "deny", context)
                return None
            if current is not None:
                self.supersede(track, current)
            if from_tag:
                record, failed = by_tag, False
            else:
                record, failed = await self.async_lookup(incoming.read, context)
            alert = self.alerts.current(now)
            # The platform may be asked too (online_check.py), within its time budget.
            decision, vehicle = await async_decide(
                self, incoming, record, failed, level=alert.level, measure_code=alert.measure_code, when=now
            )
            if by_tag is not None and not from_tag and not failed and tags.disagrees(by_tag, record):
                enforced = incoming.read.direction in self.book.options.enforce_directions
                decision = tags.mismatch_decision(decision, str(tag), by_tag, enforced)
            passage = self._new_passage(incoming, decision, alert.level, now, vehicle)
            return await self._async_record_and_act(track, passage, incoming, context)

    def _new_passage(
        self, incoming: Incoming, decision: Decision, level: str, now: datetime, vehicle: dict[str, Any]
    ) -> Passage:
        read = incoming.read
        return Passage(
            passage_id=str(uuid.uuid4()), read_id=incoming.read_id, gate=incoming.gate, lane=incoming.lane,
            direction=read.direction, plate=read.plate, colour=read.colour, decision=decision,
            alert_level=level, created_at=now, last_seen=now, confidence=read.confidence, vehicle=vehicle,
            seen_monotonic=self.hub.clock.monotonic(),
        )  # fmt: skip

    async def _async_record_and_act(
        self, track: LaneTrack, passage: Passage, incoming: Incoming, context: Context
    ) -> Passage:
        track.current = passage
        self.passages.add(passage)
        row = self._passage_row(passage, incoming)
        try:
            result = await self.hub.services.async_call("ledger", "record_passage", row, context)
        except Exception as err:
            await self._async_ledger_failed(track, passage, err, context)
            self.refused.put(passage, row, incoming.received)
            return passage
        self.refused.kick()  # the ledger takes rows: what it refused before goes in now
        passage.seq = result["seq"]
        passage.phase = Phase.DECIDED
        self.note_arrival(track, passage)
        # An expired read is recorded for the guard, and nothing at the lane moves for it.
        if passage.decision.reason_code != Reason.READ_EXPIRED:
            if self._expired(incoming):  # the commit itself took that long (a lock held elsewhere)
                await self._async_expired_after_commit(track, passage, incoming)
            else:
                await self.async_actuate(track, passage, context)
        self.announce(track, passage, context)
        return passage

    # ----- reads that waited too long ------------------------------------------------------------
    def _age(self, incoming: Incoming) -> float:
        return self.hub.clock.monotonic() - incoming.received

    def _expired(self, incoming: Incoming) -> bool:
        return self._age(incoming) > self.config.read_max_age_seconds

    def _reason_text(self, code: str, age: float) -> str:
        text = self.book.texts.get(code, code)
        return text.replace("{age}", f"{age:.0f}") if code == Reason.READ_EXPIRED else text

    async def _async_expired(self, track: LaneTrack, incoming: Incoming, context: Context) -> Passage:
        """Record the read as expired, for the guard; decide nothing, move nothing."""
        age = self._age(incoming)
        self._log.log(
            "expired", logging.WARNING, "Policy: read %s of %s at %s is %.0f s old: recorded as expired",
            incoming.read_id, incoming.read.plate, track.key, age,
        )  # fmt: skip
        if track.current is not None:
            self.supersede(track, track.current)
        now = self.hub.now()
        text = self._reason_text(Reason.READ_EXPIRED, age)
        reason = Decision(Verdict.REVIEW, Reason.READ_EXPIRED, text, needs_review=True)
        level = self.alerts.current(now).level
        passage = self._new_passage(incoming, reason, level, now, {"registered": None})
        return await self._async_record_and_act(track, passage, incoming, context)

    async def _async_expired_after_commit(
        self, track: LaneTrack, passage: Passage, incoming: Incoming
    ) -> None:
        """Committed as decided, but too late to act on: the barrier stays shut, a lifecycle row says
        the passage was interrupted because its read expired, and the guard sees an error with why."""
        age = self._age(incoming)
        text = self._reason_text(Reason.READ_EXPIRED, age)
        passage.phase = Phase.ERROR
        passage.error = f"{passage.decision.verdict.value}: {passage.decision.reason_text}; {text}"
        passage.decision = replace(passage.decision, reason_code=Reason.READ_EXPIRED, reason_text=text)
        try:
            await self.hub.services.async_call(
                "ledger", "record_followup",
                {"passage_id": passage.passage_id, "kind": "lifecycle",
                 "data": {"state": Phase.INTERRUPTED.value, "reason_code": str(Reason.READ_EXPIRED)},
                 "reason": text},
                Context(),
            )  # fmt: skip
        except Exception as err:
            _LOGGER.error("Policy: expiry of passage %s not recorded: %s", passage.passage_id, err)

    def _merges(self, current: Passage, incoming: Incoming, now: datetime) -> bool:
        if current.seen_monotonic is not None:
            since = self.hub.clock.monotonic() - current.seen_monotonic
        else:  # a passage adopted from the ledger after a restart
            since = (now - current.last_seen).total_seconds()
        return (
            current.phase is not Phase.ERROR
            and current.decision.reason_code != Reason.READ_EXPIRED  # a fresh read decides anew
            and current.plate == incoming.read.plate
            and current.direction == incoming.read.direction
            and since < self.config.merge_seconds
        )

    def supersede(self, track: LaneTrack, passage: Passage) -> None:
        """A new vehicle at the lane ends the passage before it, if it was still going."""
        if passage.finished or passage.seq is None:
            return
        if passage.phase is Phase.DECIDED and passage.decision.verdict is not Verdict.ALLOW:
            self.set_phase(track, passage, Phase.DENIED)  # held for review, never let in
        else:
            self.set_phase(track, passage, Phase.CLOSED)

    async def _async_ledger_failed(
        self, track: LaneTrack, passage: Passage, err: Exception, context: Context
    ) -> None:
        self._log.log(
            "ledger", logging.ERROR, "Policy: ledger did not record %s at %s (%s); barrier NOT opened",
            passage.plate, track.key, err,
        )  # fmt: skip
        passage.phase = Phase.ERROR
        passage.error = f"{passage.decision.verdict.value}: {passage.decision.reason_text}; {err}"
        text = self.book.texts.get("ledger_failed", "ledger_failed")
        passage.decision = replace(passage.decision, reason_code=Reason.LEDGER_FAILED, reason_text=text)
        await self.async_show(track, passage, "error", context)
        self.announce(track, passage, context)

    def announce(self, track: LaneTrack, passage: Passage, context: Context) -> None:
        track.write_state(context)
        self.hub.bus.async_fire(EVENT_GATE_DECISION, passage.event_data(), context)

    # ----- register ------------------------------------------------------------------------------
    async def async_lookup(self, read: Read, context: Context) -> tuple[Mapping[str, Any] | None, bool]:
        """The register's record of the plate: (record or None, whether the lookup failed)."""
        if not read.plate:
            return None, False
        if not self.hub.services.has_service("vehicles", "lookup"):
            self.warn_once("vehicles", "Policy: no vehicles register loaded; every vehicle is unregistered")
            return None, False
        if context.user_id is not None:  # a guard's correction: the hub asks, on its behalf
            context = Context(parent_id=context.id)
        query = {"plate": read.plate}
        if read.colour != "unknown":  # the register flags a colour that differs from its record
            query["colour"] = read.colour
        try:
            async with asyncio.timeout(self.config.lookup_timeout):
                record = await self.hub.services.async_call("vehicles", "lookup", query, context)
        except ServiceValidationError as err:
            _LOGGER.info("Policy: register refused %s: %s", query, err)  # not a plate it can hold
            return None, False
        except Exception as err:
            _LOGGER.warning("Policy: register lookup of %s failed: %s", read.plate, err)
            return None, True
        if record is not None and not isinstance(record, Mapping):
            _LOGGER.warning(
                "Policy: register returned %r for %s; treated as a failed lookup", record, read.plate
            )
            return None, True
        return record, False

    def vehicle_of(self, record: Mapping[str, Any] | None) -> Vehicle | None:
        if record is None:
            return None
        vehicle = Vehicle.from_lookup(record)
        if vehicle.vehicle_class not in VEHICLE_CLASSES:
            self.warn_once(
                f"class:{vehicle.vehicle_class}", "Policy: register class %r unknown", vehicle.vehicle_class
            )
            vehicle = replace(vehicle, vehicle_class="unknown")
        return vehicle

    def _passage_row(self, passage: Passage, incoming: Incoming) -> dict[str, Any]:
        d = passage.decision
        return {
            "passage_id": passage.passage_id,
            "read_id": passage.read_id,
            "gate": passage.gate,
            "lane": passage.lane,
            "direction": passage.direction,
            "plate": passage.plate,
            "colour": passage.colour,
            "vehicle_class": d.vehicle_class,
            "vehicle": passage.vehicle,
            "decision": d.verdict.value,
            "reason_code": str(d.reason_code),
            "reason_text": d.reason_text,
            "rule": d.rule,
            "alert_level": passage.alert_level,
            "confidence": passage.confidence,
            "needs_review": d.needs_review,
            "captured_at": incoming.captured_at,
            "photos": incoming.photos,  # references: the camera put the photos in hub.photos
            "rfid": incoming.rfid,
        }

    # ----- the lane's devices --------------------------------------------------------------------
    async def async_actuate(self, track: LaneTrack, passage: Passage, context: Context) -> bool:
        """Open for allow; show the reason and sound the alarm for deny; show 'wait' for review."""
        verdict = passage.decision.verdict
        if verdict is Verdict.ALLOW:
            opened = await self.async_open(track, passage, context)
            await self.async_show(
                track,
                passage,
                "released" if passage.decision.reason_code == Reason.RELEASED else "allow",
                context,
            )
            return opened
        await self.async_show(track, passage, "deny" if verdict is Verdict.DENY else "review", context)
        if verdict is Verdict.DENY:
            if self.config.alarm_seconds and self.has(track.key, "alarm"):
                await self._async_barrier(track, "alarm", {"seconds": self.config.alarm_seconds}, context)
            if passage.phase is not Phase.DENIED:
                self.set_phase(track, passage, Phase.DENIED)
        return False

    async def async_open(self, track: LaneTrack, passage: Passage, context: Context) -> bool:
        if not self.has(track.key, "open"):
            self.warn_once(
                f"barrier:{track.key}",
                "Policy: no barrier configured for lane %s; passages are recorded, nothing is opened",
                track.key,
            )
            self.set_phase(track, passage, Phase.CLOSED)
            return False
        barrier = track.binding.entity("barrier")
        cover = self.hub.states.get(barrier) if barrier else None
        passage.seen_open = cover is not None and cover.state in ("opening", "open")
        previous, passage.phase = (
            passage.phase,
            Phase.OPENING,
        )  # before the call: the cover may report at once
        if not await self._async_barrier(track, "open", {}, context):
            passage.phase = previous
            passage.error = "道闸开启失败 barrier did not open"
            return False
        passage.error = None
        self._write_lifecycle(track, passage, Phase.OPENING)
        return True

    async def async_show(self, track: LaneTrack, passage: Passage, kind: str, context: Context) -> None:
        if not self.has(track.key, "display"):
            return
        alert = self.alerts.state
        fields = {
            "plate": passage.plate,
            "stage": self.book.label("stages", passage.vehicle.get("emission_stage")),
            "reason": passage.decision.reason_text,
            "level": self.book.label("levels", alert.level),
            "response": self.book.label("response", alert.level),
        }
        text = render(self.display_texts.get(kind, "{plate} {reason}"), fields)
        await self._async_barrier(
            track, "display", {"text": text, "seconds": self.config.display_seconds}, context
        )

    async def async_open_lane(self, track: LaneTrack, context: Context) -> bool:
        """Open the lane's barrier for no passage the policy decided (a person's opening by hand)."""
        return await self._async_barrier(track, "open", {}, context)

    async def _async_barrier(
        self, track: LaneTrack, service: str, extra: dict[str, Any], context: Context
    ) -> bool:
        """Drive the lane's part: our gate devices by `barrier.<service>` with the lane, any other
        bound entity by its platform's service (lanes.py)."""
        command = self.wiring.command(track, _PART[service])
        if command is None:
            _LOGGER.error("Policy: lane %s has no %s to drive", track.key, _PART[service])
            return False
        domain, name, target = command
        if domain == "barrier":
            data = {**target, **extra}
        elif domain == "text":
            data = {**target, "value": extra["text"][:255]}
        else:
            data = dict(target)
        if context.user_id is not None:
            # The hub moves the lane's devices; the person's own call (a release, an alert switch) is
            # what is authorised and audited, and their role need not include the barrier's.
            context = Context(parent_id=context.id)
        try:
            await self.hub.services.async_call(domain, name, data, context)
        except Exception as err:
            _LOGGER.error("Policy: %s.%s at %s failed: %s", domain, name, track.key, err)
            return False
        if domain == "switch" and extra.get("seconds"):  # an alarm lamp of the plant's: off again later
            self.hub.async_create_task(
                self._async_switch_off(data, float(extra["seconds"]), context), name=f"alarm off {track.key}"
            )
        return True

    async def _async_switch_off(self, data: dict[str, Any], seconds: float, context: Context) -> None:
        await asyncio.sleep(seconds)
        try:
            await self.hub.services.async_call("switch", "turn_off", data, context)
        except Exception as err:
            _LOGGER.error("Policy: switching off %s failed: %s", data["entity_id"], err)


def snapshot(record: Mapping[str, Any] | None) -> dict[str, Any]:
    """The register's record as the ledger keeps it with the passage: JSON-safe, within its limits."""
    if record is None:
        return {"registered": False}
    out: dict[str, Any] = {"registered": True}
    for key, value in record.items():
        if key in ("images", "photos") or isinstance(value, bytes | bytearray):
            continue
        if value is None or isinstance(value, bool | int | float):
            out[str(key)] = value
        elif isinstance(value, Mapping):
            out[str(key)] = {
                str(k): v if isinstance(v, bool | int | float | None) else str(v)[:200]
                for k, v in value.items()
            }
        else:
            out[str(key)] = str(value)[: _SNAPSHOT_LIMITS.get(str(key), 200)]
    for key in ("emission_stage", "fuel"):
        if isinstance(out.get(key), str):
            out[key] = out[key].upper()
    return out
