"""The anomaly rules over passages, plate reads, weights and microstation data. Each method takes one
fact with its time (epoch seconds) and returns the anomalies it raises; no I/O, so the rules are tested
table-driven and the component stores and announces what they return (rules.py)."""

from __future__ import annotations

import statistics
from collections import OrderedDict, defaultdict, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .config import Anomalies

MAX_REMEMBERED = 20_000  # passage ids kept to find a release's plate


@dataclass(frozen=True, slots=True)
class Anomaly:
    rule: str
    subject: str
    summary: str
    detail: dict[str, Any] = field(default_factory=dict)


class AnomalyRules:
    def __init__(self, config: Anomalies) -> None:
        self.config = config
        self.entries: dict[str, deque[float]] = defaultdict(deque)  # plate -> entry times
        self.fleet_of: dict[str, str] = {}
        self.fleet_plates: dict[str, set[str]] = defaultdict(set)
        self.history: dict[str, deque[tuple[float, bool]]] = defaultdict(deque)  # fleet -> (ts, night)
        self.nights: dict[str, int] = defaultdict(int)  # fleet -> night passages in its history
        self.denials: dict[str, deque[float]] = defaultdict(deque)  # plate -> denial times
        self.plate_of: OrderedDict[str, str] = OrderedDict()  # passage id -> plate
        self.weights: dict[tuple[str, str], deque[float]] = defaultdict(deque)  # lane -> weights since read
        self.flat: dict[tuple[str, str], tuple[float, int]] = {}  # (station, factor) -> (value, run)
        self.heard: dict[str, float] = {}  # station -> monotonic time of its last data
        self.silent: set[str] = set()
        self.frequent_raised: dict[str, float] = {}  # plate -> when: once per window

    # ----- passages ------------------------------------------------------------------------------
    def is_night(self, moment: datetime) -> bool:
        start, end = self.config.night_start_hour, self.config.night_end_hour
        hour = moment.hour
        return start <= hour or hour < end if start > end else start <= hour < end

    def on_passage(self, record: Mapping[str, Any], moment: datetime) -> list[Anomaly]:
        ts = moment.timestamp()
        plate = record.get("plate") or ""
        passage_id = record.get("passage_id")
        if passage_id and plate:
            self.plate_of[passage_id] = plate
            while len(self.plate_of) > MAX_REMEMBERED:
                self.plate_of.popitem(last=False)
        found: list[Anomaly] = []
        if record.get("decision") == "deny" and plate:
            self._keep(self.denials[plate], ts, self.config.denials_window_hours * 3600).append(ts)
        if record.get("direction") != "in" or not plate:
            return found
        fleet = record.get("fleet") or None
        if fleet:
            if self.fleet_of.get(plate) not in (None, fleet):
                self.fleet_plates[self.fleet_of[plate]].discard(plate)  # moved to another carrier
            self.fleet_of[plate] = fleet
            self.fleet_plates[fleet].add(plate)
            found += self._frequent(plate, fleet, ts)
            found += self._night(fleet, moment, ts)
        return found

    @staticmethod
    def _keep(times: deque[Any], now_ts: float, seconds: float) -> deque[Any]:
        while times and (times[0][0] if isinstance(times[0], tuple) else times[0]) < now_ts - seconds:
            times.popleft()
        return times

    def _frequent(self, plate: str, fleet: str, ts: float) -> list[Anomaly]:
        window = self.config.frequent_window_hours * 3600
        mine = self._keep(self.entries[plate], ts, window)
        mine.append(ts)
        if len(mine) < self.config.frequent_min_entries:
            return []  # most entries stop here: the fleet is counted only for a busy vehicle
        peers = [len(self._keep(self.entries[p], ts, window)) for p in self.fleet_plates[fleet] if p != plate]
        peers = [n for n in peers if n]
        if len(peers) < 2:
            return []
        typical = statistics.median(peers)
        if len(mine) <= self.config.frequent_factor * typical:
            return []
        if ts - self.frequent_raised.get(plate, float("-inf")) < window:
            return []
        self.frequent_raised[plate] = ts
        summary = f"{plate} 进厂 {len(mine)} 次，车队 {fleet} 中位数 {typical:g} 次"
        detail = {"plate": plate, "fleet": fleet, "entries": len(mine), "fleet_median": typical}
        return [Anomaly("frequent_vehicle", plate, summary, detail)]

    def _night(self, fleet: str, moment: datetime, ts: float) -> list[Anomaly]:
        history = self.history[fleet]
        while history and history[0][0] < ts - self.config.night_history_days * 86400:
            self.nights[fleet] -= history.popleft()[1]
        night = self.is_night(moment)
        known, nights = len(history), self.nights[fleet]
        history.append((ts, night))
        self.nights[fleet] += night
        if night and known >= self.config.night_min_history and nights == 0:
            summary = f"车队 {fleet} 夜间进厂（此前 {known} 次通行均在白天）"
            return [Anomaly("night_activity", fleet, summary, {"fleet": fleet, "history": known})]
        return []

    def on_release(self, passage_id: str, ts: float) -> list[Anomaly]:
        plate = self.plate_of.get(passage_id)
        if not plate:
            return []
        denials = self._keep(self.denials[plate], ts, self.config.denials_window_hours * 3600)
        if len(denials) < self.config.denials_before_release:
            return []
        count = len(denials)
        denials.clear()
        summary = f"{plate} 被拒绝 {count} 次后放行"
        return [
            Anomaly(
                "denied_then_released",
                plate,
                summary,
                {"plate": plate, "denials": count, "passage_id": passage_id},
            )
        ]

    # ----- lanes ---------------------------------------------------------------------------------
    def on_plate_read(self, gate: str, lane: str) -> None:
        self.weights.pop((gate, lane), None)

    def on_vehicle_seen(self, gate: str, lane: str, ts: float) -> list[Anomaly]:
        """A stable weight or a loop detecting a vehicle on the lane."""
        weights = self._keep(self.weights[(gate, lane)], ts, self.config.lane_window_minutes * 60)
        weights.append(ts)
        if len(weights) < self.config.weights_without_reads:
            return []
        count = len(weights)
        weights.clear()
        subject = f"{gate}_{lane}"
        summary = f"车道 {subject} 检测到车辆 {count} 次（称重或地感）而无车牌识别"
        detail = {"gate": gate, "lane": lane, "weights": count}
        return [Anomaly("lane_without_reads", subject, summary, detail)]

    # ----- microstations -------------------------------------------------------------------------
    def on_air_quality(self, station: str, values: Mapping[str, Any], monotonic: float) -> list[Anomaly]:
        self.heard[station] = monotonic
        self.silent.discard(station)
        found: list[Anomaly] = []
        for factor, value in values.items():
            if not isinstance(value, int | float):
                continue
            bounds = self.config.ranges.get(factor)
            if bounds is not None and not bounds[0] <= value <= bounds[1]:
                summary = f"微站 {station} {factor}={value:g} 超出量程"
                detail = {"station": station, "factor": factor, "value": value, "range": list(bounds)}
                found.append(Anomaly("station_out_of_range", f"{station}/{factor}", summary, detail))
            if factor not in self.config.flat_factors:
                continue
            last, run = self.flat.get((station, factor), (None, 0))
            run = run + 1 if value == last else 1
            self.flat[(station, factor)] = (value, run)
            if run == self.config.flat_readings:
                summary = f"微站 {station} {factor} 连续 {run} 次为 {value:g}"
                detail = {"station": station, "factor": factor, "value": value, "readings": run}
                found.append(Anomaly("station_flat", f"{station}/{factor}", summary, detail))
        return found

    def check_silence(self, monotonic: float) -> list[Anomaly]:
        found = []
        for station, heard in self.heard.items():
            minutes = (monotonic - heard) / 60
            if station not in self.silent and minutes > self.config.missing_minutes:
                self.silent.add(station)
                found.append(Anomaly(
                    "station_missing", station, f"微站 {station} 已 {minutes:.0f} 分钟无数据",
                    {"station": station, "minutes": round(minutes)},
                ))  # fmt: skip
        return found
