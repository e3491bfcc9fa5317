"""The four modes: single drops, restart starts again, queued waits its turn (max), parallel (max)."""

from __future__ import annotations

from tests.components.automation.conftest import reached

AUTOMATION = """
- id: slow
  mode: {mode}
  max: 2
  trigger: {{platform: event, event_type: go}}
  action:
    - service: plant.begin
      data: {{n: "{{{{ trigger.event.data.n }}}}"}}
    - delay: 10
    - service: plant.end
      data: {{n: "{{{{ trigger.event.data.n }}}}"}}
"""


async def _go(hub, n: int) -> None:
    hub.bus.async_fire("go", {"n": n})


async def test_single_drops_a_trigger_while_running(plant_hub, clock) -> None:
    hub, calls, runs = await plant_hub(AUTOMATION.format(mode="single"), services=("begin", "end"))
    await _go(hub, 1)
    await reached(hub, "slow", "action/1")
    await _go(hub, 2)
    clock.advance(10)
    assert (await runs.next()).data["script_execution"] == "finished"
    assert [c.data["n"] for c in calls.calls] == [1, 1]
    traces = (await hub.services.async_call("automation", "trace", {"entity_id": "slow"}))["traces"]
    assert [t["script_execution"] for t in traces] == ["failed_single", "finished"]


async def test_restart_cancels_the_run_and_starts_again(plant_hub, clock) -> None:
    hub, calls, runs = await plant_hub(AUTOMATION.format(mode="restart"), services=("begin", "end"))
    await _go(hub, 1)
    await reached(hub, "slow", "action/1")
    await _go(hub, 2)
    assert (await runs.next()).data["script_execution"] == "cancelled"
    await reached(hub, "slow", "action/1")
    clock.advance(10)
    assert (await runs.next()).data["script_execution"] == "finished"
    assert [(c.service, c.data["n"]) for c in calls.calls] == [("begin", 1), ("begin", 2), ("end", 2)]


async def test_queued_runs_one_after_another_up_to_max(plant_hub, clock) -> None:
    hub, calls, runs = await plant_hub(AUTOMATION.format(mode="queued"), services=("begin", "end"))
    await _go(hub, 1)
    await reached(hub, "slow", "action/1")
    await _go(hub, 2)
    await _go(hub, 3)  # one running, one waiting: max 2, so this one is dropped
    state = hub.states.get("automation.slow")
    assert state.attributes["current"] == 2 and state.attributes["max"] == 2
    clock.advance(10)
    await runs.next()
    await reached(hub, "slow", "action/1")
    clock.advance(10)
    await runs.next()
    assert [(c.service, c.data["n"]) for c in calls.calls] == [
        ("begin", 1),
        ("end", 1),
        ("begin", 2),
        ("end", 2),
    ]
    assert hub.states.get("automation.slow").attributes["current"] == 0


async def test_parallel_runs_side_by_side_up_to_max(plant_hub, clock) -> None:
    hub, calls, runs = await plant_hub(AUTOMATION.format(mode="parallel"), services=("begin", "end"))
    await _go(hub, 1)
    await _go(hub, 2)
    await _go(hub, 3)  # a third at once is over max 2
    await calls.next()
    await calls.next()
    traces = (await hub.services.async_call("automation", "trace", {"entity_id": "slow"}))["traces"]
    assert traces[0]["script_execution"] == "failed_max_runs"
    await reached(hub, "slow", "action/1", count=2)
    clock.advance(10)
    done = {(await runs.next()).data["script_execution"], (await runs.next()).data["script_execution"]}
    assert done == {"finished"}
    assert sorted(c.data["n"] for c in calls.named("end")) == [1, 2]
