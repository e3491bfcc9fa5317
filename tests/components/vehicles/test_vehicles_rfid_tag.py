"""The register's RFID tag (电子标签): a record is found by its tag; a tag names one record only."""

from __future__ import annotations

import pytest

from hub.core import ServiceValidationError
from tests.components.vehicles.conftest import call, machinery, transport

TAG = "E2003412B802011700000001"


async def test_a_record_is_found_by_its_tag(vehicles_hub) -> None:
    hub = await vehicles_hub()
    await call(hub, "upsert", {"class": "machinery", "record": machinery(1, rfid_tag=TAG.lower())})
    found = await call(hub, "lookup", {"tag": f" {TAG.lower()} "})
    assert found["vehicle_class"] == "machinery" and found["key"] == "JA00000001"
    assert await call(hub, "lookup", {"tag": "E200FFFF"}) is None
    listed = await call(hub, "list", {"class": "machinery", "q": TAG[-8:]})
    assert [item["key"] for item in listed["items"]] == ["JA00000001"]
    fields = await call(hub, "fields", {})
    assert "rfid_tag" in [f["name"] for f in fields["fields"]["transport"]]


async def test_a_tag_of_another_record_is_refused_and_nothing_is_overwritten(vehicles_hub) -> None:
    hub = await vehicles_hub()
    await call(hub, "upsert", {"class": "transport", "record": transport(1, rfid_tag=TAG)})
    with pytest.raises(ServiceValidationError, match="RFID tag belongs to 冀B00001"):
        await call(hub, "upsert", {"class": "transport", "record": transport(2, rfid_tag=TAG)})
    assert (await call(hub, "lookup", {"tag": TAG}))["plate"] == "冀B00001"
    assert await call(hub, "lookup", {"plate": "冀B00002"}) is None
