"""Decision reasons in the English HMI: a sentence made from the reason code and the vehicle, where the
Chinese HMI shows the text the ledger recorded (and the platforms received).

The lane card, the review queue, the passages list and a passage's page show, in English, "China V
diesel in-plant vehicle, entry allowed" for 国五柴油厂内车辆，准予入厂, and the recorded text as the
element's title; a plant's own rule code, which the HMI cannot know, shows its recorded text."""

from __future__ import annotations

from typing import Any

import aiohttp
from playwright.async_api import expect

from hub.core import Hub
from hub.core.auth import Role
from hub.core.const import EVENT_GATE_DECISION
from tests.common import expect_event
from tests.components.vehicles.conftest import transport, vin
from tests.ui.conftest import add_role_users, browser_page, ui_url

TOKEN = "reason-camera-secret-0001"
CONFIG = f"""\
hub: {{name: 原因翻译钢厂}}
anpr:
  confidence_threshold: 0.85
  push: {{host: 127.0.0.1, port: 0}}
  cameras:
    - {{gate: east_gate, lane: in, direction: in, source: push, name: 东门入口车牌相机, token: {TOKEN}}}
ledger:
vehicles:
policy:
  rules:
    - {{id: plant_no_petrol, classes: [in_plant], fuels: [A], reason_code: plant_petrol,
       reason_text: "本厂规定：汽油厂内车辆禁止{{go}}"}}
ui: {{port: 0}}
"""
ALLOWED = "冀B50001"  # 国五 diesel in-plant vehicle: allowed
PETROL = "冀B50002"  # petrol in-plant vehicle: the plant's own rule refuses it
DOUBTFUL = "冀B50003"  # read at 61 %: waits for the guard
DIESEL4 = "冀B50004"  # 国四 diesel heavy goods vehicle: the grade's rule refuses it
RECORDED = {
    ALLOWED: "国五柴油厂内车辆，准予入厂",
    DOUBTFUL: "车牌识别置信度低，待人工确认",
    DIESEL4: "国四柴油货车禁止入厂",
    PETROL: "本厂规定：汽油厂内车辆禁止入厂",
}
ENGLISH = {
    ALLOWED: "China V diesel in-plant vehicle, entry allowed",
    DOUBTFUL: "Low plate-read confidence, awaiting confirmation",
    DIESEL4: "China IV diesel goods vehicle: entry forbidden",
    PETROL: RECORDED[PETROL],  # a code the HMI does not know: as recorded
}


def in_plant(n: int, plate: str, fuel: str, stage: str) -> dict[str, Any]:
    return {
        "internal_no": f"CN{n:04d}", "plate": plate, "colour": "yellow", "vehicle_type": "重型自卸货车",
        "vin": vin(60_000 + n), "registration_date": "2019-03-15", "fuel": fuel, "emission_stage": stage,
    }  # fmt: skip


async def read(hub: Hub, plate: str, confidence: int) -> str:
    """The camera pushes a read; the policy's decision's recorded reason."""
    decided = expect_event(
        hub, EVENT_GATE_DECISION, lambda e: e.data["plate"] == plate and e.data["passage_id"]
    )
    url = f"http://127.0.0.1:{hub.data['anpr'].push.port}/api/anpr/push/east_gate_in"
    body = {"plate": plate, "confidence": confidence, "colour": "yellow", "direction": "in"}
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as session:
        async with session.post(url, json=body) as response:
            assert response.status == 200, await response.text()
    return str((await decided).data["reason_text"])


async def reason_shows(locator: Any, text: str, recorded: str) -> None:
    await expect(locator).to_have_text(text)
    if text == recorded:
        assert await locator.get_attribute("title") is None
    else:
        await expect(locator).to_have_attribute("title", f"Recorded in the ledger: {recorded}")


async def passages_show(page: Any, url: str, shown: dict[str, str]) -> None:
    """The passages list, and the allowed passage's own page, show each reason as `shown` says."""
    await page.goto(url)
    for plate, text in shown.items():
        row = page.locator("#passages-table tbody tr", has_text=plate)
        await reason_shows(row.locator("td[data-reason]"), text, RECORDED[plate])
    await page.locator("#passages-table tbody tr", has_text=ALLOWED).get_by_role("link").click()
    await reason_shows(page.locator("#passage-reason"), shown[ALLOWED], RECORDED[ALLOWED])


