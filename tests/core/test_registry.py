"""Registries: an entity keeps its entity_id across restarts, renames stick, devices are kept."""

from __future__ import annotations

from hub.core import DeviceInfo, Entity, EntityDescription
from hub.core.const import STATE_UNAVAILABLE

SOURCE = """
from hub.core import DeviceInfo, Entity, EntityDescription


class Level(Entity):
    domain = "sensor"

    def __init__(self, key):
        self.entity_description = EntityDescription(key=key, name=key.title())
        self._attr_device_info = DeviceInfo(identifier="tank:1", name="Tank 1")
        self.value = 3

    @property
    def state(self):
        return self.value


async def async_setup(hub, config):
    keys = config["keys"]
    hub.data["tank"] = await hub.entities.async_add("tank", [Level(k) for k in keys])
    return True
"""


async def test_entity_ids_survive_restart_and_rename(make_hub, integration_root, tmp_path) -> None:
    root = integration_root("regtest_pkg", {"tank": ({}, SOURCE)})
    first = await make_hub("hub: {}\ntank:\n  keys: [level, temperature]\n", roots=(root,))
    assert sorted(first.states.entity_ids()) == ["sensor.level", "sensor.temperature"]
    await first.entities.async_rename("sensor.level", "sensor.tank_1_level")
    assert first.states.get("sensor.tank_1_level").state == "3"
    assert first.states.get("sensor.level") is None
    await first.async_stop()

    # Same database, different order of creation, plus one new entity with a clashing suggestion.
    second = await make_hub(
        "hub: {}\ntank:\n  keys: [temperature, level, Level]\n", roots=(root,), config_dir=first.config_dir
    )
    assert sorted(second.states.entity_ids()) == [
        "sensor.level",
        "sensor.tank_1_level",
        "sensor.temperature",
    ]
    assert second.entities.entry_for("tank", "tank:1-level").entity_id == "sensor.tank_1_level"
    assert [d.name for d in second.devices.all()] == ["Tank 1"]


class Plate(Entity):
    entity_description = EntityDescription(key="plate", name="Plate")

    def __init__(self) -> None:
        self._attr_device_info = DeviceInfo(identifier="cam:1", name="Camera")

    @property
    def state(self) -> str:
        return "冀A12345"


async def test_availability_is_published(make_hub) -> None:
    hub = await make_hub()
    [entity] = await hub.entities.async_add("cam", [Plate()])
    assert hub.states.get("sensor.plate").state == "冀A12345"
    entity.async_set_available(False)
    assert hub.states.get("sensor.plate").state == STATE_UNAVAILABLE
    entity.async_set_available(True)
    assert hub.states.get("sensor.plate").attributes["friendly_name"] == "Plate"
