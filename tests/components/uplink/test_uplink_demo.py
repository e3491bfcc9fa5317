"""The demo's way: a platform simulator started in-process by the configuration, watched and steered
through its own HTTP control API."""

from __future__ import annotations

import aiohttp

from tests.common import wait_state
from tests.components.uplink.conftest import passage, record, status

DEMO = """
hub:
  name: 演示钢厂
ledger: {}
uplink:
  plant: {code: "91130200MA0DEMO001", name: 演示钢厂, region: "130200"}
  idle_poll_seconds: 0.5
  control_poll_seconds: 0.2
  platforms:
    - name: province
      title: 省级监管平台
      profile: default
      url: http://127.0.0.1:0
      simulator: {reject_plates: [冀B00003]}
      retry: {initial_seconds: 0.05, max_seconds: 0.2}
"""


async def test_the_demo_platform_runs_in_process(make_hub, clock) -> None:
    hub = await make_hub(DEMO, clock=clock)
    assert "uplink" in hub.loaded, hub.setup_errors
    connected = hub.states.get("binary_sensor.uplink_province_connected")
    url = connected.attributes["url"]
    assert url.startswith("http://127.0.0.1:") and not url.endswith(":0")
    for n in range(5):
        await record(hub, passage(n))
    await wait_state(hub, "sensor.uplink_province_acknowledged_today", lambda s: s == "4")
    await wait_state(hub, "sensor.uplink_province_rejected_today", lambda s: s == "1")
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{url}/sim/state") as response:
            state = await response.json()
        assert state["received"]["passage"] == 4 and "冀B00003" in state["rejections"][0]["reason"]
        async with session.get(f"{url}/sim/received", params={"message": "passage"}) as response:
            received = await response.json()
        assert [r["plateNo"] for r in received["records"]] == ["冀B00000", "冀B00001", "冀B00002", "冀B00004"]
        # Steered through its control API: the next passage is refused twice, then taken.
        async with session.post(
            f"{url}/sim/faults", json={"fail_next": 2, "clear_rejects": True}
        ) as response:
            assert (await response.json())["fail_next"] == 2
        await record(hub, passage(5))
        await wait_state(hub, "sensor.uplink_province_acknowledged_today", lambda s: s == "5")
        async with session.get(f"{url}/sim/state") as response:
            assert (await response.json())["faults"]["fail_next"] == 0
    item = await status(hub)
    assert item["title"] == "省级监管平台" and item["connected"] and item["days"][0]["rejected"] == 1
