"""Beside the ledger: the platform's control measure pulled over HTTP and applied by the policy, the
plant's alert-level switches, the nightly statistics (the register: test_uplink_register_feed.py)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hub.core.const import EVENT_SERVICE_CALLED, EVENT_STATE_CHANGED
from tests.common import expect_event, wait_entity, wait_state
from tests.components.uplink.conftest import POLICY, passage, record, status, uplink_yaml

TZ = ZoneInfo("Asia/Shanghai")


async def test_control_measure_pulled_and_alert_switches_sent(make_hub, clock, sim) -> None:
    hub = await make_hub(uplink_yaml(sim.url, extra=POLICY), clock=clock)
    assert {"uplink", "policy"} <= set(hub.loaded), hub.setup_errors
    level = expect_event(hub, EVENT_STATE_CHANGED, {"entity_id": "select.plant_alert_level"})
    calls = []
    hub.bus.async_listen(
        EVENT_SERVICE_CALLED, calls.append, event_filter=lambda e: e.data["domain"] == "policy"
    )
    await sim.async_push_control({"id": "M-88", "level": "red", "response_level": "I", "measure_code": 4,
                                  "measure": "停止公路运输", "start": datetime(2026, 11, 24, 0, 0, tzinfo=TZ),
                                  "end": datetime(2026, 11, 27, 0, 0, tzinfo=TZ)})  # fmt: skip
    assert sim.control["warnLevel"] == "红色" and sim.control["startTime"] == "20261124 000000"
    applied = (await level).data["new_state"]
    assert applied.state == "red" and applied.attributes["measure_code"] == 4
    assert applied.attributes["start"].startswith("2026-11-24T00:00:00")
    await sim.wait_for(lambda: len(sim.received["alert_level"]) == 1)
    alert = next(iter(sim.received["alert_level"].values()))
    assert alert["alertLevel"] == "红色" and alert["source"] == "platform" and alert["measureCode"] == 4
    # The same measure polled again is not applied twice; an officer's own switch goes up as well.
    polls = sim.requests["control"]
    await sim.wait_for(lambda: sim.requests["control"] >= polls + 2)
    assert [c for c in calls if c.data["domain"] == "policy"] == calls[:1]
    await hub.services.async_call("policy", "set_alert_level", {"level": "orange", "source": "officer"})
    await sim.wait_for(lambda: len(sim.received["alert_level"]) == 2)
    assert sorted(a["alertLevel"] for a in sim.received["alert_level"].values()) == ["橙色", "红色"]
    assert hub.states.get("select.plant_alert_level").state == "orange"


async def test_daily_statistics_go_up_at_night(make_hub, clock, sim) -> None:
    hub = await make_hub(uplink_yaml(sim.url), clock=clock)
    for n in range(5):
        await record(hub, passage(n, direction="in" if n < 3 else "out",
                                  decision="deny" if n == 1 else "allow"))  # fmt: skip
    await sim.wait_for(lambda: len(sim.ids()) == 5)
    assert not sim.received["daily_stats"]
    clock.set(datetime(2026, 11, 25, 1, 0, 30, tzinfo=TZ))  # 01:00 the next night
    await sim.wait_for(lambda: len(sim.received["daily_stats"]) == 1)
    stats = sim.received["daily_stats"]["stats-2026-11-24"]
    assert stats["statDate"] == "20261124" and (stats["entries"], stats["exits"], stats["denied"]) == (
        3,
        2,
        1,
    )
    assert '"5": 3' in stats["entriesByStage"]
    rate = await wait_entity(
        hub, "sensor.uplink_province_upload_rate", lambda st: st.attributes["last_daily_report"] is not None
    )
    assert rate.attributes["last_daily_report"] == {
        "date": "2026-11-24",
        "status": "accepted",
        "message": "接收成功",
    }
    day = (await status(hub, date="2026-11-24"))["days"][0]
    assert day["daily_report"]["status"] == "accepted"
    # A new day: today's figures start again from nothing.
    await wait_state(hub, "sensor.uplink_province_acknowledged_today", lambda s: s == "0")
    clock.advance(timedelta(hours=1))
    await hub.services.async_call("uplink", "send_daily_stats", {"date": "2026-11-24"})
    assert sim.duplicates["daily_stats"] == 1 and len(sim.received["daily_stats"]) == 1
