"""How much of what the fence measures follows the gate's traffic (pure; numpy).

Method (named in every answer): ordinary least squares of the hourly mean concentration on the hourly
traffic of each stage group `lag` hours earlier, with a 24 h and a 12 h harmonic for the diurnal cycle
(night inversions and the morning rush move the fence with or without our trucks) and a constant for
the background. The lag is the one of 0..max_lag with the best R². The traffic share is the fitted
traffic part over the mean concentration; its uncertainty comes from the coefficients' covariance
(residual variance times (XᵀX)⁻¹), reported as a standard error and a 95 % interval. Per day and per
month, the same coefficients give that period's share (its traffic part over its mean). Hours are taken as
independent: autocorrelated residuals make the true interval wider, so the answer says so."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

METHOD = (
    "OLS: hourly mean concentration ~ constant + 24 h and 12 h harmonics + traffic per stage group "
    "lagged by L hours; L in 0..max_lag by best R²; share = fitted traffic part / mean concentration; "
    "standard error from the coefficient covariance, hours taken as independent (autocorrelation widens it)"
)
SECTORS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")
MIN_HOURS = 24


def sector_of(sin_mean: float, cos_mean: float) -> str | None:
    if abs(sin_mean) < 1e-9 and abs(cos_mean) < 1e-9:
        return None
    bearing = math.degrees(math.atan2(sin_mean, cos_mean)) % 360
    return SECTORS[int(((bearing + 22.5) % 360) // 45)]


def _design(
    hours: Sequence[int], traffic: Mapping[int, Sequence[float]], groups: int, lag: int
) -> np.ndarray:
    rows = []
    for h in hours:
        day = 2 * math.pi * (h % 24) / 24
        lagged = traffic.get(h - lag, [0.0] * groups)
        rows.append([1.0, math.sin(day), math.cos(day), math.sin(2 * day), math.cos(2 * day), *lagged])
    return np.asarray(rows, dtype=float)


def _solve(
    conc: Mapping[int, float], traffic: Mapping[int, Sequence[float]], groups: Sequence[str], lag: int
) -> tuple[list[int], np.ndarray, np.ndarray, np.ndarray, np.ndarray, float] | None:
    """(hours, X, y, beta, covariance, R²) of one lag, or None with too few hours."""
    hours = sorted(conc)
    k = 5 + len(groups)
    if len(hours) < max(MIN_HOURS, k + 2):
        return None
    x = _design(hours, traffic, len(groups), lag)
    y = np.asarray([conc[h] for h in hours], dtype=float)
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    residual = y - x @ beta
    sigma2 = float(residual @ residual) / (len(y) - k)
    cov = sigma2 * np.linalg.pinv(x.T @ x)
    total = float(((y - y.mean()) ** 2).sum())
    r2 = 1 - float(residual @ residual) / total if total > 0 else 0.0
    return hours, x, y, beta, cov, r2


def _share(x: np.ndarray, y: np.ndarray, beta: np.ndarray, cov: np.ndarray) -> tuple[float, float]:
    """The traffic part over the mean concentration of these rows, and its standard error."""
    gradient = np.zeros(len(beta))
    gradient[5:] = x[:, 5:].mean(axis=0) / y.mean() if y.mean() else 0
    return float(gradient @ beta), math.sqrt(max(float(gradient @ cov @ gradient), 0.0))


def fit(
    conc: Mapping[int, float], traffic: Mapping[int, Sequence[float]], groups: Sequence[str], lag: int
) -> dict[str, Any] | None:
    """One lag's fit over the hours (hour numbers since the epoch) that have a concentration."""
    solved = _solve(conc, traffic, groups, lag)
    if solved is None:
        return None
    hours, x, y, beta, cov, r2 = solved
    # the traffic part: sum over groups of coefficient times the group's mean lagged traffic
    share, share_se = _share(x, y, beta, cov)
    return {
        "lag_hours": lag, "hours": len(hours), "r2": round(r2, 4),
        "traffic_share": round(share, 4), "share_se": round(share_se, 4),
        "share_95": [round(share - 1.96 * share_se, 4), round(share + 1.96 * share_se, 4)],
        "per_vehicle": {g: {"coefficient": round(float(beta[5 + i]), 4),
                            "se": round(float(math.sqrt(max(cov[5 + i, 5 + i], 0.0))), 4)}
                        for i, g in enumerate(groups)},
        "mean_concentration": round(float(y.mean()), 3),
    }  # fmt: skip


def period_shares(
    conc: Mapping[int, float], traffic: Mapping[int, Sequence[float]], groups: Sequence[str], lag: int,
    period_of: Callable[[int], str],
) -> list[dict[str, Any]]:  # fmt: skip
    """The traffic share of each period (a day, a month: `period_of(hour)`), with the whole range's
    per-vehicle coefficients at `lag`: that period's traffic part over its mean concentration. Its
    standard error comes from the same covariance (hours independent, as above)."""
    solved = _solve(conc, traffic, groups, lag)
    if solved is None:
        return []
    hours, x, y, beta, cov, _ = solved
    rows: dict[str, list[int]] = {}
    for index, hour in enumerate(hours):
        rows.setdefault(period_of(hour), []).append(index)
    out = []
    for period, members in rows.items():
        share, se = _share(x[members], y[members], beta, cov)
        out.append({
            "period": period, "hours": len(members), "traffic_share": round(share, 4),
            "share_se": round(se, 4),
            "share_95": [round(share - 1.96 * se, 4), round(share + 1.96 * se, 4)],
            "mean_concentration": round(float(y[members].mean()), 3),
        })  # fmt: skip
    return out


def correlate(
    conc: Mapping[int, float], traffic: Mapping[int, Sequence[float]], groups: Sequence[str],
    max_lag: int, sectors: Mapping[int, str | None] | None = None,
    day_of: Callable[[int], str] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The best lag over all hours, then that lag per wind sector (where a sector has enough hours)."""
    fits = [f for lag in range(max_lag + 1) if (f := fit(conc, traffic, groups, lag)) is not None]
    if not fits:
        return {"method": METHOD, "result": None, "reason": f"fewer than {MIN_HOURS} hours of data"}
    best = max(fits, key=lambda f: f["r2"])
    by_sector: dict[str, Any] = {}
    for sector in SECTORS:
        hours = {h: v for h, v in conc.items() if sectors and sectors.get(h) == sector}
        sector_fit = fit(hours, traffic, groups, best["lag_hours"]) if hours else None
        if sector_fit is not None:
            by_sector[sector] = sector_fit
    answer = {
        "method": METHOD, "result": best, "by_sector": by_sector,
        "by_lag": [{"lag_hours": f["lag_hours"], "r2": f["r2"]} for f in fits],
    }  # fmt: skip
    if day_of is not None:  # plant days and months (YYYY-MM-DD, YYYY-MM)
        lag = best["lag_hours"]
        answer["by_day"] = period_shares(conc, traffic, groups, lag, day_of)
        answer["by_month"] = period_shares(conc, traffic, groups, lag, lambda h: day_of(h)[:7])
    return answer
