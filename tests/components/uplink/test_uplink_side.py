"""Beside the ledger: the platform's control measure pulled over HTTP and applied by the policy, the
plant's alert-level switches, the register of all three classes, the nightly statistics."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hub.core.const import EVENT_SERVICE_CALLED, EVENT_STATE_CHANGED
from tests.components.uplink.conftest import passage, record, status, uplink_yaml, wait_entity, wait_state
from tests.components.uplink.fakes import fake_root

TZ = ZoneInfo("Asia/Shanghai")
SEED = """
fakevehicles:
  seed:
    - [transport, {plate: 冀B12345, colour: yellow, vehicle_type: 重型半挂牵引车, vin: LFWADRJF1J1000001,
                   emission_stage: "6", fuel: B, registration_date: "2021-05-06", network_status: true}]
    - [in_plant, {internal_no: CN-007, plate: 冀B7K001, emission_stage: "5", fuel: B}]
    - [machinery, {env_code: 130200M000123, machine_type: 装载机, emission_stage: "3", fuel: B,
                   production_date: "2019-03-01"}]
"""


async def test_control_measure_pulled_and_alert_switches_sent(make_hub, clock, sim, integration_root) -> None:
    hub = await make_hub(
        uplink_yaml(sim.url, extra="fakepolicy:\n"), clock=clock, roots=fake_root(integration_root)
    )
    level = hub.bus.async_wait_for(
        EVENT_STATE_CHANGED, lambda e: e.data["entity_id"] == "select.plant_alert_level"
    )
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


async def test_register_records_of_all_three_classes_go_up_on_change(
    make_hub, clock, sim, integration_root
) -> None:
    hub = await make_hub(uplink_yaml(sim.url, extra=SEED), clock=clock, roots=fake_root(integration_root))
    classes = ("register_transport", "register_in_plant", "register_machinery")
    await sim.wait_for(lambda: sum(len(sim.received[m]) for m in classes) == 3)
    truck = sim.received["register_transport"]["transport:冀B12345"]
    assert truck["vin"] == "LFWADRJF1J1000001" and truck["emissionStage"] == "6" and truck["action"] == 2
    assert truck["registerDate"] == "20210506" and truck["networked"] == 1 and truck["plateColor"] == 1
    machine = sim.received["register_machinery"]["machinery:130200M000123"]
    assert machine["machineType"] == "装载机" and machine["productionDate"] == "20190301"
    clock.advance(60)
    await hub.services.async_call(
        "vehicles",
        "upsert",
        {
            "class": "transport",
            "record": {
                "plate": "冀B12345",
                "colour": "yellow",
                "emission_stage": "6",
                "fuel": "E",
                "vin": "LFWADRJF1J1000001",
            },
        },
    )
    await sim.wait_for(lambda: sim.updates["register_transport"] == 1)
    assert sim.received["register_transport"]["transport:冀B12345"]["fuelType"] == "E"
    await hub.services.async_call(
        "vehicles", "delete", {"class": "machinery", "record": {"env_code": "130200M000123"}}
    )
    await sim.wait_for(lambda: sim.received["register_machinery"]["machinery:130200M000123"]["action"] == 3
                       if sim.updates["register_machinery"] else False)  # fmt: skip
    assert sum(sim.duplicates.values()) == 0


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
