"""The chain export and its standalone verifier: the exported rows are what the hash covers, and the
HTML file, opened from disk in Chromium with no network, verifies an untouched export and names the
first record of an edited one."""

from __future__ import annotations

import itertools
import json
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser

from hub.components.ledger.chain import RECORD_CHAIN, row_hash
from hub.components.reports.verifier import write_chain_export
from hub.core import Hub, ManualClock

JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF"
# Text that JSON writes with escapes, and text it keeps as is: both must hash alike in Python and JS.
AWKWARD = 'line one\nline "two"\t\\ 冀B·鲁 \u2028 \x7f \x01 emoji 🚛'


def _passage(n: int) -> dict[str, Any]:
    return {
        "passage_id": str(uuid.uuid4()),
        "read_id": f"READ{n:06d}",
        "gate": "east_gate",
        "lane": "in" if n % 2 == 0 else "out",
        "direction": "in" if n % 2 == 0 else "out",
        "plate": f"冀B{n:05d}",
        "colour": "yellow",
        "vehicle_class": "transport",
        "vehicle": {
            "emission_stage": "6",
            "fuel": "B",
            "fleet": "唐山顺达物流有限公司",
            "vin": "LFWADRJF1J1000001",
        },
        "decision": "allow",
        "reason_code": "allowed",
        "reason_text": AWKWARD if n == 3 else "国六柴油货车，准予入厂",
        "confidence": 0.97,
        "images": {"plate": JPEG + f"plate-{n}".encode(), "scene": JPEG + f"scene-{n}".encode()},
    }


async def _traffic(hub: Hub, clock: ManualClock, count: int) -> None:
    for n in range(count):
        result = await hub.services.async_call("ledger", "record_passage", _passage(n))
        if n % 3 == 0:
            cargo = {"cargo": "铁矿石 " + AWKWARD, "quantity": 31.5, "unit": "t", "origin": "迁安"}
            await hub.services.async_call(
                "ledger", "record_followup", {"passage_id": _pid(hub, result), "kind": "cargo", "data": cargo}
            )
        clock.advance(timedelta(minutes=7))


def _pid(hub: Hub, result: dict[str, Any]) -> str:
    return str(result["passage_id"])


@pytest.fixture
async def ledger_plant(make_hub: Any, database: str, clock: ManualClock) -> Hub:
    hub = await make_hub(f"hub:\n  name: 某某钢铁有限公司\n{database}ledger:\n", clock=clock)
    assert "ledger" in hub.loaded, hub.setup_errors
    return hub


async def test_export_holds_exactly_what_each_hash_covers(
    ledger_plant: Hub, clock: ManualClock, tmp_path: Path
) -> None:
    start = clock.now()
    await _traffic(ledger_plant, clock, 12)
    middle = start + timedelta(minutes=7 * 4)
    out = await write_chain_export(ledger_plant, middle, clock.now(), tmp_path / "export")

    doc = json.loads((out / "chain.json").read_text(encoding="utf-8"))
    assert doc["columns"] == [*RECORD_CHAIN.columns, "hash"]
    assert doc["plant"] == "某某钢铁有限公司"
    rows = doc["rows"]
    seqs = [r[0] for r in rows]
    assert seqs == list(range(seqs[0], seqs[0] + len(rows)))  # no gap
    assert all(middle.timestamp() <= r[4] < clock.now().timestamp() for r in rows)
    assert len([r for r in rows if r[1] == "passage"]) == 8  # passages 4..11
    for row in rows:
        assert row_hash(RECORD_CHAIN, row[:-1]) == row[-1]
    for before, after in itertools.pairwise(rows):
        assert after[-2] == before[-1]
    assert doc["ledger_head"] == {"seq": rows[-1][0], "hash": rows[-1][-1]}
    csv_text = (out / "chain.csv").read_text(encoding="utf-8-sig")
    assert csv_text.splitlines()[0] == ",".join(doc["columns"])
    assert (out / "verifier.html").read_text(encoding="utf-8").count("<script") == 1
    assert "src=" not in (out / "verifier.html").read_text(encoding="utf-8")


async def test_an_empty_period_exports_no_rows(ledger_plant: Hub, clock: ManualClock, tmp_path: Path) -> None:
    await _traffic(ledger_plant, clock, 2)
    later = clock.now() + timedelta(days=1)
    out = await write_chain_export(ledger_plant, later, later + timedelta(days=1), tmp_path / "empty")
    doc = json.loads((out / "chain.json").read_text(encoding="utf-8"))
    assert doc["rows"] == [] and doc["first_seq"] is None


async def _verdict(browser: Browser, html: Path, export: Path) -> tuple[str, str, str]:
    context = await browser.new_context(locale="zh-CN", offline=True)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    await page.goto(html.as_uri(), timeout=10_000)
    await page.set_input_files("#file", str(export), timeout=10_000)
    result = page.locator("#result")
    await page.wait_for_function(
        "['ok', 'failed', 'error'].includes(document.getElementById('result').dataset.status)", timeout=20_000
    )
    verdict = (
        await result.get_attribute("data-status") or "",
        await result.get_attribute("data-bad-seq") or "",
        await result.text_content() or "",
    )
    await context.close()
    assert not errors, errors
    return verdict


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
async def test_verifier_in_chromium_passes_an_untouched_export_and_names_an_edited_record(
    ledger_plant: Hub, clock: ManualClock, tmp_path: Path, browser: Browser
) -> None:
    start = clock.now()
    await _traffic(ledger_plant, clock, 20)
    out = await write_chain_export(ledger_plant, start, clock.now(), tmp_path / "export")
    html, export = out / "verifier.html", out / "chain.json"

    status, bad, text = await _verdict(browser, html, export)
    assert (status, bad) == ("ok", ""), text
    assert "校验通过" in text

    doc = json.loads(export.read_text(encoding="utf-8"))
    edited = json.loads(json.dumps(doc))
    target = edited["rows"][9]
    target[9] = "冀B99999"  # a plate changed by hand
    (tmp_path / "edited.json").write_text(json.dumps(edited, ensure_ascii=False), encoding="utf-8")
    status, bad, text = await _verdict(browser, html, tmp_path / "edited.json")
    assert (status, bad) == ("failed", str(target[0])), text
    assert "内容与哈希不符" in text and "冀B99999" in text

    # A row deleted: the gap is named where it opens.
    removed = json.loads(json.dumps(doc))
    gone = removed["rows"].pop(5)
    (tmp_path / "removed.json").write_text(json.dumps(removed, ensure_ascii=False), encoding="utf-8")
    status, bad, text = await _verdict(browser, html, tmp_path / "removed.json")
    assert (status, bad) == ("failed", str(gone[0] + 1)), text
    assert "缺失" in text

    # Rehashing an edited row does not help: the next row no longer links to it.
    rehashed = json.loads(json.dumps(doc))
    row = rehashed["rows"][4]
    row[9] = "冀B88888"
    row[-1] = row_hash(RECORD_CHAIN, row[:-1])
    (tmp_path / "rehashed.json").write_text(json.dumps(rehashed, ensure_ascii=False), encoding="utf-8")
    status, bad, text = await _verdict(browser, html, tmp_path / "rehashed.json")
    assert (status, bad) == ("failed", str(rehashed["rows"][5][0])), text
    assert "未链接到上一条记录" in text
