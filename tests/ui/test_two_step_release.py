"""Two-step release: on a lane so configured, a guard's release is a request an officer answers in time.

A real policy, ledger, register and simulated barrier PLC (the policy tests' plant) with the web console;
the guard and the officer act through the console's doors (REST and Chromium), as people do.
"""

from __future__ import annotations

from collections.abc import Awaitable

import aiohttp
from playwright.async_api import expect

from hub.core import Event, Hub
from hub.core.auth import Role
from hub.core.const import EVENT_STATE_CHANGED
from tests.common import expect_event, wait_state, wait_until
from tests.components.policy.conftest import config, fire_read, records, seed
from tests.ui.conftest import add_role_users, browser_page, signed_in, ui_url

COVER = "cover.east_in_barrier"
TWO_STEP = "ui:\n  port: 0\n  release:\n    - {gate: east, release: two_step, approve_within: 120}\n"


async def plant(make_hub, clock) -> Hub:
    hub = await make_hub(config() + TWO_STEP, clock=clock)
    assert {"ledger", "vehicles", "policy", "ui"} <= set(hub.loaded), hub.setup_errors
    await wait_state(hub, "binary_sensor.east_in_barrier_online", "on")
    await wait_state(hub, COVER, "closed")
    await seed(hub)
    await add_role_users(hub)
    return hub


def barrier_opens(hub: Hub) -> Awaitable[Event]:
    """Listen now, await after the approval: the simulated arm opens, stays 0.3 s and closes within about
    0.7 s of real time, less than the approval's answer may take to reach the test under load (a browser's
    round trips), and a wait begun then finds the barrier closed again."""

    def opening(event: Event) -> bool:
        new = event.data["new_state"]
        return event.data["entity_id"] == COVER and new is not None and new.state in ("opening", "open")

    return expect_event(hub, EVENT_STATE_CHANGED, opening)


async def post(session: aiohttp.ClientSession, base: str, service: str, data: dict) -> tuple[int, dict]:
    async with session.post(f"{base}/api/services/{service.replace('.', '/')}", json=data) as response:
        return response.status, await response.json()


async def releases(session: aiohttp.ClientSession, base: str) -> list[dict]:
    async with session.get(f"{base}/api/releases") as response:
        assert response.status == 200
        return (await response.json())["items"]


async def test_a_guards_release_waits_for_an_officer_who_approves_it_and_the_ledger_names_both(
    make_hub, clock
) -> None:
    hub = await plant(make_hub, clock)
    base = ui_url(hub)
    denied = await fire_read(hub, "冀B40004")
    assert denied["decision"] == "deny"
    guard, officer, inspector = [await signed_in(base, r) for r in (Role.GUARD, Role.OFFICER, Role.INSPECTOR)]
    try:
        status, body = await post(guard, base, "policy.release", {"passage_id": denied["passage_id"],
                                                                   "reason": "抢险物资运输车"})  # fmt: skip
        assert status == 200, body
        request = body["result"]
        assert (request["status"], request["requester"], request["plate"]) == ("pending", "guard", "冀B40004")
        assert hub.states.get(COVER).state == "closed"  # nothing moved on the guard's word alone
        assert "release" not in [r["kind"] for r in await records(hub, denied["passage_id"])]
        # The same by 开闸 while the truck waits: the same request, not a second one.
        opening = {"gate": "east", "lane": "in", "reason": "抢险物资运输车"}
        status, body = await post(guard, base, "policy.open_barrier", opening)
        assert (status, body["result"]["id"]) == (200, request["id"])
        assert [r["id"] for r in await releases(officer, base)] == [request["id"]]

        for who in (guard, inspector):  # neither the guard nor an inspector approves
            status, body = await post(who, base, "ui.approve_release", {"request_id": request["id"]})
            assert (status, body["error"]) == (403, "forbidden")
        opened = barrier_opens(hub)
        status, body = await post(officer, base, "ui.approve_release", {"request_id": request["id"]})
        assert status == 200, body
        assert body["result"]["request"]["status"] == "approved"
        await opened
        [release] = [r for r in await records(hub, denied["passage_id"]) if r["kind"] == "release"]
        assert release["actor"] == hub.auth.by_name("guard").id
        assert "officer" in release["reason"] and "guard" in release["reason"]
        status, body = await post(officer, base, "ui.approve_release", {"request_id": request["id"]})
        assert status == 400 and "approved" in body["message"]  # answered once

        async def audited() -> bool:
            audit = await hub.services.async_call("ledger", "audit_query", {"action": "ui."})
            actions = {(row["action"], row["outcome"]) for row in audit["items"]}
            return {("ui.release_requested", "pending"), ("ui.approve_release", "ok")} <= actions

        await wait_until(audited)
    finally:
        for session in (guard, officer, inspector):
            await session.close()


