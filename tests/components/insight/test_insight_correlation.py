"""The correlation recovers a planted lag within an hour and a planted traffic share within its stated
uncertainty, over a month of synthetic hours with a diurnal background and noise (pure, seeded)."""

from __future__ import annotations

import math
import random

import pytest

from hub.components.insight.correlation import correlate, sector_of

GROUPS = ("old", "new")  # ≤国四, 国五 and newer


def month(lag: int, per_old: float, per_new: float, seed: int) -> tuple[dict, dict, dict, float]:
    rng = random.Random(seed)
    start = 490_000  # an hour number since the epoch
    traffic: dict[int, list[float]] = {}
    for h in range(start - 10, start + 30 * 24):
        busy = 6 <= h % 24 <= 20
        traffic[h] = [float(rng.randint(0, 6 if busy else 1)), float(rng.randint(0, 20 if busy else 3))]
    conc, sectors, parts = {}, {}, []
    for h in range(start, start + 30 * 24):
        background = 35 + 15 * math.cos(2 * math.pi * (h % 24 - 3) / 24) + rng.gauss(0, 4)
        old, new = traffic[h - lag]
        part = per_old * old + per_new * new
        conc[h] = background + part
        parts.append(part)
        sectors[h] = "E" if rng.random() < 0.5 else "W"
    share = sum(parts) / sum(conc.values())
    return conc, traffic, sectors, share


@pytest.mark.parametrize(("lag", "seed"), [(0, 1), (2, 2), (3, 3)])
def test_a_planted_lag_and_share_are_recovered(lag: int, seed: int) -> None:
    conc, traffic, sectors, share = month(lag, per_old=2.0, per_new=0.3, seed=seed)
    answer = correlate(conc, traffic, GROUPS, max_lag=4, sectors=sectors)
    result = answer["result"]
    assert abs(result["lag_hours"] - lag) <= 1
    low, high = result["share_95"]
    assert low <= share <= high, (share, result)
    assert 0 < result["share_se"] < 0.05
    assert result["per_vehicle"]["old"]["coefficient"] > result["per_vehicle"]["new"]["coefficient"]
    assert set(answer["by_sector"]) == {"E", "W"} and "OLS" in answer["method"]


def test_no_traffic_effect_gives_a_share_near_zero() -> None:
    conc, traffic, _, _ = month(0, per_old=0.0, per_new=0.0, seed=4)
    low, high = correlate(conc, traffic, GROUPS, max_lag=2)["result"]["share_95"]
    assert low <= 0 <= high


def test_too_few_hours_says_so() -> None:
    answer = correlate({1: 30.0}, {}, GROUPS, max_lag=1)
    assert answer["result"] is None and "hours" in answer["reason"]


@pytest.mark.parametrize(
    ("degrees", "sector"), [(0, "N"), (44, "NE"), (90, "E"), (180, "S"), (250, "W"), (340, "N")]
)
def test_wind_sectors(degrees: float, sector: str) -> None:
    rad = math.radians(degrees)
    assert sector_of(math.sin(rad), math.cos(rad)) == sector
