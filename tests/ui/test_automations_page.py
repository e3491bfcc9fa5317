"""The automations page: state, switch off and on, run now, configuration errors, and each run's steps."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from hub.components.automation.describe import described
from hub.core.auth import Role
from hub.ui.automations_page import trigger_text
from hub.ui.i18n import Catalogues
from tests.common import expect_event
from tests.ui.conftest import add_role_users, signed_in, ui_url


def html_text(html: str) -> str:
    """What a person reads of the page's content (its runs), not the menu or the scripts' messages."""
    main = re.search(r'<main class="content">(.*?)</main>', html, re.S)
    text = re.sub(r"<[^>]+>", " ", main.group(1) if main else html)
    return unescape(re.sub(r"\s+", " ", text)).replace(" :", ":").strip()


CONFIG = """\
hub: {name: 自动化页面测试}
ledger:
automation:
  - id: flash_on_deny
    alias: 禁止通行时闪屏
    triggers: [{trigger: event, event_type: truck_denied}]
    conditions: [{condition: template, value_template: "{{ trigger.event.data.plate | length > 0 }}"}]
    actions: [{event: flashed, event_data: {plate: "{{ trigger.event.data.plate }}"}}]
  - id: broken
    triggers: [{trigger: nonsense}]
    actions: []
ui: {port: 0}
"""


async def test_an_engineer_sees_switches_runs_and_reads_the_steps_of_automations(make_hub) -> None:
    hub = await make_hub(CONFIG)
    await add_role_users(hub)
    base = ui_url(hub)
    engineer = await signed_in(base, Role.ENGINEER)
    guard = await signed_in(base, Role.GUARD)
    try:
        async with guard.get(f"{base}/automations") as response:
            assert response.status == 403
        async with engineer.get(f"{base}/automations") as response:
            page = await response.text()
        assert "禁止通行时闪屏" in page and 'id="config-errors"' in page and "启用" in page
        assert "nonsense" in page  # the configuration error names what is wrong

        hub.bus.async_fire("truck_denied", {"plate": "冀B40004"})
        await hub.async_block_till_done()
        async with engineer.get(f"{base}/automations/automation.flash_on_deny/traces") as response:
            page = await response.text()
        assert "truck_denied" in page and "完成" in page and "冀B40004" in page
        assert "condition/0" in page and "action/0" in page

        form = {"entity_id": "automation.flash_on_deny"}
        async with engineer.post(f"{base}/automations/off", data=form) as response:
            assert "已停用" in await response.text()
        assert hub.states.get("automation.flash_on_deny").state == "off"
        async with engineer.post(f"{base}/automations/on", data=form) as response:
            assert response.status == 200
        assert hub.states.get("automation.flash_on_deny").state == "on"
        async with engineer.post(f"{base}/automations/run", data=form) as response:
            assert "已运行" in await response.text()
        async with engineer.get(f"{base}/automations/automation.nothing/traces") as response:
            assert response.status == 404
    finally:
        await engineer.close()
        await guard.close()


def test_what_started_a_run_reads_in_the_page_language_and_the_unknown_as_the_component_said() -> None:
    catalogues = Catalogues("zh-CN")
    zh, en = catalogues.translator("zh-CN"), catalogues.translator("en")
    cases: list[tuple[dict[str, Any], str, str]] = [
        (described("state", entity_id="sensor.door"), "sensor.door 状态变化", "state of sensor.door"),
        (described("state_for", entity_id="sensor.wash", seconds=30.0), "sensor.wash 状态保持 30 秒",
         "state of sensor.wash for 30 s"),
        (described("numeric_state", entity_id="sensor.pm10"), "sensor.pm10 数值进入设定范围",
         "numeric state of sensor.pm10"),
        (described("numeric_state_for", entity_id="sensor.pm10", seconds=600.0),
         "sensor.pm10 数值在设定范围内 600 秒", "numeric state of sensor.pm10 for 600 s"),
        (described("event", event_type="truck_denied"), "事件 truck_denied", "event 'truck_denied'"),
        (described("time", time="08:30:00"), "定时 08:30:00", "time 08:30:00"),
        (described("time_pattern", time="08:15:00"), "周期定时 08:15:00", "time pattern 08:15:00"),
        (described("mqtt", topic="plant/lpr/east"), "MQTT 主题 plant/lpr/east", "mqtt topic plant/lpr/east"),
        (described("passage", stage="weighed", gate="east_gate", lane="in"), "车辆通行 east_gate/in：已称重",
         "passage weighed at east_gate/in"),
        (described("passage", stage="lifecycle", gate="east_gate", lane="in"),
         "车辆通行 east_gate/in：通行过程", "passage lifecycle at east_gate/in"),
        (described("manual"), "手动运行（服务调用）", "triggered by service"),
        # A code this console does not know yet, a trace from before codes, nothing at all.
        ({"description": "sun rose", "description_code": "sun", "description_params": {}}, "sun rose",
         "sun rose"),
        ({"description": "state of sensor.door"}, "state of sensor.door", "state of sensor.door"),
        ({}, "", ""),
    ]  # fmt: skip
    for trigger, chinese, english in cases:
        assert (trigger_text(zh, trigger), trigger_text(en, trigger)) == (chinese, english)


EVERY_KIND = """\
hub: {name: 自动化用语}
automation:
  - id: every_kind
    alias: 每种步骤
    triggers: [{trigger: state, entity_id: sensor.door, to: open, id: door}]
    conditions:
      - {condition: state, entity_id: sensor.door, state: open}
      - {condition: numeric_state, entity_id: sensor.pm10, above: 100}
      - {condition: time, after: "00:00"}
      - "{{ true }}"
      - {condition: trigger, id: door}
      - {and: ["{{ true }}"]}
      - {or: ["{{ true }}"]}
      - {not: ["{{ false }}"]}
    actions:
      - variables: {plate: 冀B40004}
      - service: automation.list
      - delay: 0
      - wait_for_trigger: [{trigger: event, event_type: never_comes}]
        timeout: 0
      - choose: [{conditions: "{{ true }}", sequence: [{event: chosen}]}]
      - if: "{{ true }}"
        then: [{event: then_done}]
      - repeat: {count: 1, sequence: [{event: repeated}]}
      - condition: template
        value_template: "{{ true }}"
      - event: every_kind_done
      - stop: 全部完成
  - id: condition_fails
    triggers: [{trigger: event, event_type: check_it}]
    actions: [{condition: template, value_template: "{{ false }}"}]
