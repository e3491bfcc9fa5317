"""The register form's 随车清单 QR box over real HTTP: a scanner's text (keyboard wedge: text + Enter) or a
photo fills the form; the officer checks and saves; an unreadable code is explained."""

from __future__ import annotations

import html
import re

import aiohttp

from hub.core.auth import Role
from tests.components.vehicles.conftest import transport
from tests.components.vehicles.test_vehicles_qr import PAYLOADS, VIN, qr_photo
from tests.ui.conftest import add_role_users, signed_in, ui_url

CONFIG = "hub: {name: 扫码测试钢厂}\nledger:\nvehicles:\nui: {port: 0}\n"


def started_form() -> dict[str, str]:
    """What the officer typed before scanning: the plate and a few fields, no VIN, model or stage yet."""
    record = transport(1)
    for name in ("vin", "brand_model", "emission_stage", "engine_no", "fuel"):
        record.pop(name)
    return {k: ("true" if v is True else "false" if v is False else str(v)) for k, v in record.items()}


def field_value(page: str, name: str) -> str | None:
    found = re.search(rf'<input name="{name}"[^>]*value="([^"]*)"', page)
    if found:
        return html.unescape(found.group(1))
    select = re.search(rf'<select name="{name}">(.*?)</select>', page, re.S)
    chosen = select and re.search(r'<option value="([^"]*)" selected', select.group(1))
    return chosen.group(1) if chosen else None


async def test_a_scanned_code_fills_the_form_and_the_officer_saves_it(make_hub) -> None:
    hub = await make_hub(CONFIG)
    await add_role_users(hub)
    base = ui_url(hub)
    officer = await signed_in(base, Role.OFFICER)
    try:
        async with officer.get(f"{base}/vehicles/transport/new") as response:
            page = await response.text()
        assert 'id="qr-text"' in page and "扫码/粘贴随车清单二维码" in page
        # The scanner types the code and Enter: the form is posted to the scan route, as it stands.
        form = {**started_form(), "qr_text": PAYLOADS["kv"]}
        async with officer.post(f"{base}/vehicles/transport/scan", data=form) as response:
            assert response.status == 200
            page = await response.text()
        assert "已从随车清单二维码填入" in page
        assert field_value(page, "vin") == VIN and field_value(page, "brand_model") == "CA4250P66K24T1E6"
        assert field_value(page, "emission_stage") == "6" and field_value(page, "fuel") == "B"
        assert field_value(page, "plate") == "冀B00001"  # what was typed before is kept
        assert await hub.services.async_call("vehicles", "lookup", {"plate": "冀B00001"}) is None  # not saved

        # The officer checks and saves (Enter with the QR box empty saves too).
        filled = {name: field_value(page, name) or "" for name in (*started_form(), "vin", "brand_model",
                                                                  "emission_stage", "fuel")}  # fmt: skip
        scan = f"{base}/vehicles/transport/scan"
        async with officer.post(scan, data={**filled, "qr_text": ""}) as response:
            assert response.status == 200 and response.url.path == "/vehicles/transport/冀B00001"
        saved = await hub.services.async_call("vehicles", "lookup", {"plate": "冀B00001"})
        assert saved["vin"] == VIN and saved["emission_stage"] == "6"

        # A photo of the code does the same; an unreadable code is explained, the form kept.
        photo = aiohttp.FormData()
        for key, value in started_form().items():
            photo.add_field(key, value)
        photo.add_field("qr_text", "")
        jpeg = qr_photo(PAYLOADS["json"])
        photo.add_field("qr_photo", jpeg, filename="list.jpg", content_type="image/jpeg")
        async with officer.post(f"{base}/vehicles/transport/scan", data=photo) as response:
            assert response.status == 200
            assert field_value(await response.text(), "vin") == VIN
        async with officer.post(f"{base}/vehicles/transport/scan", data={**form, "qr_text": "hello"}) as r:
            assert r.status == 400
            page = await r.text()
        assert (
            "无法读取随车清单二维码：不是随车清单二维码" in page and "not an emission-list code" not in page
        )
        assert field_value(page, "plate") == "冀B00001"
    finally:
        await officer.close()


async def test_a_guard_cannot_use_the_scan_route(make_hub) -> None:
    hub = await make_hub(CONFIG)
    await add_role_users(hub)
    base = ui_url(hub)
    guard = await signed_in(base, Role.GUARD)
    try:
        async with guard.post(f"{base}/vehicles/transport/scan", data={"qr_text": PAYLOADS["kv"]}) as r:
            assert r.status == 403
    finally:
        await guard.close()


async def test_bad_scans_are_explained_never_a_server_error(make_hub) -> None:
    hub = await make_hub(CONFIG)
    await add_role_users(hub)
    base = ui_url(hub)
    officer = await signed_in(base, Role.OFFICER)
    scan = f"{base}/vehicles/transport/scan"
    try:
        junk = aiohttp.FormData()
        junk.add_field("qr_photo", b"<html>not a photo</html>", filename="x.jpg", content_type="image/jpeg")
        async with officer.post(scan, data=junk) as response:
            assert response.status == 400 and "not a JPEG or PNG" in await response.text()
        async with officer.post(scan, data={"qr_text": "x" * 5000}) as response:
            assert response.status == 400 and "无法读取随车清单二维码" in await response.text()
        headers = {"Content-Type": "multipart/form-data; boundary=zz"}
        async with officer.post(scan, data=b"garbage", headers=headers) as response:
            assert response.status == 400 and "无法读取提交的表单" in await response.text()
        async with officer.post(f"{base}/vehicles/lorries/scan", data={"qr_text": "x"}) as response:
            assert response.status == 404
    finally:
        await officer.close()
