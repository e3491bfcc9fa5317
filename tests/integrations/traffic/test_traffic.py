"""The demo traffic: every vehicle leaves when its own stay is over."""

from __future__ import annotations

import asyncio

from hub.core.const import EVENT_VEHICLE_ARRIVED

CONFIG = """\
hub: {}
traffic:
  rate_per_minute: 240
  seed: 7
  dwell_seconds: [0.2, 5]
  register_fleet: false
  lanes:
    - {gate: east_gate, lane: in, directions: [in]}
    - {gate: east_gate, lane: out, directions: [out]}
"""


async def test_a_long_stay_holds_no_other_exit_behind_it(make_hub) -> None:
    # Found: exits went out in arrival order, so one vehicle staying long held every exit behind it
    # (no exit for 13+ minutes in the demo at 20 vehicles/min).
    hub = await make_hub(CONFIG)
    loop = asyncio.get_running_loop()
    entered: dict[str, float] = {}
    stays: list[tuple[float, float]] = []  # (entered at, left at)

    def on_vehicle(event) -> None:
        plate = event.data["vehicle"]["plate"] or event.data["vehicle"]["code"]
        if event.data["direction"] == "in":
            entered[plate] = loop.time()
        elif plate in entered:
            stays.append((entered.pop(plate), loop.time()))

    hub.bus.async_listen(EVENT_VEHICLE_ARRIVED, on_vehicle)
    await asyncio.sleep(10)
    assert len(stays) >= 8, stays
    # Nobody stays much longer than the longest dwell (a queue behind a long stay would).
    assert max(left - came for came, left in stays) < 5 + 1.0
    # Short stays overtake long ones: exits are not in the order of arrival.
    order = [came for came, _ in stays]
    assert order != sorted(order)
