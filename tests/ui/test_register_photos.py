"""Register document photos (行驶证, 随车清单, nameplates): uploaded on the register page (JPEG/PNG, a size
limit, clear errors beside the field), shown as thumbnails that open large, deleted with a confirmation,
the deletion in the audit log and the record's history."""

from __future__ import annotations

import hashlib
import io

import aiohttp
from PIL import Image
from playwright.async_api import expect

from hub.core.auth import Role
from tests.components.vehicles.conftest import transport
from tests.ui.conftest import add_role_users, browser_page, signed_in, ui_url

CONFIG = "hub: {name: 证件照片}\nledger:\nvehicles:\nui: {port: 0}\n"
TIMEOUT = aiohttp.ClientTimeout(total=30)


def jpeg(colour: tuple[int, int, int] = (40, 90, 160)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 200), colour).save(out, "JPEG")
    return out.getvalue()


def upload_form(field: str, content: bytes, filename: str) -> aiohttp.FormData:
    form = aiohttp.FormData()
    for name, value in transport(7).items():
        form.add_field(name, str(value).lower() if isinstance(value, bool) else str(value))
    form.add_field("_key", "冀B00007")
    form.add_field(f"upload_{field}", content, filename=filename, content_type="application/octet-stream")
    return form


async def test_officer_uploads_sees_and_deletes_a_document_photo(make_hub, browser, tmp_path) -> None:
    hub = await make_hub(CONFIG)
    await add_role_users(hub)
    await hub.services.async_call("vehicles", "upsert", {"class": "transport", "record": transport(7)})
    base = ui_url(hub)

    # Wrong kinds and sizes are refused beside the field, nothing stored.
    officer = await signed_in(base, Role.OFFICER)
    try:
        save = f"{base}/vehicles/transport/save"
        async with officer.post(save, data=upload_form("photo_licence", b"%PDF-1.4 not a photo", "x.pdf"),
                                timeout=TIMEOUT) as response:  # fmt: skip
            html = await response.text()
            assert response.status == 400
            assert 'data-field="photo_licence">不是可用的 JPEG 或 PNG 照片' in html
        big = jpeg() + b"\0" * (10 * 1024 * 1024)
        async with officer.post(
            save, data=upload_form("photo_licence", big, "big.jpg"), timeout=TIMEOUT
        ) as r:
            assert r.status == 400 and "照片过大：不能超过 10 MB" in await r.text()
        record = await hub.services.async_call("vehicles", "get", {"class": "transport", "key": "冀B00007"})
        assert not record.get("photo_licence")
    finally:
        await officer.close()

    page = await browser_page(browser, base, Role.OFFICER, "/vehicles/transport/%E5%86%80B00007")
    photo = tmp_path / "licence.jpg"
    photo.write_bytes(jpeg())
    await page.set_input_files("input[name=upload_photo_licence]", str(photo))
    await page.click("#record-form button.primary")
    await page.wait_for_url("**done=updated")
    figure = page.locator('#doc-photos [data-field="photo_licence"]')
    sha = hashlib.sha256(photo.read_bytes()).hexdigest()
    await expect(figure.locator("img")).to_have_attribute("src", f"/vehicles/photos/{sha}")
    assert await figure.locator("img").evaluate("img => img.complete && img.naturalWidth") == 320
    await expect(page.locator('#doc-photos [data-field="photo_emission_list"] .no-photo')).to_be_visible()

    # The viewer by keyboard: Enter opens it large, Escape closes and gives focus back.
    await figure.locator("button.zoom").focus()
    await page.keyboard.press("Enter")
    await expect(page.locator("#zoom-dialog")).to_be_visible()
    await page.keyboard.press("Escape")
    await expect(page.locator("#zoom-dialog")).to_be_hidden()
    assert await page.evaluate("document.activeElement.classList.contains('zoom')")

    # Delete: asks first, then the photo is gone, and the deletion is on record.
    await figure.locator("details.delete-photo summary").click()
    await expect(figure.locator("details.delete-photo [role=alert]")).to_contain_text("确定删除“行驶证照片”")
    await figure.locator("details.delete-photo button[type=submit]").click()
    await page.wait_for_url("**done=photo_deleted")
    await expect(page.locator('#doc-photos [data-field="photo_licence"] .no-photo')).to_be_visible()
    record = await hub.services.async_call("vehicles", "get", {"class": "transport", "key": "冀B00007"})
    assert not record.get("photo_licence") and record["vin"] == transport(7)["vin"]
    history = await hub.services.async_call("vehicles", "history", {"class": "transport", "key": "冀B00007"})
    assert [h["username"] for h in history["items"][:2]] == ["officer", "officer"]
    audit = await hub.services.async_call("ledger", "audit_query", {"action": "vehicles.upsert"})
    assert [row["outcome"] for row in audit["items"] if row["door"] == "ui"][:2] == ["ok", "ok"]
    assert page.errors == []
    await page.context.close()
    async with aiohttp.ClientSession() as anonymous:
        async with anonymous.get(f"{base}/vehicles/photos/{sha}", allow_redirects=False) as response:
            assert response.status == 303  # photos are for signed-in readers
