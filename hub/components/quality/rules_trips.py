"""Rules on a vehicle's passages in sequence (pure): exits without or before their entry, trips too short,
too many trips a day, the same plate read again on a lane."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from .config import Thresholds
from .finding import Finding
from .source import Passage
from .window import Window


def _by_plate(passages: Iterable[Passage]) -> dict[str, list[Passage]]:
    plates: dict[str, list[Passage]] = defaultdict(list)
    for p in passages:
        if p.plate and p.went_through:
            plates[p.plate].append(p)
    for items in plates.values():
        items.sort(key=lambda p: (p.ts, p.seq))
    return plates


def trip_findings(passages: list[Passage], win: Window, th: Thresholds) -> list[Finding]:
    """exit_before_entry, exit_without_entry, short_trip, trips_per_day."""
    found: list[Finding] = []
    reverse_s, short_s = th.reverse_minutes * 60, th.min_trip_minutes * 60
    for plate, items in _by_plate(passages).items():
        inside: Passage | None = None
        entries_per_day: dict[str, list[int]] = defaultdict(list)
        for i, p in enumerate(items):
            if p.direction == "in":
                inside = p
                if win.holds(p.ts):
                    entries_per_day[p.at[:10]].append(p.seq)
                continue
            if p.direction != "out":
                continue
            entry, inside = inside, None
            if not win.holds(p.ts):
                continue
            if entry is not None:
                if p.ts - entry.ts < short_s:
                    minutes = round((p.ts - entry.ts) / 60, 1)
                    found.append(Finding(
                        "short_trip", f"{entry.seq}-{p.seq}", p.at[:10], plate,
                        f"{plate} 入厂后 {minutes} 分钟即出厂 in and out within {minutes} min",
                        [entry.seq, p.seq], {"minutes": minutes, "entry_at": entry.at, "exit_at": p.at},
                    ))  # fmt: skip
                continue
            following = items[i + 1] if i + 1 < len(items) else None
            if following is not None and following.direction == "in" and following.ts - p.ts <= reverse_s:
                found.append(Finding(
                    "exit_before_entry", str(p.seq), p.at[:10], plate,
                    f"{plate} 出厂 {p.at} 早于入厂 {following.at} exit recorded before its entry",
                    [p.seq, following.seq], {"exit_at": p.at, "entry_at": following.at},
                ))  # fmt: skip
            else:
                found.append(Finding(
                    "exit_without_entry", str(p.seq), p.at[:10], plate,
                    f"{plate} 出厂 {p.at} 无入厂记录 exit without an entry",
                    [p.seq], {"exit_at": p.at, "lookback_hours": th.lookback_hours},
                ))  # fmt: skip
        for day, seqs in entries_per_day.items():
            if len(seqs) > th.max_trips_per_day:
                found.append(Finding(
                    "trips_per_day", f"{plate}:{day}", day, plate,
                    f"{plate} {day} 入厂 {len(seqs)} 次 {len(seqs)} entries in a day "
                    f"(plausible: {th.max_trips_per_day})",
                    seqs, {"entries": len(seqs), "limit": th.max_trips_per_day},
                ))  # fmt: skip
    return found


def repeat_findings(passages: list[Passage], win: Window, th: Thresholds) -> list[Finding]:
    """repeated_read: one plate on one lane and direction twice within `repeat_seconds`."""
    last: dict[tuple[str, str, str], Passage] = {}
    found: list[Finding] = []
    for p in sorted(passages, key=lambda p: (p.ts, p.seq)):
        if not p.plate:
            continue
        key = (p.plate, p.lane_key, p.direction)
        before = last.get(key)
        last[key] = p
        if before is not None and p.ts - before.ts <= th.repeat_seconds and win.holds(p.ts):
            seconds = p.ts - before.ts
            found.append(Finding(
                "repeated_read", str(p.seq), p.at[:10], p.plate,
                f"{p.plate} 在 {p.lane_key} {seconds} 秒内重复记录 recorded again within {seconds} s",
                [before.seq, p.seq], {"seconds": seconds, "lane": p.lane_key, "at": p.at},
            ))  # fmt: skip
    return found
