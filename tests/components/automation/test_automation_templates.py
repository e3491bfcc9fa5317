"""Templates: the hub's states and the trigger's data, native results, and a sandbox that holds."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from hub.components.automation.templates import TemplateEngine, TemplateError, native_value
from hub.core import Hub, ManualClock


@pytest.fixture
def engine(tmp_path) -> TemplateEngine:
    hub = Hub(tmp_path, clock=ManualClock(datetime(2026, 11, 24, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))))
    return TemplateEngine(hub)


async def test_states_functions_and_trigger_data(engine: TemplateEngine) -> None:
    hub = engine.hub
    hub.states.async_set("sensor.fence_pm10", "182.5", {"unit_of_measurement": "µg/m³"})
    hub.states.async_set("cover.east_in", "open")
    variables = {"trigger": {"passage": {"plate": "冀B60006", "weight_kg": 41280}}}
    render = engine.render
    assert render("{{ trigger.passage.plate }}", variables) == "冀B60006"
    assert render("{{ trigger.passage.weight_kg - 15000 }}", variables) == 26280
    assert render("{{ states('sensor.fence_pm10') | float > 150 }}", variables) is True
    assert render("{{ states('sensor.nothing') }}", variables) == "unknown"
    assert render("{{ is_state('cover.east_in', ['open', 'opening']) }}", variables) is True
    assert render("{{ state_attr('sensor.fence_pm10', 'unit_of_measurement') }}", variables) == "µg/m³"
    assert render("{{ has_value('sensor.nothing') }}", variables) is False
    assert render("{{ now().isoformat() }}", variables) == "2026-11-24T08:00:00+08:00"
    assert render("{{ float('x', 0) + int('7') }}", variables) == 7.0
    assert render("{{ iif(1 > 2, 'a', 'b') }}", variables) == "b"
    assert render("车牌 {{ trigger.passage.plate }}", variables) == "车牌 冀B60006"
    with pytest.raises(TemplateError):
        render("{{ float('x') }}", variables)
    with pytest.raises(TemplateError, match="syntax"):
        render("{{ unclosed", variables)


@pytest.mark.parametrize(
    ("text", "value"),
    [("42", 42), ("4.5", 4.5), ("[1, 2]", [1, 2]), ("True", True), ("false", False), ("007", "007"),
     ("冀B60006", "冀B60006"), ("1e3", "1e3"), ("None", None), ("{'a': 1}", {"a": 1}), ("", "")],
)  # fmt: skip
def test_native_values(text: str, value: object) -> None:
    assert native_value(text) == value


@pytest.mark.parametrize(
    "escape",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ states.__globals__ }}",
        "{{ now.__self__ }}",
        "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
        "{{ trigger.__class__ }}",
        "{% set x = [] %}{{ x.append(1) }}",
        "{{ range(10 ** 9) | list }}",
        "{{ 'a' * 100000000 }}",
        "{{ 2 ** 100000 }}",
        "{{ ''.format.__globals__ }}",
    ],
)
def test_a_sandbox_escape_is_refused(engine: TemplateEngine, escape: str) -> None:
    with pytest.raises(TemplateError):
        engine.render(escape, {"trigger": {"plate": "x"}})


async def test_a_sandbox_escape_in_an_automation_fails_the_run_only(plant_hub) -> None:
    hub, calls, runs = await plant_hub(
        """
        - id: escape
          trigger: {platform: event, event_type: go}
          action:
            - service: plant.leak
              data: {x: "{{ ''.__class__.__mro__[1].__subclasses__() }}"}
        """,
        services=("leak",),
    )
    hub.bus.async_fire("go")
    finished = await runs.next()
    assert finished.data["script_execution"] == "error"
    assert "sandbox" in finished.data["error"] or "unsafe" in finished.data["error"]
    assert calls.calls == []
