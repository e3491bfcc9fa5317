"""The data-quality page words each finding in its own language from the rule and the finding's detail:
no English sentence on the Chinese page, no Chinese on the English one (plant data excepted), times in
plant time to the second; a finding stored before its rule kept what the message needs shows its stored
line."""

from __future__ import annotations

import html
import re
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp

from hub.components.quality.const import RULES
from hub.core import ManualClock
from hub.core.auth import Role
from hub.ui.i18n import Catalogues
from hub.ui.quality_page import finding_text
from tests.components.quality.traffic import CONFIG, fill_register, fill_uplink, record_month
from tests.ui.conftest import add_role_users, signed_in, ui_url

TZ = ZoneInfo("Asia/Shanghai")
TIMEOUT = aiohttp.ClientTimeout(total=30)
FIRST = date(2026, 10, 1)
CJK = re.compile(r"[\u4e00-\u9fff]")
PLATE = re.compile(r"[\u4e00-\u9fff]{1,2}[A-Z0-9]{3,}")  # 冀B90001, 厂内007: a record's plate
# Plant data that stays as the plant wrote it: lanes, the platform's id and its reason, a record id, cargo.
PLANT_WORDS = (
    "east_gate/in",
    "east_gate/out",
    "province",
    "R17",
    "铁矿石",
    "车牌颜色代码无效 invalid plate colour",
)


def text_of(markup: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", markup)).strip())


def without_plant_data(text: str, subjects: set[str]) -> str:
    for word in sorted({*PLANT_WORDS, *subjects}, key=len, reverse=True):
        text = text.replace(word, " ")
    return PLATE.sub(" ", text)


async def findings_shown(session: aiohttp.ClientSession, base: str, lang: str) -> dict[str, list[list[str]]]:
    """rule -> the cells of each finding row of the page (status all), in `lang`."""
    params = {"status": "all", "lang": lang}
    async with session.get(f"{base}/quality", params=params, timeout=TIMEOUT) as response:
        assert response.status == 200, await response.text()
        page = await response.text()
    rows: dict[str, list[list[str]]] = {}
    for row in re.findall(r'<tr data-finding="\d+">(.*?)</tr>', page, re.S):
        cells = [text_of(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        rows.setdefault(cells[1], []).append(cells)
    return rows


async def test_every_rule_reads_in_the_page_language(make_hub: Any) -> None:
    clock = ManualClock(datetime(2026, 10, 1, 0, 0, tzinfo=TZ))
    hub = await make_hub(
        f"hub:\n  name: 质量测试钢厂\nledger:\nvehicles:\nuplink: {{}}\nui: {{port: 0}}\n{CONFIG}",
        clock=clock,
    )
    await add_role_users(hub)
    month = await record_month(hub, clock, FIRST, planted=True)
    await fill_register(hub, planted=True)
    await fill_uplink(hub, month, planted=True)
    clock.set(datetime.combine(month.last + timedelta(days=1), datetime.min.time(), tzinfo=TZ))
    await hub.services.async_call(
        "quality", "run", {"start": month.first.isoformat(), "end": month.last.isoformat()}
    )
    stored = await hub.services.async_call("quality", "findings", {"status": "all", "page_size": 500})
    assert {f["rule"] for f in stored["items"]} == set(RULES) and stored["total"] <= 50
    subjects = {f["subject"] for f in stored["items"] if f["subject"]}
    base = ui_url(hub)
    officer = await signed_in(base, Role.OFFICER)
    try:
        zh, en = await findings_shown(officer, base, "zh-CN"), await findings_shown(officer, base, "en")
    finally:
        await officer.close()
    assert set(zh) == {name_zh for _, name_zh, _ in RULES.values()}, sorted(zh)
    assert set(en) == {name for _, _, name in RULES.values()}, sorted(en)
    for rows in zh.values():
        for cells in rows:
            line = " | ".join(cells)
            left = without_plant_data(line, subjects)
            assert not re.search(r"[A-Za-z]{2,}", left), line  # no English word, let alone a sentence
            assert not re.search(r"T\d\d:\d\d|\+08:00", line), line
    for rows in en.values():
        for cells in rows:
            line = " | ".join(cells)
            assert not CJK.search(without_plant_data(line, subjects)), line
            assert not re.search(r"T\d\d:\d\d|\+08:00", line), line

    def summary(rows: dict[str, list[list[str]]], rule: str, lang: int) -> str:
        (cells,) = rows[RULES[rule][lang]][:1]
        return cells[4]

    # Times in plant time to the second, counts and limits from the detail.
    assert (
        summary(zh, "exit_without_entry", 1) == "冀B90002 出厂 2026-10-06 11:00:00 无入厂记录（前 48 小时内）"
    )
    assert summary(en, "exit_without_entry", 2) == (
        "冀B90002 exit at 2026-10-06 11:00:00 without an entry in the 48 hours before"
    )
    assert summary(en, "missing_photo", 2) == "冀B90006 at 2026-10-10 10:00:00: no scene photo"
    assert summary(zh, "missing_photo", 1) == "冀B90006 2026-10-10 10:00:00 缺少全景照片"
    assert summary(en, "clock_skew", 2) == (
        "east_gate/in on 2026-10-14: device clock off by up to -300 s (limit 60 s; passages: 1)"
    )
    assert summary(en, "register_incomplete", 2) in (
        "冀B80001: the register record lacks VIN",
        "冀B80002: the register record lacks network status",
    )
    assert summary(en, "stage_date_inconsistent", 2) == (
        "冀B80003: emission stage China VI does not fit the registration date 2017-05-01 (before 2019-01-01)"
    )
    assert summary(zh, "stream_gap", 1) == (
        "east_gate/in 2026-10-20 08:30:00 至 2026-10-20 14:30:00 无通行记录 360 分钟（工作时间内）"
    )
    assert (
        summary(en, "upload_rejected", 2)
        == "province rejected 冀B00003: 车牌颜色代码无效 invalid plate colour"
    )


def test_a_finding_stored_before_its_detail_had_the_time_shows_its_line() -> None:
    catalogues = Catalogues("zh-CN")
    zh, en = catalogues.translator("zh-CN"), catalogues.translator("en")
    old = {
        "rule": "missing_photo", "subject": "鲁TPHQ5B", "day": "2026-12-04", "detail": {"missing": ["plate"]},
        "summary": "鲁TPHQ5B 2026-12-03T23:11:38Z 缺少车牌特写照片 no plate photo",
    }  # fmt: skip
    assert finding_text(en, old, TZ) == "鲁TPHQ5B 2026-12-04 07:11:38 缺少车牌特写照片 no plate photo"
    # Listed with its one record (as the page lists them), its time is the record's.
    record = {"seq": 7, "recorded_at": "2026-12-04T07:11:38+08:00", "plate": "鲁TPHQ5B"}
    listed = {**old, "seqs": [7], "records": [record]}
    assert finding_text(en, listed, TZ) == "鲁TPHQ5B at 2026-12-04 07:11:38: no plate close-up photo"
    new = {**old, "detail": {"missing": ["plate", "scene"], "at": "2026-12-03T23:11:38Z"}}
    assert finding_text(en, new, TZ) == "鲁TPHQ5B at 2026-12-04 07:11:38: no plate close-up and scene photo"
    assert finding_text(zh, new, TZ) == "鲁TPHQ5B 2026-12-04 07:11:38 缺少车牌特写、全景照片"
    unknown = {"rule": "some_later_rule", "summary": "新规则 new rule", "detail": {}}
    assert finding_text(en, unknown, TZ) == "新规则 new rule"
