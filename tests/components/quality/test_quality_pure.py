"""The pure parts of the data-quality rules, table-driven: configuration, schedule, stage dates, gaps."""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from hub.components.quality.config import QualityConfig, Thresholds
from hub.components.quality.rules_records import gap_findings
from hub.components.quality.rules_state import register_findings
from hub.components.quality.schedule import already_done, due_day
from hub.components.quality.schemas import Run
from hub.components.quality.source import Passage
from hub.components.quality.window import Window

TZ = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("section", "problem"),
    [
        ({"rules": {"no_such_rule": {"enabled": False}}}, "unknown rule"),
        ({"thresholds": {"working_hours": "22:00-06:00"}}, "start before they end"),
        ({"thresholds": {"working_hours": "6 to 22"}}, "HH:MM-HH:MM"),
        ({"thresholds": {"weighbridge_lanes": ["east gate in"]}}, "gate/lane"),
        ({"thresholds": {"in_plant_plate_patterns": ["(unclosed"]}}, r"\(unclosed"),
        ({"rules": {"clock_skew": {"severity": "fatal"}}}, "severity"),
    ],
)
def test_configuration_refused_with_the_reason(section: dict, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        QualityConfig.model_validate(section)


def test_switches_and_severities() -> None:
    config = QualityConfig.model_validate(
        {"rules": {"repeated_read": {"enabled": False}, "upload_backlog": {"severity": "error"}}}
    )
    assert not config.enabled("repeated_read") and config.enabled("clock_skew")
    assert config.severity("upload_backlog") == "error" and config.severity("repeated_read") == "info"


@pytest.mark.parametrize(
    ("now", "done", "due"),
    [
        (datetime(2026, 10, 2, 1, 29, tzinfo=TZ), None, None),  # before the time
        (datetime(2026, 10, 2, 1, 30, tzinfo=TZ), None, date(2026, 10, 1)),
        (datetime(2026, 10, 2, 23, 0, tzinfo=TZ), date(2026, 10, 1), None),  # made already
        (datetime(2026, 10, 3, 1, 31, tzinfo=TZ), date(2026, 10, 1), date(2026, 10, 2)),
    ],
)
def test_daily_run_is_due_once_a_day(now: datetime, done: date | None, due: date | None) -> None:
    assert due_day(now, QualityConfig(), done) == due


def test_a_hub_started_after_the_time_does_not_make_up_the_run() -> None:
    config = QualityConfig()
    assert already_done(datetime(2026, 10, 2, 9, 0, tzinfo=TZ), config) == date(2026, 10, 1)
    assert already_done(datetime(2026, 10, 2, 1, 0, tzinfo=TZ), config) is None


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"date": "2026-10-01", "start": "2026-10-01", "end": "2026-10-02"}, "not both"),
        ({"start": "2026-10-01"}, "go together"),
        ({"start": "2026-10-05", "end": "2026-10-01"}, "before start"),
        ({"start": "2026-01-01", "end": "2026-12-31"}, "at most 92 days"),
        ({"date": "1999-12-31"}, "between 2000 and 2099"),
        ({"rules": ["no_such_rule"]}, "rules"),
    ],
)
def test_run_requests_refused(data: dict, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        Run.model_validate(data)


def _vehicle(stage: str, registered: str, **data: object) -> tuple:
    record = {"registration_date": registered, "photo_licence": "a" * 64, "network_status": True, **data}
    return ("transport", "冀B1", "冀B1", None, None, "LFWADRJF1J1000001", "重型半挂牵引车", "B", stage,
            json.dumps(record))  # fmt: skip


@pytest.mark.parametrize(
    ("stage", "registered", "rule"),
    [
        ("6", "2019-07-01", None),
        ("6", "2018-12-31", "stage_date_inconsistent"),  # 国六 before 2019
        ("5", "2012-06-01", "stage_date_inconsistent"),
        ("3", "2016-03-01", "stage_date_inconsistent"),  # a new 国三 truck long after 国三 ended
        ("3", "2010-03-01", None),
        ("D", "2015-01-01", None),  # electric: any date
    ],
)
def test_stage_against_registration_date(stage: str, registered: str, rule: str | None) -> None:
    found = register_findings([_vehicle(stage, registered)], "2026-10-01", Thresholds())
    assert [f.rule for f in found] == ([rule] if rule else [])


def test_network_status_needed_for_heavy_diesel_guo6_only() -> None:
    no_status = {"network_status": None}
    assert [f.detail["missing"] for f in register_findings([_vehicle("6", "2020-01-01", **no_status)], "d",
                                                          Thresholds())] == [["network_status"]]  # fmt: skip
    assert register_findings([_vehicle("5", "2015-01-01", **no_status)], "d", Thresholds()) == []


def _passage(seq: int, hour: int, minute: int = 0) -> Passage:
    moment = datetime(2026, 10, 1, hour, minute, tzinfo=TZ)
    return Passage(seq, f"p{seq}", int(moment.timestamp()), moment.isoformat(), "east_gate", "in", "in",
                   "冀B1", "transport", "allow", "a", "b")  # fmt: skip


def test_gaps_inside_working_hours_only() -> None:
    win = Window.of(date(2026, 10, 1), date(2026, 10, 1), TZ, 2_000_000_000)
    th = Thresholds(working_hours="08:00-18:00", max_gap_minutes=120)
    # 05:00 and 07:00 are outside; 08:00-09:30 is fine; 09:30-12:00 is a gap; 12:00-18:00 is another.
    found = gap_findings([_passage(1, 5), _passage(2, 7), _passage(3, 9, 30), _passage(4, 12)], win, th)
    assert [(f.detail["minutes"], f.seqs) for f in found] == [(150, [3, 4]), (360, [4])]
    assert gap_findings([], win, Thresholds(working_hours="08:00-18:00", lanes=[])) == []
    watched = Thresholds(working_hours="08:00-18:00", lanes=["west_gate/main"])
    assert [f.subject for f in gap_findings([], win, watched)] == ["west_gate/main"]
