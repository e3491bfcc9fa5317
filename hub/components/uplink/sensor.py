"""Per platform: `sensor.uplink_<platform>_pending`, `_sent_today`, `_acknowledged_today`,
`_rejected_today`, `_upload_rate` (today's records acknowledged / due, in %)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hub.core import DeviceInfo, EntityDescription
from hub.core.coordinator import CoordinatorEntity, DataUpdateCoordinator

from .link import PlatformLink


@dataclass(frozen=True, kw_only=True, slots=True)
class UplinkSensorDescription(EntityDescription):
    value: Callable[[dict[str, Any]], Any] = lambda f: None
    attributes: Callable[[PlatformLink, dict[str, Any]], Mapping[str, Any]] | None = None


def _pending_attrs(link: PlatformLink, figures: dict[str, Any]) -> dict[str, Any]:
    by_day = {day: c.pending for day, c in sorted(link.store.days.items()) if c.pending}
    return {"by_day": dict(list(by_day.items())[-31:]), "acked_seq": link.ledger.acked_seq,
            "scanned_seq": link.counter.scanned_seq}  # fmt: skip


def _rejected_attrs(link: PlatformLink, figures: dict[str, Any]) -> dict[str, Any]:
    return {"parked_total": link.store.parked_total, "parked": link.store.parked_recent}


def _rate_attrs(link: PlatformLink, figures: dict[str, Any]) -> dict[str, Any]:
    reported = [(day, c) for day, c in link.store.days.items() if c.stats_status]
    last = max(reported, key=lambda item: item[0]) if reported else None
    return {"date": figures["date"], "due": figures["due"], "acknowledged": figures["acknowledged"],
            "on_time_rate": figures["on_time_rate"], "duplicates": figures["duplicates"],
            "last_daily_report": None if last is None else
            {"date": last[0], "status": last[1].stats_status, "message": last[1].stats_message}}  # fmt: skip


def _rate(figures: dict[str, Any]) -> Any:
    return 100.0 if figures["upload_rate"] is None else figures["upload_rate"]


def _sensor(
    key: str,
    name: str,
    unit: str,
    value: Callable[[dict[str, Any]], Any],
    attributes: Callable[[PlatformLink, dict[str, Any]], Mapping[str, Any]] | None = None,
) -> UplinkSensorDescription:
    return UplinkSensorDescription(
        key=key, name=name, translation_key=f"uplink_{key}", unit_of_measurement=unit, value=value,
        attributes=attributes,
    )  # fmt: skip


SENSORS = (
    _sensor("pending", "Pending records", "条", lambda f: f["pending_total"], _pending_attrs),
    _sensor("sent_today", "Sent today", "条", lambda f: f["sent"]),
    _sensor("acknowledged_today", "Acknowledged today", "条", lambda f: f["acknowledged"]),
    _sensor("rejected_today", "Rejected today", "条", lambda f: f["rejected"], _rejected_attrs),
    _sensor("upload_rate", "Upload rate today", "%", _rate, _rate_attrs),
)


def device_of(link: PlatformLink) -> DeviceInfo:
    return DeviceInfo(
        identifier=f"uplink:{link.name}",
        name=f"监管平台 {link.conf.label}",
        manufacturer="simulated" if link.conf.simulator_options else None,
        model=f"profile {link.profile.name} ({link.profile.transport})",
        model_key="uplink_profile",
        model_values=(("profile", link.profile.name), ("transport", link.profile.transport)),
    )


class UplinkEntity(CoordinatorEntity[DataUpdateCoordinator[None]]):
    def __init__(self, link: PlatformLink) -> None:
        super().__init__(link.coordinator)
        self.link = link
        self._attr_device_info = device_of(link)

    @property
    def suggested_object_id(self) -> str:
        return f"uplink_{self.link.name}_{self.entity_description.key}"

    @property
    def available(self) -> bool:
        return True  # the counts stay true while the platform is away; `connected` says it is


class UplinkSensor(UplinkEntity):
    domain = "sensor"
    entity_description: UplinkSensorDescription

    def __init__(self, link: PlatformLink, description: UplinkSensorDescription) -> None:
        super().__init__(link)
        self.entity_description = description

    @property
    def state(self) -> Any:
        return self.entity_description.value(self.link.figures())

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        attributes = self.entity_description.attributes
        return attributes(self.link, self.link.figures()) if attributes else None
