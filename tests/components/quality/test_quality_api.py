"""The data-quality REST routes as a client sees them: roles, a run, the findings, an acknowledgement."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp

from hub.core import ManualClock
from hub.core.auth import Role
from tests.ui.conftest import add_role_users, token_for, ui_url

TZ = ZoneInfo("Asia/Shanghai")
CONFIG = "hub:\n  name: 接口测试\nledger:\nquality:\n  check_seconds: 3600\nui: {port: 0}\n"


async def test_run_list_and_acknowledge_over_rest(make_hub: Any) -> None:
    clock = ManualClock(datetime(2026, 10, 5, 9, 0, tzinfo=TZ))
    hub = await make_hub(CONFIG, clock=clock)
    await add_role_users(hub)
    exit_only = {
        "passage_id": str(uuid.uuid4()), "gate": "east_gate", "lane": "out", "direction": "out",
        "plate": "冀B12345", "vehicle_class": "transport", "decision": "allow",
    }  # fmt: skip
    await hub.services.async_call("ledger", "record_passage", exit_only)
    clock.set(datetime(2026, 10, 6, 9, 0, tzinfo=TZ))
    base = ui_url(hub)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        auth = {role: {"Authorization": f"Bearer {await token_for(session, base, role)}"} for role in Role}

        async with session.post(f"{base}/api/quality/run", json={}, headers=auth[Role.GUARD]) as r:
            assert r.status == 403
        async with session.post(
            f"{base}/api/quality/run", json={"date": "2026-10-05"}, headers=auth[Role.OFFICER]
        ) as r:
            assert r.status == 200, await r.text()
            summary = await r.json()
        assert summary["rules"]["exit_without_entry"]["found"] == 1
        assert summary["rules"]["missing_photo"]["found"] == 1

        query = "rule=exit_without_entry&from=2026-10-05&to=2026-10-05&with_records=true"
        url = f"{base}/api/quality/findings?{query}"
        async with session.get(url, headers=auth[Role.INSPECTOR]) as r:
            assert r.status == 200, await r.text()
            [finding] = (await r.json())["items"]
        assert finding["subject"] == "冀B12345" and finding["status"] == "open" and finding["seqs"] == [1]
        [record] = finding["records"]
        assert (record["seq"], record["plate"], record["direction"]) == (1, "冀B12345", "out")
        async with session.get(f"{base}/api/quality/findings?bogus=1", headers=auth[Role.INSPECTOR]) as r:
            assert r.status == 400

        ack = f"{base}/api/quality/findings/{finding['id']}/acknowledge"
        async with session.post(ack, json={"note": "看过了"}, headers=auth[Role.INSPECTOR]) as r:
            assert r.status == 403  # inspectors read only
        async with session.post(ack, json={"note": "   "}, headers=auth[Role.OFFICER]) as r:
            assert r.status == 400
        async with session.post(ack, json={"note": "车辆由西门进厂"}, headers=auth[Role.OFFICER]) as r:
            assert r.status == 200, await r.text()
            assert (await r.json())["ack_user"] == "officer"
        async with session.post(ack, json={"note": "again"}, headers=auth[Role.OFFICER]) as r:
            assert r.status == 409
        missing = f"{base}/api/quality/findings/999999/acknowledge"
        async with session.post(missing, json={"note": "x"}, headers=auth[Role.OFFICER]) as r:
            assert r.status == 404

        async with session.get(f"{base}/api/quality/rules", headers=auth[Role.ENGINEER]) as r:
            assert r.status == 200
            rules = {item["rule"]: item for item in await r.json()}
        assert rules["exit_without_entry"]["open"] == 0 and rules["missing_photo"]["open"] == 1
    state = hub.states.get("sensor.quality_exit_without_entry")
    assert state is not None and state.state == "0"
