"""A month of gate traffic recorded through the ledger's services, clean or with one planted defect of
every data-quality rule; returns the seqs of the planted passages, to compare findings with.

Clean traffic: ten trucks, five trips a day from 08:30 every two hours, each entry weighed with 30 t of
iron ore and each exit weighed, 40 minutes inside, both photos, camera clocks right. The test's working
hours are 08:00-18:00 with a gap limit of 180 minutes, which that traffic keeps.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from hub.components.ledger.sql import for_dialect
from hub.core import Hub, ManualClock

JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF"
CLEAN_TRIPS = (time(8, 30), time(10, 30), time(12, 30), time(14, 30), time(16, 30))
CONFIG = """\
quality:
  check_seconds: 3600
  thresholds:
    working_hours: "08:00-18:00"
    max_gap_minutes: 180
    cargo: {铁矿石: {min_t: 10, max_t: 49}}
    in_plant_plate_patterns: ["^厂内"]
"""
# Register records: (vclass, key/plate, vin, vehicle_type, fuel, stage, data)
HEAVY = "重型半挂牵引车"
DOCS = {"photo_licence": "a" * 64}


@dataclass
class Month:
    first: date
    last: date
    planted: dict[str, list[int]] = field(default_factory=dict)  # rule -> seqs of its planted passages


class Recorder:
    def __init__(self, hub: Hub, clock: ManualClock) -> None:
        self.hub, self.clock = hub, clock
        self.n = 0

    async def passage(
        self, at: datetime, plate: str, direction: str, *, photos: tuple[str, ...] = ("plate", "scene"),
        weight: bool = True, cargo: dict[str, Any] | None = None, skew_s: int = 0,
        vehicle_class: str = "transport", lane: str | None = None,
    ) -> int:  # fmt: skip
        self.clock.set(at)
        self.n += 1
        data = {
            "passage_id": str(uuid.uuid4()),
            "gate": "east_gate",
            "lane": lane or direction,
            "direction": direction,
            "plate": plate,
            "colour": "yellow",
            "vehicle_class": vehicle_class,
            "vehicle": {"emission_stage": "6", "fuel": "B", "registered": True},
            "decision": "allow",
            "reason_code": "allowed",
            "captured_at": (at + timedelta(seconds=skew_s)).isoformat(),
            "images": {role: JPEG + f"{role}-{self.n}".encode() for role in photos},
        }
        result = await self.hub.services.async_call("ledger", "record_passage", data)
        pid = result["passage_id"]
        if weight:
            await self._followup(pid, "weight", {"weight_kg": 45_000 if direction == "in" else 15_000})
        if cargo is None and direction == "in" and vehicle_class == "transport":
            cargo = {"cargo": "铁矿石", "quantity": 30.0, "unit": "t"}
        if cargo:
            await self._followup(pid, "cargo", cargo)
        return int(result["seq"])

    async def _followup(self, pid: str, kind: str, data: dict[str, Any]) -> None:
        await self.hub.services.async_call(
            "ledger", "record_followup", {"passage_id": pid, "kind": kind, "data": data}
        )


def _at(day: date, hour: int, minute: int = 0, tz: Any = None) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=tz)


async def record_month(hub: Hub, clock: ManualClock, first: date, *, planted: bool) -> Month:
    tz = clock.tz
    days = [first + timedelta(days=n) for n in range(30)]
    month = Month(days[0], days[-1])
    rec = Recorder(hub, clock)
    plant: dict[str, list[int]] = month.planted
    for index, day in enumerate(days):
        events: list[tuple[datetime, str, str, dict[str, Any]]] = []
        for trip, start in enumerate(CLEAN_TRIPS):
            if planted and index == 19 and trip in (1, 2):
                continue  # day 20: both lanes silent for six hours (stream_gap)
            plate = f"冀B{(index * 5 + trip) % 10:05d}"
            entry = datetime.combine(day, start, tzinfo=tz)
            events.append((entry, plate, "in", {}))
            events.append((entry + timedelta(minutes=40), plate, "out", {}))
        if planted:
            events += _defects(index, day, tz)
        events.sort(key=lambda e: e[0])
        for at, plate, direction, options in events:
            rule = options.pop("rule", None)
            seq = await rec.passage(at, plate, direction, **options)
            if rule:
                plant.setdefault(rule, []).append(seq)
    return month


def _defects(index: int, day: date, tz: Any) -> list[tuple[datetime, str, str, dict[str, Any]]]:
    """The planted passages of a day, each marked with the rule that must name it."""
    at = lambda h, m=0: _at(day, h, m, tz)  # noqa: E731 - a short local helper
    table: dict[int, list[tuple[datetime, str, str, dict[str, Any]]]] = {
        4: [(at(9, 0), "冀B90001", "out", {"rule": "exit_before_entry"}),
            (at(9, 30), "冀B90001", "in", {"rule": "exit_before_entry"}),
            (at(10, 40), "冀B90001", "out", {})],
        5: [(at(11, 0), "冀B90002", "out", {"rule": "exit_without_entry"})],
        6: [(at(13, 0), "冀B90003", "in", {"rule": "short_trip"}),
            (at(13, 1), "冀B90003", "out", {"rule": "short_trip"})],
        7: [item for n in range(13) for item in (
            (at(7, 0) + timedelta(minutes=50 * n), "冀B90004", "in", {"rule": "trips_per_day"}),
            (at(7, 20) + timedelta(minutes=50 * n), "冀B90004", "out", {}))],
        8: [(at(9, 0), "冀B90005", "in", {"rule": "repeated_read"}),
            (at(9, 1), "冀B90005", "in", {"rule": "repeated_read"}),
            (at(10, 0), "冀B90005", "out", {})],
        9: [(at(10, 0), "冀B90006", "in", {"rule": "missing_photo", "photos": ("plate",)}),
            (at(11, 0), "冀B90006", "out", {})],
        10: [(at(10, 0), "冀B90007", "in", {"rule": "weight_missing", "weight": False}),
             (at(11, 0), "冀B90007", "out", {})],
        11: [(at(10, 0), "冀B90008", "in", {"rule": "volume_missing",
                                            "cargo": {"cargo": "铁矿石", "quantity": None, "unit": "t"}}),
             (at(11, 0), "冀B90008", "out", {})],
        12: [(at(10, 0), "冀B90009", "in", {"rule": "cargo_weight_implausible",
                                            "cargo": {"cargo": "铁矿石", "quantity": 80.0, "unit": "t"}}),
             (at(11, 0), "冀B90009", "out", {})],
        13: [(at(10, 0), "冀B90010", "in", {"rule": "clock_skew", "skew_s": -300}),
             (at(11, 0), "冀B90010", "out", {})],
        15: [(at(10, 0), "厂内007", "in", {"rule": "unregistered_in_plant", "vehicle_class": "in_plant"}),
             (at(11, 0), "厂内007", "out", {"rule": "unregistered_in_plant", "vehicle_class": "in_plant"})],
    }  # fmt: skip
    return [(a, p, d, dict(o)) for a, p, d, o in table.get(index, [])]


async def fill_register(hub: Hub, *, planted: bool) -> dict[str, str]:
    """Vehicle records as an older import left them (written to the table directly, since today's
    register refuses incomplete ones); returns plate -> the rule that must name it."""
    rows: list[tuple[str, str, str | None, str, str, str, dict[str, Any]]] = [
        ("transport", f"冀B{n:05d}", f"LFWADRJF1J10000{n:02d}", HEAVY, "B", "6",
         {"registration_date": "2021-03-01", "network_status": True, **DOCS})
        for n in range(10)
    ]  # fmt: skip
    rows.append(("in_plant", "厂内001", "LFWADRJF1J1000099", "重型自卸货车", "B", "5",
                 {"registration_date": "2016-05-01", **DOCS}))  # fmt: skip
    expected: dict[str, str] = {}
    if planted:
        rows += [
            ("transport", "冀B80001", None, HEAVY, "B", "5", {"registration_date": "2018-01-01", **DOCS}),
            ("transport", "冀B80002", "LFWADRJF1J1080002", HEAVY, "B", "6",
             {"registration_date": "2022-01-01", **DOCS}),
            ("transport", "冀B80003", "LFWADRJF1J1080003", HEAVY, "B", "6",
             {"registration_date": "2017-05-01", "network_status": False, **DOCS}),
        ]  # fmt: skip
        expected = {"冀B80001": "register_incomplete", "冀B80002": "register_incomplete",
                    "冀B80003": "stage_date_inconsistent"}  # fmt: skip
    assert hub.db is not None
    import json

    sql = for_dialect(
        hub.db.dialect,
        "INSERT INTO vehicle (id, vclass, key, plate, vin, vehicle_type, fuel, emission_stage, data, "
        "created_ts, updated_ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    for n, (vclass, plate, vin, vtype, fuel, stage, data) in enumerate(rows, start=1000):
        record = {
            "plate": plate,
            "vin": vin,
            "vehicle_type": vtype,
            "fuel": fuel,
            "emission_stage": stage,
            **data,
        }
        await hub.db.connection.execute_query(
            sql,
            [n, vclass, plate, plate, vin, vtype, fuel, stage, json.dumps(record, ensure_ascii=False), 0, 0],
        )
    return expected


async def fill_uplink(hub: Hub, month: Month, *, planted: bool) -> None:
    """The uplink's daily figures and parked records as a platform left them: every record of every
    day acknowledged, or (planted) one day with a backlog and one record rejected."""
    assert hub.db is not None
    conn, dialect = hub.db.connection, hub.db.dialect
    day_sql = for_dialect(
        dialect,
        "INSERT INTO uplink_day (platform, day, due, sent, acknowledged, on_time, rejected, duplicates) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    for n in range(30):
        day = (month.first + timedelta(days=n)).isoformat()
        acknowledged = 92 if planted and n == 3 else 100
        await conn.execute_query(day_sql, ["province", day, 100, 100, acknowledged, acknowledged, 0, 0])
    if planted:
        await conn.execute_query(
            for_dialect(
                dialect,
                "INSERT INTO uplink_parked (platform, seq, record_id, passage_id, kind, day, gate, plate, "
                "reason, source, parked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ),
            ["province", 17, "R17", None, "passage", month.first.isoformat(), "east_gate", "冀B00003",
             "车牌颜色代码无效 invalid plate colour", "platform", month.first.isoformat()],
        )  # fmt: skip
