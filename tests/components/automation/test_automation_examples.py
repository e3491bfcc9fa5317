"""The example automations of docs/automations.md (examples.yaml) against real peers: the policy,
ledger and a simulated barrier PLC for the denied truck; an asyncua SCADA server (barrier, fog
cannon, an MES text tag) read and written by our OPC UA client for the other three."""

# ruff: noqa: F811 - the tests take fixtures imported from other test packages by name

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from hub.core import Event
from hub.core.const import EVENT_GATE_DECISION, EVENT_PASSAGE_RECORDED, EVENT_SERVICE_CALLED
from tests.common import wait_state, wait_until
from tests.components.automation.conftest import Runs, reached
from tests.components.policy.conftest import config as policy_config
from tests.components.policy.conftest import fire_read, seed
from tests.integrations.opcua.scada import SCADA_URI, scada  # noqa: F401 - the fixture

EXAMPLES = (Path(__file__).parent / "examples.yaml").read_text(encoding="utf-8")


def automation_calls(hub: Any) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []
    hub.bus.async_listen(
        EVENT_SERVICE_CALLED,
        lambda e: calls.append({**e.data, "context": e.context}) if e.data["door"] == "automation" else None,
    )
    return calls


async def test_denied_truck_sounds_the_alarm_and_flashes_the_display(make_hub, clock) -> None:
    hub = await make_hub(policy_config() + "automation:\n", clock=clock, automations__yaml=EXAMPLES)
    await wait_state(hub, "binary_sensor.east_in_barrier_online", "on")
    await seed(hub)
    runs, calls = Runs(hub), automation_calls(hub)
    display: list[str] = []
    hub.bus.async_listen(
        EVENT_SERVICE_CALLED,
        lambda e: display.append(e.data["data"]["text"])
        if e.data["door"] == "automation" and e.data["service"] == "display" else None,
    )  # fmt: skip
    decisions: list[Event] = []
    hub.bus.async_listen(EVENT_GATE_DECISION, decisions.append)
    decision = await fire_read(hub, "冀B40004")  # 国四: denied
    assert decision["decision"] == "deny"
    await wait_state(hub, "binary_sensor.east_in_alarm", "on")
    for n in range(10):  # each display call returns before its delay begins, with no await between
        # The PLC's write is on the network: nothing to wait on but the list of calls.
        await wait_until(lambda n=n: len(display) >= n + 1, timeout=5, interval=0.005)
        clock.advance(1)
    finished = await runs.next(timeout=10)
    assert finished.data["script_execution"] == "finished"
    assert display == ["禁止通行 冀B40004", " "] * 5
    alarm = next(c for c in calls if c["service"] == "alarm")
    assert alarm["data"] == {"gate": "east", "lane": "in", "seconds": 10} and alarm["outcome"] == "ok"
    assert alarm["context"].parent_id == decisions[-1].context.id and alarm["user_id"] is None
    # The audit log names the automation behind those calls, by the run's context.
    await hub.async_block_till_done()
    audit = await hub.services.async_call("ledger", "audit_query", {"action": "automation.run"})
    rows = audit["items"]
    assert rows[0]["target"] == "automation.denied_truck_alarm"
    assert alarm["context"].id in str(rows[0]["detail"])


def scada_config(url: str) -> str:
    ns = f"nsu={SCADA_URI};s="
    return f"""\
hub: {{name: 洗车 雾炮 MES}}
automation:
opcua:
  server: false
  clients:
    - name: scada
      url: {url}
      publishing_interval: 0.05
      watchdog_seconds: 0.2
      timeout: 1
      tags:
        - {{node_id: "{ns}Barrier.Pos", write_node_id: "{ns}Barrier.Cmd", key: gate1_barrier,
           platform: cover, command_open: 1, command_close: 2}}
        - {{node_id: "{ns}Fog.Run", key: fog_cannon, platform: switch}}
        - {{node_id: "{ns}LED.Text", key: mes_last_passage, platform: text}}
"""


