"""The automations page: state, switch off and on, run now, configuration errors, and each run's steps."""

from __future__ import annotations

from hub.core.auth import Role
from tests.ui.conftest import add_role_users, signed_in, ui_url

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