async def test_a_request_nobody_answers_expires_and_a_refusal_says_why(make_hub, clock) -> None:
    hub = await plant(make_hub, clock)
    base = ui_url(hub)
    guard, officer = await signed_in(base, Role.GUARD), await signed_in(base, Role.OFFICER)
    try:
        first = await fire_read(hub, "冀B40004")
        _, body = await post(guard, base, "policy.release", {"passage_id": first["passage_id"],
                                                              "reason": "厂内抢修车辆"})  # fmt: skip
        request_id = body["result"]["id"]
        clock.advance(119)
        assert [r["status"] for r in await releases(officer, base)] == ["pending"]
        clock.advance(2)
        assert [r["status"] for r in await releases(officer, base)] == ["expired"]
        status, body = await post(officer, base, "ui.approve_release", {"request_id": request_id})
        assert status == 400 and "expired" in body["message"]
        assert hub.states.get(COVER).state == "closed"

        async def expiry_audited() -> bool:
            audit = await hub.services.async_call("ledger", "audit_query", {"action": "ui.release_expired"})
            return [row["target"] for row in audit["items"]] == [first["passage_id"]]

        await wait_until(expiry_audited)

        second = await fire_read(hub, "冀B77777")  # not in the register
        assert second["decision"] == "deny"
        _, body = await post(guard, base, "policy.release", {"passage_id": second["passage_id"],
                                                              "reason": "厂内抢修车辆"})  # fmt: skip
        status, body = await post(officer, base, "ui.refuse_release", {"request_id": body["result"]["id"],
                                                                       "reason": ""})  # fmt: skip
        assert status == 400 and body["fields"][0]["field"] == "reason"
        items = await releases(guard, base)
        status, body = await post(officer, base, "ui.refuse_release", {"request_id": items[0]["id"],
                                                                       "reason": "无抢修工单"})  # fmt: skip
        assert (status, body["result"]["status"], body["result"]["answer"]) == (200, "refused", "无抢修工单")
        assert hub.states.get(COVER).state == "closed"
    finally:
        await guard.close()
        await officer.close()


