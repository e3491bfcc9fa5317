"""The simulators' model: which plumes reach a station, by stage, over a day (table-driven, no I/O)."""

from __future__ import annotations

from statistics import median

import pytest

from hub.integrations.airquality.config import RemoteSensingSimulator, RemoteSensingUnit
from hub.integrations.airquality.simulator import RemoteSensingSimulatorUnit, diurnal, plume_of, reaches


@pytest.mark.parametrize(
    ("wind_from", "bearing", "expected"),
    [(270, 90, 1.0), (90, 90, 0.0), (180, 90, 0.0), (225, 90, 0.7071), (0, 180, 1.0), (350, 180, 0.9848)],
)
def test_a_plume_reaches_a_station_downwind_only(wind_from: float, bearing: float, expected: float) -> None:
    assert reaches(wind_from, bearing) == pytest.approx(expected, abs=1e-4)


def test_plumes_shrink_with_the_emission_stage() -> None:
    by_stage = [plume_of(stage, "B") for stage in "3456"]
    assert by_stage == sorted(by_stage, reverse=True)
    assert plume_of("3", "B")[0] >= 8 * plume_of("6", "B")[0]
    assert plume_of("D", "C")[1] == 0  # electric: no NO2 from a tailpipe
    assert plume_of("6", "E")[0] < plume_of("6", "B")[0]  # gas: less PM than a 国六 diesel
    assert plume_of(None, None) == plume_of("5", "B")  # unknown: as a 国五 diesel


def test_the_diurnal_cycle_is_high_at_night_and_the_morning_rush_and_low_in_the_afternoon() -> None:
    assert diurnal(7) > diurnal(15) and diurnal(2) > diurnal(15)
    assert min(diurnal(h / 2) for h in range(48)) > 0.4


async def test_remote_sensing_readings_follow_the_stage_with_noise_and_some_invalid(make_hub) -> None:
    hub = await make_hub()
    conf = RemoteSensingUnit(key="r", token="0123456789abcdef", simulator=True)
    options = RemoteSensingSimulator(invalid_share=0.05, plate_share=0.9, seed=7)
    sim = RemoteSensingSimulatorUnit(hub, conf, options, "http://127.0.0.1:1/unused")
    try:
        readings = {
            stage: [
                sim.reading({"plate": "冀B12345", "emission_stage": stage, "fuel": "B"}) for _ in range(1000)
            ]
            for stage in ("3", "6")
        }
    finally:
        await sim.async_stop()
    old, new = readings["3"], readings["6"]
    assert median(r["opacity_pct"] for r in old) > 5 * median(r["opacity_pct"] for r in new)
    assert median(r["no_ppm"] for r in old) > 3 * median(r["no_ppm"] for r in new)
    assert len({r["no_ppm"] for r in old}) > 300  # noise, not one value
    invalid = sum(not r["valid"] for r in old + new) / 2000
    unread = sum(r["plate"] is None for r in old + new) / 2000
    assert 0.03 < invalid < 0.07 and 0.07 < unread < 0.13
