"""`sensor.<gate>_<lane>_decision`: the lane's latest admission decision (allow/deny/review, or error)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from hub.core import DeviceInfo, Entity, EntityDescription
from hub.core.gate import PART_PLATFORMS

if TYPE_CHECKING:
    from .passage import LaneTrack

DECISION = EntityDescription(
    key="decision", name="Decision", translation_key="decision", icon="mdi:boom-gate-alert"
)


class DecisionSensor(Entity):
    domain = "sensor"
    entity_description = DECISION

    def __init__(self, lane: LaneTrack) -> None:
        self.lane = lane
        self._attr_device_info = DeviceInfo(
            identifier=f"policy:{lane.key}", name=f"{lane.gate} {lane.lane} 准入决策", manufacturer="EcoGate"
        )

    @property
    def suggested_object_id(self) -> str:
        return f"{self.lane.key}_decision"

    @property
    def state(self) -> str | None:
        passage = self.lane.current
        return passage.verdict if passage else None

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        attrs: dict[str, Any] = {"gate": self.lane.gate, "lane": self.lane.lane}
        # The entities the lane is bound to (docs/lanes.md), for the HMI and anyone drawing the lane.
        if parts := {p: e for p in PART_PLATFORMS if (e := getattr(self.lane.binding, p)) is not None}:
            attrs["parts"] = parts
        if (passage := self.lane.current) is not None:
            attrs.update(passage.summary())
        return attrs
