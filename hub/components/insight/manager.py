"""The component at work: listens to readings, passages, reads, weights and station data; joins, flags,
and raises anomalies (stored, announced as `insight_anomaly`, shown by the rule's binary sensor).

Events are handled one at a time, in the order they came (one lock, FIFO), as tracked tasks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar

from hub.core import Context, Event, Hub
from hub.core.const import EVENT_PASSAGE_RECORDED, EVENT_PLATE_READ, EVENT_WEIGHT_STABLE
from hub.core.events import (
    AirQualityData,
    EventStateChangedData,
    PassageRecordedData,
    PlateReadData,
    RecordFollowupData,
    RemoteSensingReadingData,
    WeightStableData,
)
from hub.core.track import async_track_state_change_event

from . import hourly, store
from .anomalies import Anomaly, AnomalyRules
from .config import InsightConfig
from .const import (
    DOMAIN,
    EVENT_AIR_QUALITY_DATA,
    EVENT_ANOMALY,
    EVENT_EXCEEDANCE,
    EVENT_READING_JOINED,
    EVENT_REMOTE_SENSING_READING,
    RULES,
)  # fmt: skip
from .entities import MAX_LISTED, AnomalySensor, FlaggedVehicles
from .join import Joiner, Passage, Reading
from .limits import exceeded

_LOGGER = logging.getLogger(__name__)
_DataT = TypeVar("_DataT", bound=Mapping[str, Any])
FLAG_DAYS = 30  # the flagged-vehicles sensor counts this far back
REASON = "尾气遥感超标"
UNITS = {"no_ppm": "ppm", "hc_ppm": "ppm", "co_pct": "%", "opacity_pct": "%"}


class Insight:
    def __init__(self, hub: Hub, config: InsightConfig) -> None:
        self.hub, self.config = hub, config
        self.joiner = Joiner(config.join)
        self.rules = AnomalyRules(config.anomalies)
        self.sensors = {rule: AnomalySensor(rule) for rule in RULES}
        self.flagged = FlaggedVehicles()
        self.hours = hourly.HourlySums()
        self._lock = asyncio.Lock()
        self._unsubs: list[Callable[[], None]] = []

    @property
    def entities(self) -> list[Any]:
        return [*self.sensors.values(), self.flagged]

    async def async_start(self) -> None:
        """Recent passages from the ledger (what the join window and the rules' history need)."""
        days = max(self.config.anomalies.night_history_days, self.config.anomalies.frequent_window_hours / 24)
        since = self.hub.now() - timedelta(days=days)
        for record in await store.async_recent_passages(self.hub, since.timestamp()):
            moment = datetime.fromtimestamp(record["recorded_ts"], self.hub.clock.tz)
            self.rules.on_passage(record, moment)  # history only: nothing raised for the past
            if record["recorded_ts"] >= self.hub.now().timestamp() - 2 * self.config.join.window_seconds:
                self.joiner.add_passage(Passage.of(record))
        await self._async_refresh_flagged()
        # One call per event, so that the type checker matches each handler to its event's data.
        listen, queued = self.hub.bus.async_listen, self._queued
        self._unsubs += [
            listen(EVENT_REMOTE_SENSING_READING, queued(self._async_reading)),
            listen(EVENT_PASSAGE_RECORDED, queued(self._async_record)),
            listen(EVENT_AIR_QUALITY_DATA, queued(self._async_air_quality)),
            listen(EVENT_PLATE_READ, queued(self._async_plate_read)),
            listen(EVENT_WEIGHT_STABLE, queued(self._async_weight)),
        ]
        if self.config.loops:
            loops = list(self.config.loops.values())
            track = async_track_state_change_event(self.hub, loops, self._queued(self._async_loop))
            self._unsubs.append(track)
        self._unsubs.append(self.hub.clock.add_listener(self.tick))

    async def async_stop(self) -> None:
        for unsub in self._unsubs:
            unsub()
        self._unsubs.clear()
        async with self._lock:
            await self.hours.async_flush()

    async def async_flush_hours(self) -> None:
        async with self._lock:
            await self.hours.async_flush()

    def _queued(self, handler: Callable[[Event[_DataT]], Awaitable[None]]) -> Callable[[Event[_DataT]], None]:
        async def run(event: Event[_DataT]) -> None:
            async with self._lock:
                try:
                    await handler(event)
                except Exception:  # one bad fact must not stop the rules
                    _LOGGER.exception("insight: handling %s failed", event.event_type)

        def listener(event: Event[_DataT]) -> None:
            self.hub.async_create_task(run(event), name=f"insight {event.event_type}")

        return listener

    # ----- remote sensing ------------------------------------------------------------------------
    async def _async_reading(self, event: Event[RemoteSensingReadingData]) -> None:
        data: dict[str, Any] = dict(event.data)
        at = str(data.get("at") or self.hub.now().isoformat(timespec="seconds"))
        reading = Reading(
            reading_id=str(data.get("reading_id")), ts=datetime.fromisoformat(at).timestamp(),
            plate=data.get("plate") or None, gate=data.get("gate"), lane=data.get("lane"), data=data,
        )  # fmt: skip
        if not await store.async_store_reading(reading, str(data.get("unit")), at):
            return  # joined (or waiting) already
        joined = self.joiner.add_reading(reading)
        if joined is None:
            unjoined = {"reading_id": reading.reading_id, "passage_id": None}
            self.hub.bus.async_fire(EVENT_READING_JOINED, unjoined)
            return
        await self._async_joined(reading, *joined)

    async def _async_joined(self, reading: Reading, passage: Passage, method: str) -> None:
        over = exceeded(self.config.limits, passage.fuel, passage.emission_stage, reading.data)
        await store.async_store_join(reading, passage, method, over)
        self.hub.bus.async_fire(EVENT_READING_JOINED, {
            "reading_id": reading.reading_id, "passage_id": passage.passage_id, "method": method,
            "plate": passage.plate, "fleet": passage.fleet, "exceeded": sorted(over),
        })  # fmt: skip
        if over:
            await self._async_flag(reading, passage, over)

    async def _async_flag(
        self, reading: Reading, passage: Passage, over: dict[str, tuple[float, float]]
    ) -> None:
        text = "，".join(f"{m.split('_')[0].upper()} {v:g} > {b:g} {UNITS[m]}" for m, (v, b) in over.items())
        reason = f"{REASON} {text}"
        context = Context()
        await self.hub.services.async_call("ledger", "record_followup", RecordFollowupData(
            passage_id=passage.passage_id, kind="emission", reason=reason,
            data={"reading_id": reading.reading_id, "unit": reading.data.get("unit"),
                  "at": reading.data.get("at"), "exceeded": {m: v for m, (v, _) in over.items()},
                  "limits": {m: lim for m, (_, lim) in over.items()}},
        ), context)  # fmt: skip
        flag = {
            "passage_id": passage.passage_id, "plate": passage.plate, "fleet": passage.fleet,
            "emission_stage": passage.emission_stage, "fuel": passage.fuel, "reading_id": reading.reading_id,
            "exceeded": {m: {"value": v, "limit": lim} for m, (v, lim) in over.items()}, "reason": reason,
        }  # fmt: skip
        self.hub.bus.async_fire(EVENT_EXCEEDANCE, flag, context)
        subject = passage.plate or passage.passage_id
        await self._async_raise(Anomaly("remote_sensing_exceedance", subject, f"{subject} {reason}", flag))
        await self._async_refresh_flagged()
        await self._async_feed_policy(passage, reason, context)

    async def _async_feed_policy(self, passage: Passage, reason: str, context: Context) -> None:
        flagging = self.config.flagging
        if flagging.policy == "never" or not passage.plate:
            return
        service = "blacklist_add" if flagging.policy == "deny" else "review_mark_add"
        if not self.hub.services.has_service("vehicles", service):
            _LOGGER.warning("insight: flagging.policy %s needs the vehicles register", flagging.policy)
            return
        since = (self.hub.now() - timedelta(days=FLAG_DAYS)).timestamp()
        if await store.async_exceedances_of(passage.plate, since) < flagging.exceedances:
            return
        known = await self.hub.services.async_call("vehicles", "lookup", {"plate": passage.plate}, context)
        if known and known.get("blacklisted") and not str(known.get("blacklist_reason")).startswith(REASON):
            return  # on the list for another reason (the platform's, an officer's): theirs stands as it is
        if (
            service == "review_mark_add"
            and known
            and (known.get("blacklisted") or not str(known.get("review_reason") or REASON).startswith(REASON))
        ):
            return  # denied anyway, or an officer's own review mark: that stands as it is
        until = self.hub.now() + timedelta(days=flagging.deny_days)
        await self.hub.services.async_call("vehicles", service, {
            "plate": passage.plate, "reason": reason[:200], "source": DOMAIN,
            "valid_until": until.isoformat(timespec="seconds"),
        }, context)  # fmt: skip

    async def _async_refresh_flagged(self) -> None:
        since = (self.hub.now() - timedelta(days=FLAG_DAYS)).timestamp()
        flagged = await store.async_flagged(since)
        self.flagged.vehicles = len(flagged)
        self.flagged.carriers = sorted({f["fleet"] for f in flagged if f["fleet"]})[:MAX_LISTED]
        worst = sorted(flagged, key=lambda f: (-f["exceedances"], f["plate"] or ""))
        self.flagged.plates = [f["plate"] for f in worst[:MAX_LISTED] if f["plate"]]
        if self.flagged.entity_id is not None:
            self.flagged.async_write_state()

    # ----- ledger, lanes, stations ---------------------------------------------------------------
    async def _async_record(self, event: Event[PassageRecordedData]) -> None:
        record = event.data
        kind = record.get("kind")
        if kind == "passage" and record.get("passage_id"):
            moment = self.hub.now()
            for anomaly in self.rules.on_passage(record, moment):
                await self._async_raise(anomaly)
            passage = Passage.of(record)
            for reading, method in self.joiner.add_passage(passage):
                await self._async_joined(reading, passage, method)
        elif kind == "release" and (passage_id := record.get("passage_id")):
            for anomaly in self.rules.on_release(passage_id, self.hub.now().timestamp()):
                await self._async_raise(anomaly)

    async def _async_plate_read(self, event: Event[PlateReadData]) -> None:
        self.rules.on_plate_read(str(event.data.get("gate")), str(event.data.get("lane")))

    async def _async_weight(self, event: Event[WeightStableData]) -> None:
        gate, lane = str(event.data.get("gate")), str(event.data.get("lane"))
        for anomaly in self.rules.on_vehicle_seen(gate, lane, self.hub.now().timestamp()):
            await self._async_raise(anomaly)

    async def _async_loop(self, event: Event[EventStateChangedData]) -> None:
        new, old = event.data.get("new_state"), event.data.get("old_state")
        if new is None or new.state != "on" or (old is not None and old.state == "on"):
            return
        lane_of = {entity: key.split("/") for key, entity in self.config.loops.items()}
        gate, lane = lane_of[event.data["entity_id"]]
        for anomaly in self.rules.on_vehicle_seen(gate, lane, self.hub.now().timestamp()):
            await self._async_raise(anomaly)

    async def _async_air_quality(self, event: Event[AirQualityData]) -> None:
        values = event.data.get("values") or {}
        flags = event.data.get("flags") or {}
        # Values the station itself marks as calibration or maintenance are not the air.
        kept = {f: v for f, v in values.items() if flags.get(f, "N") in ("N", "T")}
        station = str(event.data.get("station"))
        at = event.data.get("data_time")
        moment = datetime.fromisoformat(at) if isinstance(at, str) else self.hub.now()
        # A value out of its plausible range is an anomaly (below), not a concentration to correlate.
        ranges = self.config.anomalies.ranges
        plausible = {
            f: v for f, v in kept.items()
            if not isinstance(v, int | float) or f not in ranges or ranges[f][0] <= v <= ranges[f][1]
        }  # fmt: skip
        if self.hours.add(station, str(event.data.get("kind") or "realtime"), moment, plausible):
            await self.hours.async_flush()
        for anomaly in self.rules.on_air_quality(station, kept, self.hub.clock.monotonic()):
            await self._async_raise(anomaly)

    # ----- raising -------------------------------------------------------------------------------
    async def _async_raise(self, anomaly: Anomaly) -> None:
        moment = self.hub.now()
        await store.async_store_anomaly(anomaly, moment)
        sensor = self.sensors[anomaly.rule]
        sensor.last_ts, sensor.raised, sensor.on = moment.timestamp(), sensor.raised + 1, True
        sensor.last = {"subject": anomaly.subject, "summary": anomaly.summary, "at": moment.isoformat()}
        if sensor.entity_id is not None:
            sensor.async_write_state()
        _LOGGER.warning("insight %s: %s", anomaly.rule, anomaly.summary)
        self.hub.bus.async_fire(EVENT_ANOMALY, {
            "rule": anomaly.rule, "subject": anomaly.subject, "summary": anomaly.summary,
            "at": moment.isoformat(), "detail": anomaly.detail,
        })  # fmt: skip

    def tick(self) -> None:
        """Every minute and whenever a test's clock moves: silent stations, rules whose hold ran out."""
        found = self.rules.check_silence(self.hub.clock.monotonic())
        for anomaly in found:
            self.hub.async_create_task(self._queued_raise(anomaly), name="insight silence")
        now_ts = self.hub.now().timestamp()
        hold = self.config.anomalies.hold_minutes * 60
        for sensor in self.sensors.values():
            if sensor.on and sensor.last_ts is not None and now_ts - sensor.last_ts > hold:
                sensor.on = False
                if sensor.entity_id is not None:
                    sensor.async_write_state()

    async def _queued_raise(self, anomaly: Anomaly) -> None:
        async with self._lock:
            await self._async_raise(anomaly)

    async def async_tick_loop(self) -> None:
        while True:
            await self.hub.clock.async_sleep(60)
            self.tick()
