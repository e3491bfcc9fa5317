"""The insight component's arithmetic at the issue's scale: a year of minute data from 4 microstations
summed into hours, 300,000 remote-sensing readings joined to 300,000 passages and checked against the
limits, then the correlation (every lag 0..6, every wind sector, every day and month) over the year's
8,760 hours, and its four charts.

    .venv/bin/python bench/insight.py [--readings 300000] [--stations 4] [--seed 1]

Pure parts only (the join, the limits, the hourly sums, the regression), as the component runs them in
the hub; what the database adds (two short writes per reading, a few rows per station and hour) is not
in these figures. The issue's goal: all of it in under 30 s. Prints each step's seconds and the
correlation's answer for the planted lag (2 h) and traffic share.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub.components.insight.charts import CHARTS, draw
from hub.components.insight.config import DEFAULT_LIMITS, Join
from hub.components.insight.correlation import correlate, sector_of
from hub.components.insight.hourly import GROUPS, HourlySums, group_of
from hub.components.insight.join import Joiner, Passage, Reading
from hub.components.insight.limits import exceeded

TZ = ZoneInfo("Asia/Shanghai")
START = datetime(2025, 1, 1, tzinfo=TZ)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--readings", type=int, default=300_000)
    parser.add_argument("--stations", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    t_all = time.perf_counter()

    # Traffic: the readings' vehicles spread over the year, busier by day.
    year = 365 * 86400
    times = sorted(rng.uniform(0, year) for _ in range(args.readings))
    stages = [rng.choice("3456") for _ in times]
    traffic: dict[int, list[float]] = {}
    base_h = int(START.timestamp()) // 3600
    for ts, stage in zip(times, stages, strict=True):
        hour = base_h + int(ts // 3600)
        traffic.setdefault(hour, [0.0] * len(GROUPS))[group_of(stage, "B")] += 1

    t0 = time.perf_counter()
    joiner = Joiner(Join())
    joined = flagged = 0
    for i, (ts, stage) in enumerate(zip(times, stages, strict=True)):
        at = START.timestamp() + ts
        plate = f"冀B{i % 20000:05d}"
        passage = Passage(f"p{i}", at, plate, "east_gate", "in", "顺达", stage, "B")
        joined += len(joiner.add_passage(passage))
        read_plate = plate if rng.random() < 0.9 else None
        values = {"valid": True, "no_ppm": rng.lognormvariate(math.log(600), 0.5),
                  "opacity_pct": rng.uniform(0, 40)}  # fmt: skip
        reading = Reading(f"r{i}", at + rng.uniform(-20, 20), read_plate, "east_gate", "in", values)
        hit = joiner.add_reading(reading)
        if hit is not None:
            joined += 1
            flagged += bool(exceeded(DEFAULT_LIMITS, hit[0].fuel, hit[0].emission_stage, reading.data))
    t_join = time.perf_counter() - t0
    print(
        f"join + limits: {args.readings:,} readings, {joined:,} joined, {flagged:,} over a limit: "
        f"{t_join:.1f} s"
    )

    t0 = time.perf_counter()
    sums = HourlySums()
    planted = [0.0, 0.0]  # station s0: traffic part, all
    minutes = 365 * 24 * 60
    for station in range(args.stations):
        wind = 90.0
        for m in range(minutes):
            hour = base_h + m // 60
            wind = (wind + rng.gauss(0, 3)) % 360
            day = 2 * math.pi * ((m // 60) % 24) / 24
            old = traffic.get(hour - 2, [0.0] * len(GROUPS))
            part = 1.5 * old[0] + 0.5 * old[1] + 0.2 * old[2]
            pm25 = 40 + 12 * math.cos(day) + part + rng.gauss(0, 3)
            if station == 0:
                planted[0] += part
                planted[1] += pm25
            at = START + timedelta(minutes=m)
            sums.add(f"s{station}", "minute", at, {"pm25": pm25, "no2": pm25 / 2, "wind_direction": wind})
    t_sums = time.perf_counter() - t0
    records = args.stations * minutes
    print(f"hourly sums: {records:,} minute records of {args.stations} stations: {t_sums:.1f} s")

    t0 = time.perf_counter()

    def series(factor: str) -> dict[int, float]:
        return {k[3]: total / n for k, (total, n) in sums.sums.items() if k[0] == "s0" and k[1] == factor}

    conc, sin, cos = series("pm25"), series("wind_sin"), series("wind_cos")
    sectors = {h: sector_of(sin[h], cos[h]) for h in conc}

    def day_of(hour: int) -> str:
        return datetime.fromtimestamp(hour * 3600, TZ).date().isoformat()

    answer = correlate(conc, traffic, GROUPS, 6, sectors, day_of)
    t_corr = time.perf_counter() - t0
    r = answer["result"]
    print(
        f"correlation: {len(conc):,} hours, lags 0-6, {len(answer['by_sector'])} sectors, "
        f"{len(answer['by_day'])} days, {len(answer['by_month'])} months: {t_corr:.1f} s; "
        f"lag {r['lag_hours']} h (planted 2), share {r['traffic_share']:.4f} ± {r['share_se']:.4f} "
        f"(planted {planted[0] / planted[1]:.4f})"
    )

    t0 = time.perf_counter()
    answer |= {"station": "s0", "factor": "pm25", "groups": list(GROUPS), "measure": "count"}
    sizes = [len(draw(chart, "png", answer, conc, traffic, TZ)) for chart in CHARTS]
    seconds = time.perf_counter() - t0
    print(f"charts: {len(CHARTS)} PNGs of the year ({sum(sizes) // 1024} KiB): {seconds:.1f} s")
    print(f"all: {time.perf_counter() - t_all:.1f} s (goal < 30 s)")


if __name__ == "__main__":
    main()
