"""flagging.policy: review — a planted high emitter is not denied on its next arrival but sent to the
guard's review queue with the remote-sensing reason; the mark is an audited register change."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import aiohttp

from hub.core.auth import Role
from tests.components.policy.conftest import fire_read, seed
from tests.ui.conftest import add_role_users, token_for, ui_url

TOKEN = "rs-token-0123456789abcdef"
CONFIG = f"""\
hub: {{name: 复核测试}}
ledger: {{}}
vehicles: {{}}
ui: {{port: 0}}
policy: {{grade: B}}
airquality:
  remote_sensing:
    - {{key: east_road, gate: east, lane: in, token: {TOKEN},
       simulator: {{invalid_share: 0, plate_share: 1, seed: 5}}}}
insight:
  limits: [{{fuel: B, stages: ["6"], opacity_pct: 10, no_ppm: 500}}]
  flagging: {{policy: review, deny_days: 7}}
"""
DIRTY = "冀B60006"  # registered 国六 diesel (tests/components/policy/conftest.py FLEET)


async def test_a_planted_high_emitter_goes_to_review_on_its_next_arrival(make_hub, clock) -> None:
    hub = await make_hub(CONFIG, clock=clock)
    assert {"policy", "insight", "ui"} <= set(hub.loaded), hub.setup_errors
    await seed(hub)
    await add_role_users(hub)
    joined: list[Any] = []
    hub.bus.async_listen("insight_reading_joined", joined.append)
    first = await fire_read(hub, DIRTY)
    assert first["decision"] == "allow"
    await hub.async_block_till_done()
    sim = hub.data["airquality"].simulators["east_road"]
    clock.advance(timedelta(seconds=20))
    # The unit measures the truck as it really is: like a 国三 without its SCR.
    await sim.async_send(sim.reading({"plate": DIRTY, "emission_stage": "3", "fuel": "B", "lane": "in"}))
    await hub.async_block_till_done()
    assert any(j.data["exceeded"] for j in joined)

    looked = await hub.services.async_call("vehicles", "lookup", {"plate": DIRTY})
    assert not looked["blacklisted"] and looked["review_reason"].startswith("尾气遥感超标")
    audit = await hub.services.async_call("ledger", "audit_query", {"action": "vehicles.review_mark_add"})
    assert [row["target"] for row in audit["items"]] == [DIRTY]

    clock.advance(timedelta(hours=2))
    second = await fire_read(hub, DIRTY)
    assert second["decision"] == "review" and second["reason_code"] == "review_marked"
    assert "尾气遥感超标" in second["reason_text"]
    # The others are not touched.
    assert (await fire_read(hub, "冀B50005"))["decision"] == "allow"
    await hub.async_block_till_done()
    async with aiohttp.ClientSession() as http:
        base = ui_url(hub)
        token = await token_for(http, base, Role.GUARD)
        async with http.get(f"{base}/api/review", headers={"Authorization": f"Bearer {token}"}) as answer:
            items = (await answer.json())["items"]
    assert [(i["plate"], i["kind"]) for i in items] == [(DIRTY, "review")]
    assert "尾气遥感超标" in items[0]["reason_text"]

    # An officer ends the mark: the truck is the register's again.
    await hub.services.async_call("vehicles", "review_mark_remove", {"plate": DIRTY})
    assert (await fire_read(hub, DIRTY))["decision"] == "allow"
