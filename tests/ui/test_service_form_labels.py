"""The forms the HMI builds from service schemas speak the page's language only: field labels, headings,
help lines and choices, in Chinese and in English (a registration's description holds both at once)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.async_api import Page, expect

from hub.core.auth import Role
from hub.ui.const import LANGUAGES
from hub.ui.i18n import TRANSLATIONS
from tests.ui.conftest import add_role_users, browser_page, ui_url

# Every component that registers services a page may offer as a form.
CONFIG = """\
hub: {name: 表单钢厂}
ledger:
vehicles:
reports: {schedule_enabled: false}
quality: {check_seconds: 3600}
insight:
uplink:
barrier:
  lanes:
    - {gate: east, lane: in, port: 0, scan_seconds: 0.05, timeout: 0.3,
       registers: {pulse_seconds: 0.05}, simulator: {travel_seconds: 0.2, auto_close_seconds: 0.3}}
policy:
  lanes: [{gate: east, lane: in}]
automation:
ui: {port: 0}
"""
HAN = re.compile(r"[\u3400-\u9fff]")
ENGLISH_WORD = re.compile(r"[A-Za-z][a-z]{2,}")
CODES = {"—", "xlsx", "csv", "png", "svg"}  # a file format reads the same in both languages
PLANT_SECOND = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


def speaks(lang: str, text: str) -> bool:
    """Chinese text has Chinese characters and no English words; English text has no Chinese."""
    text = text.replace("*", "").strip()
    if text in CODES:
        return True
    if lang == "en":
        return not HAN.search(text)
    return bool(HAN.search(text)) and all(word in CODES for word in ENGLISH_WORD.findall(text))


async def test_every_service_field_has_a_label_in_each_language(make_hub: Any) -> None:
    hub = await make_hub(CONFIG)
    assert not hub.setup_errors, hub.setup_errors
    catalogues = {
        lang: json.loads((TRANSLATIONS / f"{lang}.json").read_text(encoding="utf-8")) for lang in LANGUAGES
    }
    wrong = []
    for service in hub.services.services():
        if service.internal or service.schema is None:
            continue
        for field in service.schema.model_json_schema().get("properties", {}):
            for lang, messages in catalogues.items():
                label = messages.get(f"field.{field}")
                if label is None or not speaks(lang, label):
                    wrong.append(f"{lang} {service.domain}.{service.name} {field}: {label}")
    assert not wrong, "\n".join(wrong)


async def form_texts(page: Page, selector: str) -> dict[str, list[str]]:
    """What a user reads in the generated forms: headings, help lines, field labels and choices."""
    forms = page.locator(selector)
    await expect(forms.first).to_be_visible()
    return await forms.evaluate_all(
        """forms => {
          const texts = (selector) => forms.flatMap(
            f => [...f.querySelectorAll(selector)].map(n => n.textContent).filter(Boolean));
          return { headings: texts('h2'), help: texts('p.muted'), labels: texts('.label-text'),
                   choices: texts('option'), buttons: texts('button') };
        }"""
    )


def foreign(lang: str, texts: dict[str, list[str]]) -> list[str]:
    return [f"{kind}: {text}" for kind, items in texts.items() for text in items if not speaks(lang, text)]


async def test_the_alert_form_and_the_since_time_in_each_language(make_hub: Any, browser: Any) -> None:
    hub = await make_hub(CONFIG)
    await add_role_users(hub)
    await hub.services.async_call("policy", "set_alert_level", {"level": "yellow", "reason": "演练"})
    # A schedule sent as the browser's form sends it: UTC, to the millisecond.
    start = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=250000)
    await hub.services.async_call(
        "policy", "set_alert_level", {"level": "orange", "start": start.isoformat(), "reason": "预报"}
    )
    page = await browser_page(browser, ui_url(hub), Role.OFFICER, next_page="/alert")

    switch = page.locator('form[data-service="policy.set_alert_level"]')
    texts = await form_texts(page, 'form[data-service="policy.set_alert_level"]')
    assert texts["labels"] == [
        "预警等级",
        "响应级别",
        "管控措施代码",
        "管控措施",
        "开始时间",
        "结束时间",
        "原因",
    ]
    await expect(switch.locator(".service-help")).to_have_text(
        "切换重污染天气预警等级，或执行平台下发的管控措施。"
    )
    await expect(page.get_by_role("heading", name="切换预警等级", exact=True)).to_have_count(1)
    assert texts["headings"] == []  # the card names the form
    since = await page.locator("#alert-since").text_content()
    assert since and PLANT_SECOND.fullmatch(since), since
    plant_start = start.astimezone(hub.clock.tz).strftime("%Y-%m-%d %H:%M:%S")
    await expect(page.locator("#alert-scheduled")).to_contain_text(plant_start)
    history = page.locator("table")  # the call's data as sent (UTC) is read in plant time too
    await expect(history).to_contain_text(f"开始时间: {plant_start}")
    await expect(history).not_to_contain_text("+00:00")
    assert not foreign("zh-CN", await form_texts(page, "form.service-form"))

    await page.get_by_role("link", name="English").click()
    await expect(page.locator("h1")).to_have_text("Heavy-pollution alert")
    texts = await form_texts(page, 'form[data-service="policy.set_alert_level"]')
    assert texts["labels"] == [
        "Alert level",
        "Response level",
        "Measure code",
        "Measure",
        "From",
        "To",
        "Reason",
    ]
    await expect(switch.locator(".service-help")).to_have_text(
        "Switch the heavy-pollution alert level, or apply a control measure."
    )
    await expect(page.locator("#alert-since")).to_have_text(since)
    await expect(page.locator("#alert-scheduled")).to_contain_text(plant_start)
    assert not foreign("en", await form_texts(page, "form.service-form"))
    assert page.errors == []
    await page.context.close()


async def test_every_generated_form_of_the_register_services_in_each_language(
    make_hub: Any, browser: Any
) -> None:
    hub = await make_hub(CONFIG)
    await add_role_users(hub)
    page = await browser_page(browser, ui_url(hub), Role.ADMIN, next_page="/vehicles/services")
    texts = await form_texts(page, "form.service-form")
    assert len(texts["headings"]) == len([s for s in hub.services.services() if s.domain == "vehicles"])
    assert "查询车辆" in texts["headings"] and "车牌号" in texts["labels"] and "运输车辆" in texts["choices"]
    assert not foreign("zh-CN", texts)

    await page.get_by_role("link", name="English").click()
    await expect(page.get_by_role("heading", name="Look up a vehicle")).to_be_visible()
    texts = await form_texts(page, "form.service-form")
    assert "Plate" in texts["labels"] and "Transport vehicle" in texts["choices"]
    assert not foreign("en", texts)
    assert page.errors == []
    await page.context.close()
