"""The state machine: state_changed carries old and new, fires only on real change; unavailable."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hub.core import Context
from hub.core.const import EVENT_STATE_CHANGED, STATE_UNAVAILABLE


async def test_state_changed_old_new_and_only_on_real_change(make_hub, clock) -> None:
    hub = await make_hub(clock=clock)
    events = []
    hub.bus.async_listen(EVENT_STATE_CHANGED, events.append)

    first = hub.states.async_set("sensor.east_gate_in_plate", "冀A12345", {"colour": "blue"})
    assert events[-1].data["old_state"] is None and events[-1].data["new_state"] is first

    hub.states.async_set("sensor.east_gate_in_plate", "冀A12345", {"colour": "blue"})
    assert len(events) == 1, "same state and attributes: no event"

    clock.advance(timedelta(seconds=5))
    second = hub.states.async_set("sensor.east_gate_in_plate", "冀A12345", {"colour": "yellow"})
    assert len(events) == 2
    assert second.last_changed == first.last_changed, "attribute change keeps last_changed"
    assert second.last_updated == clock.now()

    ctx = Context(user_id="guard-1")
    clock.advance(timedelta(seconds=5))
    third = hub.states.async_set("sensor.east_gate_in_plate", "津B67890", context=ctx)
    assert third.last_changed == clock.now() and third.context is ctx
    assert events[-1].data["old_state"] is second and events[-1].context is ctx
    with pytest.raises(TypeError):
        third.attributes["x"] = 1  # type: ignore[index]


async def test_unavailable_and_invalid_ids(make_hub) -> None:
    hub = await make_hub()
    state = hub.states.async_set("cover.east_gate_in_barrier", STATE_UNAVAILABLE)
    assert not state.available
    for bad in ("no_domain", "Cover.x", "cover.东门", "cover.a b"):
        with pytest.raises(ValueError, match="invalid entity id"):
            hub.states.async_set(bad, "on")
    with pytest.raises(ValueError, match="at most"):
        hub.states.async_set("sensor.long", "x" * 300)
    assert hub.states.async_remove("cover.east_gate_in_barrier")
    assert hub.states.get("cover.east_gate_in_barrier") is None
