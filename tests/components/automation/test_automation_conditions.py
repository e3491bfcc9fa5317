"""Conditions: state (with for), numeric_state, time (after/before across midnight, weekdays),
template, trigger id, and/or/not; and the pure time window."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from hub.components.automation.conditions import time_in_window

AUTOMATION = """
- id: checked
  mode: queued
  trigger:
    - {platform: event, event_type: go, id: go}
    - {platform: event, event_type: other, id: other}
  condition:
    - condition: trigger
      id: go
    - condition: state
      entity_id: binary_sensor.loop
      state: "on"
      for: 30
    - condition: numeric_state
      entity_id: sensor.pm10
      above: sensor.pm10_limit
      below: "{{ 500 }}"
    - or:
        - condition: time
          after: "22:00"
          before: "06:00"
        - and:
            - condition: time
              weekday: [mon, tue, wed, thu, fri]
            - not:
                - condition: template
                  value_template: "{{ is_state('input.holiday', 'on') }}"
  action: {service: plant.ok}
"""


async def _ran(hub, runs, event: str = "go") -> bool:
    before = len(runs.started)
    hub.bus.async_fire(event)
    return len(runs.started) > before


async def test_conditions_together(plant_hub, clock) -> None:
    hub, calls, runs = await plant_hub(AUTOMATION, services=("ok",))  # Tuesday 08:00
    hub.states.async_set("sensor.pm10", "180")
    hub.states.async_set("sensor.pm10_limit", "150")
    hub.states.async_set("binary_sensor.loop", "on")
    assert not await _ran(hub, runs)  # the loop has been on for less than 30 s
    clock.advance(30)
    assert await _ran(hub, runs)
    assert not await _ran(hub, runs, "other")  # trigger id
    hub.states.async_set("input.holiday", "on")
    assert not await _ran(hub, runs)  # a holiday on a weekday, and day time
    clock.advance(timedelta(hours=14, minutes=30))  # 22:30: the night window
    assert await _ran(hub, runs)
    hub.states.async_set("sensor.pm10", "120")
    assert not await _ran(hub, runs)  # below the limit entity
    hub.states.async_set("sensor.pm10", "600")
    assert not await _ran(hub, runs)  # above the template bound
    hub.states.async_set("sensor.pm10", "unavailable")
    assert not await _ran(hub, runs)
    await calls.next()
    await calls.next()
    traces = await hub.services.async_call("automation", "trace", {"entity_id": "checked"})
    assert traces["traces"][0]["steps"][-1] == {**traces["traces"][0]["steps"][-1], "path": "condition/2",
                                                "result": {"result": False}}  # fmt: skip


@pytest.mark.parametrize(
    ("now", "after", "before", "inside"),
    [
        (time(8), time(7), time(9), True), (time(9), time(7), time(9), False), (time(7), time(7), None, True),
        (time(23), time(22), time(6), True), (time(5, 59), time(22), time(6), True),
        (time(12), time(22), time(6), False), (time(12), None, time(12, 1), True),
        (time(12), None, None, True),
    ],
)  # fmt: skip
def test_time_window(now: time, after: time | None, before: time | None, inside: bool) -> None:
    assert time_in_window(now, after, before) is inside
