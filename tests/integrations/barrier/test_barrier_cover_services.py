"""Our barrier is a cover like any other: `cover.open_cover` and `cover.close_cover` pulse its PLC, with the
roles of `barrier.open` and the caller's context on the arm's movement."""

from __future__ import annotations

import pytest

from hub.core import Context, Unauthorized
from hub.core.auth import Role
from hub.core.const import EVENT_STATE_CHANGED
from tests.common import wait_state
from tests.integrations.barrier.test_barrier import lane  # noqa: F401 - the fixture

COVER = "cover.east_gate_in_barrier"


async def test_the_platform_services_move_our_barrier(lane) -> None:  # noqa: F811
    hub, _plc = lane
    guard = await hub.auth.async_add_user("guard1", "guard-pass-1", frozenset({Role.GUARD}))
    call = Context(user_id=guard.id)
    moved = []
    hub.bus.async_listen(
        EVENT_STATE_CHANGED,
        lambda e: moved.append(e.context),
        event_filter=lambda e: e.data["entity_id"] == COVER and e.data["new_state"].state == "opening",
    )
    await hub.services.async_call("cover", "open_cover", {"entity_id": COVER}, call)
    await wait_state(hub, COVER, "open")
    assert moved and moved[0].id == call.id  # the arm's movement carries the guard's call
    await hub.services.async_call("cover", "close_cover", {"entity_id": COVER}, call)
    await wait_state(hub, COVER, "closed")

    inspector = await hub.auth.async_add_user("insp1", "insp-pass-12", frozenset({Role.INSPECTOR}))
    with pytest.raises(Unauthorized):
        await hub.services.async_call(
            "cover", "open_cover", {"entity_id": COVER}, Context(user_id=inspector.id)
        )
