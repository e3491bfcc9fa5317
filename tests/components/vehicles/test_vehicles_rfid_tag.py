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


async def test_a_register_of_the_release_before_gets_the_tag_column_and_keeps_its_records(
    vehicles_hub, tmp_path
) -> None:
    """The additive migration: a `vehicle` table without `rfid_tag` (as the release before made it) gets
    the column on start; its records stay, and a tag can then be given and found."""
    import sqlite3

    plant = tmp_path / "plant"
    hub = await vehicles_hub(config_dir=plant)
    await call(hub, "upsert", {"class": "transport", "record": transport(3)})
    await hub.async_stop()
    [db] = [p for p in (plant / "data").rglob("*.db") if "vehicle" in _tables(p)]
    with sqlite3.connect(db) as conn:  # the table as the release before made it
        columns = [r[1] for r in conn.execute('PRAGMA table_info("vehicle")') if r[1] != "rfid_tag"]
        conn.execute(f"CREATE TABLE vehicle_old AS SELECT {', '.join(columns)} FROM vehicle")
        conn.execute("DROP TABLE vehicle")
        conn.execute("ALTER TABLE vehicle_old RENAME TO vehicle")
    assert "rfid_tag" not in [r[1] for r in sqlite3.connect(db).execute('PRAGMA table_info("vehicle")')]

    again = await vehicles_hub(config_dir=plant)
    assert (await call(again, "lookup", {"plate": "冀B00003"}))["registered"]
    await call(again, "upsert", {"class": "transport", "record": {"plate": "冀B00003", "rfid_tag": TAG}})
    assert (await call(again, "lookup", {"tag": TAG}))["plate"] == "冀B00003"
    assert "rfid_tag" in [r[1] for r in sqlite3.connect(db).execute('PRAGMA table_info("vehicle")')]


def _tables(path) -> set[str]:
    import sqlite3

    with sqlite3.connect(path) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
