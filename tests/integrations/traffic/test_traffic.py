"""The demo traffic: every vehicle leaves when its own stay is over."""

from __future__ import annotations

from hub.core.const import EVENT_VEHICLE_ARRIVED
from tests.common import advance

CONFIG = """\
hub: {}
traffic:
  rate_per_minute: 24
  seed: 7
  dwell_seconds: [2, 50]
  register_fleet: false
  lanes:
    - {gate: east_gate, lane: in, directions: [in]}
    - {gate: east_gate, lane: out, directions: [out]}
"""


async def test_a_long_stay_holds_no_other_exit_behind_it(make_hub, clock) -> None:
    # Found: exits went out in arrival order, so one vehicle staying long held every exit behind it
    # (no exit for 13+ minutes in the demo at 20 vehicles/min).
    hub = await make_hub(CONFIG, clock=clock)
    entered: dict[str, float] = {}
    stays: list[tuple[float, float]] = []  # (entered at, left at) on the hub's clock

    def on_vehicle(event) -> None:
        plate = event.data["vehicle"]["plate"] or event.data["vehicle"]["code"]
        if event.data["direction"] == "in":
            entered[plate] = clock.monotonic()
        elif plate in entered:
            stays.append((entered.pop(plate), clock.monotonic()))

    hub.bus.async_listen(EVENT_VEHICLE_ARRIVED, on_vehicle)
    await advance(clock, 100, step=0.5)  # 100 s of traffic, moved half a second at a time
    assert len(stays) >= 8, stays
    # Nobody stays much longer than the longest dwell (a queue behind a long stay would).
    assert max(left - came for came, left in stays) <= 50 + 0.5
    # Short stays overtake long ones: exits are not in the order of arrival.
    order = [came for came, _ in stays]
    assert order != sorted(order)
