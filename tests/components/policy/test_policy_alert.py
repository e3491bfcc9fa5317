"""The alert schedule and its file, and the checking of plate_read events: pure, table-driven."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hub.components.policy.alert import AlertLevels, AlertState, AlertStore, normalise_response, step
from hub.components.policy.incoming import BadRead, parse_read

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 24, 8, 0, tzinfo=TZ)
H = timedelta(hours=1)


@pytest.mark.parametrize(
    ("state", "now", "expected"),
    [
        (AlertState(), T0, None),
        (AlertState(level="orange", start=T0, end=T0 + H), T0 + H / 2, None),
        (AlertState(level="orange", start=T0, end=T0 + H), T0 + H, "normal"),
        (AlertState(measure_code=2, end=T0 + H), T0 + 2 * H, "normal"),
        (AlertState(pending=AlertState(level="red", start=T0 + H)), T0, None),
        (AlertState(pending=AlertState(level="red", start=T0 + H)), T0 + H, "red"),
        (AlertState(pending=AlertState(level="red", start=T0 + H, end=T0 + 2 * H)), T0 + 3 * H, "normal"),
    ],
)
def test_schedule_steps(state, now, expected) -> None:
    nxt = step(state, now)
    assert (nxt.level if nxt else None) == expected
    if nxt is not None:
        assert nxt.pending is None or nxt.pending.start > now


def test_a_scheduled_alert_starts_then_ends(tmp_path) -> None:
    changes: list[tuple[str, str, str]] = []
    levels = AlertLevels(
        AlertStore(tmp_path / "a.json"), lambda o, n: changes.append((o.level, n.level, n.source))
    )
    levels.set(
        AlertState(level="orange", start=T0 + H, end=T0 + 3 * H, source="platform", measure_code=2), T0
    )
    assert levels.current(T0).level == "normal" and levels.state.pending is not None and changes == []
    assert levels.current(T0 + H).level == "orange"
    assert levels.state.measure_code == 2
    assert levels.current(T0 + 3 * H).level == "normal"
    assert changes == [("normal", "orange", "platform"), ("orange", "normal", "schedule")]


def test_the_level_survives_a_restart_and_a_damaged_file_means_normal(tmp_path) -> None:
    store = AlertStore(tmp_path / "a.json")
    AlertLevels(store, lambda o, n: None).set(AlertState(level="red", reason="市重污染应急指挥部通知"), T0)
    again = AlertLevels(store, lambda o, n: None).state
    assert (again.level, again.reason, again.start) == ("red", "市重污染应急指挥部通知", T0)
    store.path.write_text("{not json", encoding="utf-8")
    assert AlertLevels(store, lambda o, n: None).state.level == "normal"
    assert not list(tmp_path.glob("*.tmp"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [("II", "II"), ("Ⅱ级", "II"), ("2", "II"), ("iii", "III"), ("Ⅰ级响应", "I"), ("", None), (None, None)],
)
def test_response_levels(text, expected) -> None:
    assert normalise_response(text) == expected


def test_unknown_response_level() -> None:
    with pytest.raises(ValueError, match="unknown response level"):
        normalise_response("V")


# ----- plate_read checking -----------------------------------------------------------------------------
GOOD = {
    "read_id": "R1",
    "gate": "east_gate",
    "lane": "in",
    "direction": "in",
    "plate": "冀B12345",
    "colour": "yellow",
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"gate": "East Gate"}, "not lane names"),
        ({"lane": None}, "not lane names"),
        ({"direction": "both"}, "neither in nor out"),
    ],
)
def test_a_read_without_a_lane_is_refused(change, message) -> None:
    with pytest.raises(BadRead, match=message):
        parse_read({**GOOD, **change})


@pytest.mark.parametrize(
    ("change", "plate", "colour", "review"),
    [
        ({}, "冀B12345", "yellow", False),
        ({"plate": "冀b·12345"}, "冀B12345", "yellow", False),
        ({"plate": "冀B1234"}, "冀B1234", "yellow", True),
        ({"plate": "X" * 5000}, "X" * 16, "yellow", True),
        ({"plate": ""}, "", "yellow", True),
        ({"colour": "purple"}, "冀B12345", "unknown", False),
        ({"needs_review": True}, "冀B12345", "yellow", True),
    ],
)
def test_malformed_plates_are_kept_but_go_to_the_guard(change, plate, colour, review) -> None:
    incoming = parse_read({**GOOD, **change})
    assert (incoming.read.plate, incoming.read.colour, incoming.read.needs_review) == (plate, colour, review)


def test_read_fields_are_cleaned() -> None:
    incoming = parse_read(
        {
            **GOOD,
            "confidence": "7",
            "captured_at": "yesterday",
            "photos": {
                "plate": {"sha256": "ab" * 32, "size": 2},
                "Bad Role": {"sha256": "ab" * 32, "size": 2},
                "scene": {"sha256": "not a hash", "size": 2},
                "overview": {"sha256": "cd" * 32, "size": 0},
                "extra": b"\xff\xd8",  # bytes never travel on the bus: dropped
            },
        }
    )
    assert incoming.read.confidence == 1.0 and incoming.captured_at is None
    assert incoming.photos == {"plate": {"sha256": "ab" * 32, "size": 2}}
    assert parse_read({**GOOD, "captured_at": "2026-11-24T08:00:00+08:00"}).captured_at == T0


def test_a_repeated_measure_is_not_announced_again(tmp_path) -> None:
    changes: list[str] = []
    levels = AlertLevels(AlertStore(tmp_path / "a.json"), lambda o, n: changes.append(n.level))
    measure = AlertState(level="orange", response_level="II", measure_code=2, source="platform")
    levels.set(measure, T0)
    levels.set(measure, T0 + H)
    assert changes == ["orange"] and levels.state.start == T0
    levels.set(AlertState(level="orange", response_level="II", measure_code=3, source="platform"), T0 + H)
    assert changes == ["orange", "orange"] and levels.state.measure_code == 3
