"""Rules on single passages and on a lane's stream (pure): photos, weights, cargo, device clocks, gaps,
in-plant vehicles the register does not know."""

from __future__ import annotations

import bisect
import itertools
import re
from collections import defaultdict
from collections.abc import Collection

from .config import Thresholds, working_hours
from .finding import Finding
from .source import Passage
from .window import Window

IN_PLANT_CLASSES = ("in_plant", "machinery")


def record_findings(
    passages: list[Passage], win: Window, th: Thresholds, register: Collection[str] | None
) -> list[Finding]:
    """missing_photo, weight_missing, volume_missing, cargo_weight_implausible, unregistered_in_plant.
    `register`: every plate and code in the vehicle register, None where there is no register."""
    found: list[Finding] = []
    weighing = set(th.weighbridge_lanes) | {p.lane_key for p in passages if p.weight_kg is not None}
    patterns = [re.compile(p) for p in th.in_plant_plate_patterns]
    for p in passages:
        if not win.holds(p.ts):
            continue
        day, who = p.at[:10], p.plate or "-"
        missing = [role for role, sha in (("plate", p.photo_plate), ("scene", p.photo_scene)) if not sha]
        if missing:
            names = "、".join({"plate": "车牌特写", "scene": "全景"}[m] for m in missing)
            found.append(Finding(
                "missing_photo", str(p.seq), day, who,
                f"{who} {p.at} 缺少{names}照片 no {' or '.join(missing)} photo",
                [p.seq], {"missing": missing, "at": p.at},
            ))  # fmt: skip
        weighed = p.weight_kg is not None or p.vehicle_class == "machinery"
        if p.went_through and p.lane_key in weighing and not weighed:
            found.append(Finding(
                "weight_missing", str(p.seq), day, who,
                f"{who} {p.at} 经过地磅车道 {p.lane_key} 未关联过磅 no weight joined", [p.seq],
                {"lane": p.lane_key, "at": p.at},
            ))  # fmt: skip
        if p.cargo is not None:
            found.extend(_cargo(p, th))
        if register is not None and p.plate and p.plate not in register:
            in_plant = p.vehicle_class in IN_PLANT_CLASSES or any(rx.search(p.plate) for rx in patterns)
            if in_plant:
                found.append(Finding(
                    "unregistered_in_plant", str(p.seq), day, p.plate,
                    f"{p.plate} {p.at} 厂内车辆/机械未备案 in-plant vehicle or machinery not in the register",
                    [p.seq], {"vehicle_class": p.vehicle_class, "lane": p.lane_key, "at": p.at},
                ))  # fmt: skip
    return found


def _cargo(p: Passage, th: Thresholds) -> list[Finding]:
    cargo = p.cargo or {}
    name, quantity, unit = cargo.get("cargo"), cargo.get("quantity"), (cargo.get("unit") or "").strip()
    who, day = p.plate or "-", p.at[:10]
    if quantity is None or not unit or float(quantity) <= 0:
        return [Finding(
            "volume_missing", str(p.seq), day, who,
            f"{who} {p.at} 货物 {name} 运输量或单位缺失 transport volume empty or unit missing",
            [p.seq], {"cargo": name, "quantity": quantity, "unit": unit or None, "at": p.at},
        )]  # fmt: skip
    bounds = th.cargo.get(str(name))
    if bounds is None:
        return []
    scale = {"kg": 0.001, "t": 1.0, "吨": 1.0}.get(unit.lower())
    tonnes = float(quantity) * scale if scale is not None else None
    if tonnes is None and p.weight_kg is not None:
        tonnes = p.weight_kg / 1000
    if tonnes is None or bounds.min_t <= tonnes <= bounds.max_t:
        return []
    return [Finding(
        "cargo_weight_implausible", str(p.seq), day, who,
        f"{who} {p.at} {name} {tonnes:g} t 超出合理范围 outside {bounds.min_t:g}..{bounds.max_t:g} t",
        [p.seq], {"cargo": name, "tonnes": tonnes, "min_t": bounds.min_t, "max_t": bounds.max_t,
                  "at": p.at},
    )]  # fmt: skip


def skew_findings(passages: list[Passage], win: Window, th: Thresholds) -> list[Finding]:
    """clock_skew: one finding per lane and day whose camera clock was off by more than the limit."""
    skewed: dict[tuple[str, str], list[Passage]] = defaultdict(list)
    for p in passages:
        if p.skew_s is not None and abs(p.skew_s) > th.max_clock_skew_seconds and win.holds(p.ts):
            skewed[(p.lane_key, p.at[:10])].append(p)
    found = []
    for (lane, day), items in skewed.items():
        worst = max((p.skew_s or 0.0 for p in items), key=abs)
        found.append(Finding(
            "clock_skew", f"{lane}:{day}", day, lane,
            f"{lane} {day} 设备时钟偏差最大 {worst:+.0f} 秒 device clock off by up to {worst:+.0f} s "
            f"({len(items)} passages)",
            [p.seq for p in items], {"max_skew_s": worst, "passages": len(items),
                                     "limit_s": th.max_clock_skew_seconds},
        ))  # fmt: skip
    return found


def gap_findings(passages: list[Passage], win: Window, th: Thresholds) -> list[Finding]:
    """stream_gap: a lane silent longer than `max_gap_minutes` inside the working hours of a day."""
    first, last = working_hours(th.working_hours)
    limit = th.max_gap_minutes * 60
    lanes: dict[str, list[Passage]] = {lane: [] for lane in th.lanes}
    for p in passages:
        if th.lanes and p.lane_key not in lanes:
            continue
        lanes.setdefault(p.lane_key, []).append(p)
    found: list[Finding] = []
    for lane, items in lanes.items():
        items.sort(key=lambda p: (p.ts, p.seq))
        times = [p.ts for p in items]
        for day in win.days():
            start, end = win.at(day, first), min(win.at(day, last), win.now_ts)
            if end <= start:
                continue
            i0, i1 = bisect.bisect_left(times, start), bisect.bisect_left(times, end)
            marks: list[tuple[int, Passage | None]] = [(start, items[i0 - 1] if i0 else None)]
            marks += [(p.ts, p) for p in items[i0:i1]]
            marks.append((end, items[i1] if i1 < len(items) else None))
            for (t0, p0), (t1, p1) in itertools.pairwise(marks):
                if t1 - t0 > limit:
                    minutes = round((t1 - t0) / 60)
                    seqs = [p.seq for p in (p0, p1) if p is not None]
                    found.append(Finding(
                        "stream_gap", f"{lane}:{t0}", day.isoformat(), lane,
                        f"{lane} {_hm(win, t0)}–{_hm(win, t1)} 无通行记录 {minutes} 分钟 "
                        f"no passage for {minutes} min in working hours",
                        seqs, {"from_ts": t0, "to_ts": t1, "minutes": minutes},
                    ))  # fmt: skip
    return found


def _hm(win: Window, ts: int) -> str:
    from datetime import datetime

    return datetime.fromtimestamp(ts, win.tz).strftime("%m-%d %H:%M")