ui: {port: 0}
"""
# Step by step: the eight conditions, then each action (a choose, if or repeat before its inner event).
STEP_KINDS = [  # (zh-CN, en)
    ("状态条件", "state condition"),
    ("数值条件", "numeric state condition"),
    ("时间条件", "time condition"),
    ("模板条件", "template condition"),
    ("触发器条件", "trigger condition"),
    ("全部满足（and）", "all of (and)"),
    ("任一满足（or）", "any of (or)"),
    ("都不满足（not）", "none of (not)"),
    ("设置变量", "set variables"),
    ("调用服务", "service call"),
    ("延时", "delay"),
    ("等待触发", "wait for trigger"),
    ("选择分支", "choose"),
    ("发出事件", "fire event"),
    ("如果…则…否则", "if / then / else"),
    ("发出事件", "fire event"),
    ("重复", "repeat"),
    ("发出事件", "fire event"),
    ("条件检查", "condition"),
    ("发出事件", "fire event"),
    ("停止", "stop"),
]


def kinds_of(html: str) -> list[str]:
    return [html_text(k) for k in re.findall(r'<td data-field="kind">(.*?)</td>', html, re.S)]


async def test_every_condition_and_action_kind_and_the_trigger_read_in_the_page_language(make_hub) -> None:
    hub = await make_hub(EVERY_KIND)
    await add_role_users(hub)
    base = ui_url(hub)
    engineer = await signed_in(base, Role.ENGINEER)
    try:
        hub.states.async_set("sensor.pm10", "180")
        finished = expect_event(hub, "automation_finished")
        hub.states.async_set("sensor.door", "open")
        await finished
        finished = expect_event(hub, "automation_finished")
        hub.bus.async_fire("check_it", {})
        await finished

        url = f"{base}/automations/automation.every_kind/traces"
        async with engineer.get(url, params={"lang": "zh-CN"}) as response:
            html = await response.text()
        assert kinds_of(html) == [zh for zh, _en in STEP_KINDS], kinds_of(html)
        assert "触发: sensor.door 状态变化" in html_text(html) and "已停止 · 全部完成" in html_text(html)
        async with engineer.get(url, params={"lang": "en"}) as response:
            html = await response.text()
        assert kinds_of(html) == [en for _zh, en in STEP_KINDS], kinds_of(html)
        assert "Trigger: state of sensor.door" in html_text(html) and "stopped · 全部完成" in html_text(html)

        url = f"{base}/automations/automation.condition_fails/traces"
        async with engineer.get(url, params={"lang": "zh-CN"}) as response:
            text = html_text(await response.text())
        assert "触发: 事件 check_it" in text and "条件不满足 · 动作中的条件不满足" in text, text
        async with engineer.get(url, params={"lang": "en"}) as response:
            text = html_text(await response.text())
        assert "Trigger: event 'check_it'" in text, text
        assert "conditions not met · a condition in the actions did not hold" in text, text
    finally:
        await engineer.close()
