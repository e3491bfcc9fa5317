"""One bad record never stops an upload: dates from every door are bounded, and a record a profile cannot
encode is parked with its reason while the records behind it go on (issue 20)."""

from __future__ import annotations

import pytest

from hub.components.uplink.const import EVENT_ALERT_LEVEL_CHANGED
from hub.core import ServiceValidationError
from tests.common import wait_entity
from tests.components.ledger.test_ledger_cli import ecogate
from tests.components.uplink.conftest import POLICY, passage, record, status, uplink_yaml

EXTREME = ("0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59")


@pytest.mark.parametrize("moment", EXTREME)
async def test_extreme_alert_dates_are_refused_and_passages_keep_flowing(
    make_hub, clock, sim, moment
) -> None:
    hub = await make_hub(uplink_yaml(sim.url, extra=POLICY), clock=clock)
    assert {"uplink", "policy"} <= set(hub.loaded), hub.setup_errors
    for key in ("start", "end"):
        with pytest.raises(ServiceValidationError, match=key):
            await hub.services.async_call(
                "policy", "set_alert_level", {"level": "red", key: moment, "reason": "测试"}
            )
    # The platform's control measure is bounded the same way: not applied, and nothing stalls.
    polls = sim.requests["control"]
    sim.control = {"measureId": "M-1", "warnLevel": "红色", "startTime": "00010101 000000"}
    await sim.wait_for(lambda: sim.requests["control"] >= polls + 2)
    assert hub.states.get("select.plant_alert_level").state == "normal"
    data = [passage(n) for n in range(3)]
    for item in data:
        await record(hub, item)
    await sim.wait_for(lambda: len(sim.ids()) == 3)
    assert not sim.received["alert_level"]


async def test_a_record_that_cannot_be_encoded_is_parked_and_the_rest_go_on(
    make_hub, clock, sim, tmp_path
) -> None:
    """An alert switch with a year-1 start (queued before dates were bounded) overflowed the mapping on
    every retry, and as the first step it held every passage back, also after a restart."""
    yaml = uplink_yaml(sim.url, extra=POLICY)
    plant = tmp_path / "plant"
    hub = await make_hub(yaml, clock=clock, config_dir=plant)
    # The switch as an older policy announced it, before its dates were bounded.
    hub.bus.async_fire(EVENT_ALERT_LEVEL_CHANGED, {
        "level": "red", "previous": "normal", "measure_code": None, "measure": None, "response_level": None,
        "start": EXTREME[0], "end": None, "source": "officer", "reason": None, "user_id": None,
    })  # fmt: skip
    data = [passage(n) for n in range(4)]
    for item in data:
        await record(hub, item)
    await sim.wait_for(lambda: len(sim.ids()) == 4)
    assert sim.ids() == [d["passage_id"] for d in data]
    shown = await wait_entity(
        hub, "sensor.uplink_province_rejected_today", lambda st: st.attributes.get("parked_total") == 1
    )
    (parked,) = shown.attributes["parked"]
    assert parked["kind"] == "alert_level" and "startTime" in parked["reason"]
    assert "out of range" in parked["reason"]
    (listed,) = (await status(hub))["parked"]
    assert listed["record_id"] == parked["record_id"] and listed["source"] == "mapping"
    assert listed["seq"] is None
    # The alert stream itself goes on: the next switch reaches the platform.
    await hub.services.async_call("policy", "set_alert_level", {"level": "orange", "source": "officer"})
    await sim.wait_for(lambda: len(sim.received["alert_level"]) == 1)
    assert next(iter(sim.received["alert_level"].values()))["alertLevel"] == "橙色"
    # After a restart the parked switch stays parked and new passages still go straight up.
    await hub.async_stop()
    hub = await make_hub(yaml, clock=clock, config_dir=plant)
    await record(hub, passage(9))
    await sim.wait_for(lambda: len(sim.ids()) == 5)
    assert (await status(hub))["parked_total"] == 1
    code, out = await ecogate("uplink", "status", "-c", str(plant))
    assert code == 0 and "parked 1" in out and "alert_level" in out and "out of range" in out, out
