"""A hub restarted in the middle of a batch resumes without loss or duplicate; 补传 of a date range."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hub.core import Context, ServiceValidationError, Unauthorized
from hub.core.auth import Role
from tests.common import expect_event, wait_state
from tests.components.uplink.conftest import passage, record, status, uplink_yaml
from tests.components.uplink.test_uplink_delivery import by_gate, two_gates


@pytest.mark.parametrize("grace", [5, 0], ids=["graceful", "abrupt"])
async def test_a_restart_mid_batch_resumes_without_loss_or_duplicate(
    make_hub, clock, sim, tmp_path, grace, database
) -> None:
    config_dir = tmp_path / "plant"
    text = uplink_yaml(sim.url, platform="batch_size: 5", db=database).replace(
        "stop_grace_seconds: 5", f"stop_grace_seconds: {grace}"
    )
    hub = await make_hub(text, clock=clock, config_dir=config_dir)
    data = [two_gates(n) for n in range(20)]
    for item in data[:5]:
        await record(hub, item)
    await sim.wait_for(lambda: len(sim.ids()) == 5)
    sim.set_slow(0.3)
    for item in data[5:]:
        await record(hub, item)
    await sim.wait_for(lambda: sim.in_flight > 0)  # a batch is on its way
    await hub.async_stop()
    sim.set_slow(0)
    assert len(sim.ids()) < 20
    hub = await make_hub(text, clock=clock, config_dir=config_dir)
    await sim.wait_for(lambda: len(sim.ids()) == 20)
    await wait_state(hub, "sensor.uplink_province_pending", lambda s: s == "0")
    # The platform holds every record once, each gate's in the order they passed.
    assert sorted(sim.ids()) == sorted(d["passage_id"] for d in data)
    assert sim.by_field("passage", "gateCode") == by_gate(data)
    if grace:
        assert sum(sim.duplicates.values()) == 0  # the batch in flight was finished before the stop
    else:
        assert sim.duplicates["passage"] <= 5  # at most the interrupted batch, sent again and deduplicated
    day = (await status(hub))["days"][0]
    assert (day["due"], day["acknowledged"], day["pending"]) == (20, 20, 0)


async def test_resend_of_a_date_range(make_hub, clock, sim) -> None:
    hub = await make_hub(uplink_yaml(sim.url), clock=clock)
    first_day = [passage(n) for n in range(4)]
    for item in first_day:
        await record(hub, item)
        clock.advance(timedelta(hours=3))
    clock.advance(timedelta(days=1))
    second_day = [passage(n) for n in range(10, 13)]
    for item in second_day:
        await record(hub, item)
    await sim.wait_for(lambda: len(sim.ids()) == 7)
    officer = await hub.auth.async_add_user("zhaomin", "correct horse", frozenset({Role.OFFICER}))
    done = expect_event(hub, "uplink_resend_done")
    result = await hub.services.async_call(
        "uplink", "resend", {"start": "2026-11-24T00:00:00", "end": "2026-11-25T00:00:00"},
        Context(user_id=officer.id),
    )  # fmt: skip
    assert [j["platform"] for j in result["jobs"]] == ["province"]
    finished = (await done).data
    assert (finished["sent"], finished["accepted"], finished["rejected"]) == (4, 4, 0)
    # Sent again with the same record ids: the platform keeps one copy of each, nothing else is resent.
    assert sim.duplicates["passage"] == 4 and len(sim.ids()) == 7
    jobs = (await status(hub))["resend_jobs"]
    assert jobs[0]["status"] == "done" and jobs[0]["sent"] == 4
    with pytest.raises(ServiceValidationError, match="no platform"):
        await hub.services.async_call("uplink", "resend", {"platform": "city", "start": "2026-11-24T00:00:00",
                                                           "end": "2026-11-25T00:00:00"})  # fmt: skip
    inspector = await hub.auth.async_add_user("lijian", "correct horse", frozenset({Role.INSPECTOR}))
    with pytest.raises(Unauthorized):
        await hub.services.async_call(
            "uplink", "resend", {"start": "2026-11-24T00:00:00", "end": "2026-11-25T00:00:00"},
            Context(user_id=inspector.id),
        )  # fmt: skip