async def test_english_pages_word_the_reason_chinese_ones_show_it_as_recorded(
    make_hub: Any, browser: Any
) -> None:
    hub = await make_hub(CONFIG)
    assert {"anpr", "ledger", "vehicles", "policy", "ui"} <= set(hub.loaded), hub.setup_errors
    await add_role_users(hub)
    for n, (plate, fuel) in enumerate(((ALLOWED, "B"), (PETROL, "A")), start=1):
        record = in_plant(n, plate, fuel, "5")
        await hub.services.async_call("vehicles", "upsert", {"class": "in_plant", "record": record})
    record = transport(50_004, plate=DIESEL4, emission_stage="4")
    await hub.services.async_call("vehicles", "upsert", {"class": "transport", "record": record})

    base = ui_url(hub)
    page = await browser_page(browser, base, Role.GUARD)
    await page.goto(f"{base}/lanes?lang=en")
    await expect(page.locator("#live-indicator")).to_have_text("Live")  # the card follows the feed from now
    card = page.locator('[data-lane="east_gate_in"]')
    reason = card.locator(".decision-reason")
    for plate, confidence in ((ALLOWED, 97), (DOUBTFUL, 61), (DIESEL4, 97), (PETROL, 97)):
        assert await read(hub, plate, confidence) == RECORDED[plate]
        await expect(card.locator('[data-field="plate"]')).to_have_text(plate)
        await reason_shows(reason, ENGLISH[plate], RECORDED[plate])
        if plate != ALLOWED:  # the review queue keeps a doubtful read, and a refused truck at the barrier
            queued = page.locator("#review-list li", has_text=plate).locator(".decision-reason")
            await reason_shows(queued, ENGLISH[plate], RECORDED[plate])

    await passages_show(page, f"{base}/passages?lang=en", ENGLISH)
    # In Chinese every one of them is the recorded text, with no title.
    await passages_show(page, f"{base}/passages?lang=zh-CN", RECORDED)
    await page.goto(f"{base}/lanes")
    await reason_shows(reason, RECORDED[PETROL], RECORDED[PETROL])
    queued = page.locator("#review-list li", has_text=DOUBTFUL).locator(".decision-reason")
    await reason_shows(queued, RECORDED[DOUBTFUL], RECORDED[DOUBTFUL])
    assert page.errors == []
    await page.context.close()


SENTENCES = [
    ({"reason_code": "blacklisted", "reason_text": "黑名单车辆：多次超载 张三"},
     "Blacklisted vehicle: 多次超载 张三"),
    ({"reason_code": "blacklisted", "reason_text": "黑名单车辆"}, "Blacklisted vehicle"),
    ({"reason_code": "review_marked", "reason_text": "待人工复核：遥感超标"},
     "Marked for review: 遥感超标"),
    ({"reason_code": "released", "reason_text": "特批放行：抢险物资（王五批准）"},
     "Special release: 抢险物资（王五批准）"),
    ({"reason_code": "manual_entry", "reason_text": "道闸故障，人工放行"},
     "Opened by hand: 道闸故障，人工放行"),
    ({"reason_code": "control_measure", "vehicle_class": "transport", "emission_stage": "4", "fuel": "B",
      "direction": "in"}, "Heavy-pollution control measure: China IV diesel goods vehicle, entry forbidden"),
    ({"reason_code": "forbidden", "vehicle_class": "machinery", "emission_stage": "X", "fuel": "B"},
     "Stage-less diesel non-road machinery: not to be used"),
    ({"reason_code": "forbidden", "vehicle_class": "transport", "emission_stage": "3", "fuel": "E",
      "direction": "out"}, "China III gas goods vehicle: exit forbidden"),
    ({"reason_code": "allowed", "vehicle_class": "transport", "emission_stage": "D", "direction": "out"},
     "New-energy goods vehicle, exit allowed"),
    ({"reason_code": "allowed", "vehicle_class": "unknown", "direction": "in"}, "Vehicle, entry allowed"),
    ({"reason_code": "temporary_pass", "reason_text": "临时通行（有效至12-05 18:00），准予入厂",
      "direction": "in"}, "Temporary pass (valid until 12-05 18:00), entry allowed"),
    ({"reason_code": "unregistered", "decision": "deny"}, "Unregistered vehicle"),
    ({"reason_code": "unregistered", "decision": "review"}, "Unregistered vehicle, awaiting confirmation"),
    ({"reason_code": "unregistered", "decision": "allow"},
     "Unregistered vehicle, let through and marked for checking"),
    ({"reason_code": "exit_recorded"}, "Exit allowed; why it would have been stopped is recorded"),
    ({"reason_code": "rfid_mismatch"}, "Plate and RFID tag do not match, awaiting confirmation"),
    ({"reason_code": "plant_night", "reason_text": "夜间禁止入厂"}, None),  # a plant's own code
]  # fmt: skip


async def test_each_reason_code_has_its_english_sentence(make_hub: Any, browser: Any) -> None:
    hub = await make_hub("hub: {name: 原因翻译钢厂}\nledger:\nui: {port: 0}\n")
    await add_role_users(hub)
    page = await browser_page(browser, ui_url(hub), Role.GUARD, next_page="/passages")
    await page.goto(f"{ui_url(hub)}/passages?lang=en")
    made = await page.evaluate(
        "(items) => items.map((item) => Reasons.sentence(item))", [i for i, _ in SENTENCES]
    )
    assert made == [sentence for _, sentence in SENTENCES]
    await page.context.close()