@pytest.fixture
async def scada_hub(make_hub, clock, scada) -> Any:
    hub = await make_hub(scada_config(scada.url), clock=clock, automations__yaml=EXAMPLES)
    assert {"opcua", "automation"} <= set(hub.loaded), hub.setup_errors
    await wait_state(hub, "switch.fog_cannon", "off", timeout=10)
    await wait_state(hub, "cover.gate1_barrier", "closed", timeout=10)
    return hub


def exit_decision(plate: str, passage_id: str) -> dict[str, Any]:
    """What the policy announces for a truck allowed out at the exit lane."""
    return {"passage_id": passage_id, "gate": "east", "lane": "out", "direction": "out", "plate": plate,
            "decision": "allow", "allowed": True, "vehicle_class": "transport"}  # fmt: skip


async def test_exit_opens_only_after_a_completed_wheel_wash(scada_hub, scada, clock) -> None:
    hub, runs = scada_hub, Runs(scada_hub)
    reviews: list[Event] = []
    hub.bus.async_listen("guard_review_requested", reviews.append)
    hub.bus.async_fire(EVENT_GATE_DECISION, exit_decision("冀B60006", "P-1"))
    await reached(hub, "exit_after_wheel_wash", "action/0")
    clock.advance(60)
    hub.bus.async_fire("wheel_wash_cycle", {"plate": "冀B60006", "result": "aborted"})
    hub.bus.async_fire("wheel_wash_cycle", {"plate": "冀B60006", "result": "completed"})
    assert (await runs.next(timeout=10)).data["script_execution"] == "finished"
    await wait_state(hub, "cover.gate1_barrier", "open", timeout=10)
    assert scada.commands == [1] and reviews == []

    hub.bus.async_fire(EVENT_GATE_DECISION, exit_decision("冀B50005", "P-2"))
    await reached(hub, "exit_after_wheel_wash", "action/0")
    clock.advance(timedelta(minutes=5))
    assert (await runs.next(timeout=10)).data["script_execution"] == "finished"
    assert reviews[0].data == {"passage_id": "P-2", "plate": "冀B50005",
                               "reason": "未完成洗车 no completed wheel wash within 5 minutes"}  # fmt: skip
    assert scada.commands == [1]


async def test_pm10_above_the_limit_for_ten_minutes_starts_the_fog_cannon(scada_hub, scada, clock) -> None:
    hub, runs = scada_hub, Runs(scada_hub)
    suggestions: list[Event] = []
    hub.bus.async_listen("alert_level_suggested", suggestions.append)
    hub.states.async_set("sensor.fence_pm10", "95", {"unit_of_measurement": "µg/m³"})
    hub.states.async_set("sensor.fence_pm10", "160")
    clock.advance(timedelta(minutes=9))
    assert await scada.get("Fog.Run") is False
    clock.advance(timedelta(minutes=1))
    assert (await runs.next(timeout=10)).data["script_execution"] == "finished"
    assert await scada.get("Fog.Run") is True
    await wait_state(hub, "switch.fog_cannon", "on")
    assert suggestions[0].data["level"] == "yellow" and suggestions[0].data["pm10"] == 160.0


async def test_a_joined_weight_is_written_to_the_mes_tag(scada_hub, scada) -> None:
    hub, runs = scada_hub, Runs(scada_hub)
    hub.bus.async_fire(EVENT_PASSAGE_RECORDED, {"kind": "passage", "passage_id": "01JPASSAGE", "gate": "east",
                                                "lane": "in", "plate": "冀B60006", "seq": 41})  # fmt: skip
    hub.bus.async_fire(EVENT_PASSAGE_RECORDED, {"kind": "weight", "passage_id": "01JPASSAGE", "gate": "east",
                                                "lane": "in", "weight_kg": 41280, "seq": 42})  # fmt: skip
    assert (await runs.next(timeout=10)).data["script_execution"] == "finished"
    assert await scada.get("LED.Text") == "01JPASSAGE;冀B60006;41280"
    await wait_state(hub, "text.mes_last_passage", "01JPASSAGE;冀B60006;41280")