async def test_a_release_after_the_truck_left_the_lane_also_waits_for_an_officer(make_hub, clock) -> None:
    """Not only the truck still at the barrier: a denied passage released later (from the passage search,
    after the next truck came) is a request too, and its approval records the release without moving
    the barrier for the truck now there."""
    hub = await plant(make_hub, clock)
    base = ui_url(hub)
    denied = await fire_read(hub, "冀B40004")
    assert denied["decision"] == "deny"
    assert (await fire_read(hub, "冀B60006"))["decision"] == "allow"  # the next truck, let in
    guard, officer = await signed_in(base, Role.GUARD), await signed_in(base, Role.OFFICER)
    try:
        status, body = await post(guard, base, "policy.release", {"passage_id": denied["passage_id"],
                                                                   "reason": "补录抢险车"})  # fmt: skip
        assert status == 200, body
        request = body["result"]
        assert (request["status"], request["requested"], request["plate"]) == ("pending", True, "冀B40004")
        assert "awaiting approval" in request["message"]
        assert "release" not in [r["kind"] for r in await records(hub, denied["passage_id"])]
        assert [r["passage_id"] for r in await releases(officer, base)] == [denied["passage_id"]]

        status, body = await post(officer, base, "ui.approve_release", {"request_id": request["id"]})
        assert status == 200, body
        assert body["result"]["release"]["opened"] is False  # that truck is no longer at the barrier
        [release] = [r for r in await records(hub, denied["passage_id"]) if r["kind"] == "release"]
        assert release["actor"] == hub.auth.by_name("guard").id

        # The officer's own after-the-fact release needs nobody else.
        other = await fire_read(hub, "冀B77777")
        await fire_read(hub, "冀B66666")
        status, body = await post(officer, base, "policy.release", {"passage_id": other["passage_id"],
                                                                     "reason": "补录：检修车辆"})  # fmt: skip
        assert status == 200 and "requested" not in body["result"], body
        assert [r for r in await records(hub, other["passage_id"]) if r["kind"] == "release"]
    finally:
        await guard.close()
        await officer.close()


async def test_a_lane_without_two_step_releases_at_once(make_hub, clock) -> None:
    hub = await make_hub(config() + "ui: {port: 0}\n", clock=clock)
    await wait_state(hub, COVER, "closed")
    await seed(hub)
    await add_role_users(hub)
    base = ui_url(hub)
    denied = await fire_read(hub, "冀B40004")
    guard = await signed_in(base, Role.GUARD)
    try:
        status, body = await post(guard, base, "policy.release", {"passage_id": denied["passage_id"],
                                                                   "reason": "抢险物资运输车"})  # fmt: skip
        assert status == 200 and body["result"]["opened"] is True
    finally:
        await guard.close()


async def test_guard_asks_on_the_lanes_page_and_the_officer_approves_on_a_phone(
    make_hub, clock, browser
) -> None:
    hub = await plant(make_hub, clock)
    base = ui_url(hub)
    guard = await browser_page(browser, base, Role.GUARD)
    await expect(guard.locator("#live-indicator.on")).to_be_visible()  # the feed is up: the read is seen
    denied = await fire_read(hub, "冀B40004")
    card = guard.locator('[data-lane="east_in"]')
    await card.locator('[data-action="policy.release"]').click()
    await guard.fill("#action-fields textarea, #action-fields input[name=reason]", "抢险物资运输车")
    await guard.click("#action-submit")
    await expect(guard.locator(".toast").last).to_have_text("已提交放行申请，等待环保专员审批")
    await expect(card.locator(".pending-release")).to_contain_text("guard")
    await guard.reload()  # the hub keeps the request, not the browser
    await expect(guard.locator('[data-lane="east_in"] .pending-release')).to_be_visible()

    phone = await browser_page(
        browser, base, Role.OFFICER, "/approvals", viewport={"width": 360, "height": 740}, is_mobile=True,
        has_touch=True,
    )  # fmt: skip
    item = phone.locator("#approvals-pending .approval")
    await expect(item).to_contain_text("冀B40004")
    await expect(item).to_contain_text("抢险物资运输车")
    assert await phone.evaluate("document.documentElement.scrollWidth") <= 360
    await item.locator('[data-action="approve"]').click()
    opened = barrier_opens(hub)
    await phone.click("#action-submit")
    await expect(phone.locator("#approvals-answered .approval").first).to_have_attribute(
        "data-status", "approved"
    )
    await opened
    await expect(card.locator(".decision-label")).to_have_text("放行")
    await expect(card.locator(".pending-release")).to_have_count(0)
    release = [r for r in await records(hub, denied["passage_id"]) if r["kind"] == "release"]
    assert len(release) == 1
    assert guard.errors == [] and phone.errors == []
    await guard.context.close()
    await phone.context.close()
