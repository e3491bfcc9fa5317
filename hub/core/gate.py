"""Gates and lanes: the plant's words for where a passage happens, shared by every part of the hub.

A lane is a binding of entities (`LaneBinding`): which entity's updates are its plate reads, which
binary sensor says a vehicle stands in it, which cover is its barrier, and so on. Any integration may
provide them: our camera, barrier and weighbridge drivers, an MQTT sensor fed by another LPR system,
OPC UA tags of the plant's SCADA. A part left out is our own integrations' entity of that lane
(`sensor.<gate>_<lane>_plate`, `cover.<gate>_<lane>_barrier` ...), or none. docs/lanes.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

if TYPE_CHECKING:
    from .state import StateMachine

# Gate and lane names become parts of entity ids and OPC UA node ids: lower-case ASCII.
Slug = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
EntityId = Annotated[str, Field(pattern=r"^[a-z_]+\.[a-z0-9_]{1,200}$")]


class Direction(StrEnum):
    IN = "in"  # platform code 1
    OUT = "out"  # platform code 2


class LaneRef(BaseModel):
    """One lane of one gate, as configuration names it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    gate: Slug
    lane: Slug

    @property
    def key(self) -> str:
        """`east_gate_in`: the object-id prefix of the lane's entities."""
        return f"{self.gate}_{self.lane}"


class WeightStability(BaseModel):
    """A weight is stable when it stays within `band_kg` for `seconds`, above `min_kg`; once per vehicle,
    re-armed when the bridge goes back below `zero_kg` (what a weighbridge indicator's 稳定 lamp does)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seconds: float = Field(2.0, gt=0, le=120)
    band_kg: float = Field(20, ge=0)
    min_kg: float = Field(500, ge=0)
    zero_kg: float = Field(200, ge=0)

    @model_validator(mode="after")
    def _order(self) -> WeightStability:
        if self.zero_kg >= self.min_kg:
            raise ValueError("zero_kg must be below min_kg")
        return self


# part -> the platforms an entity playing it may be of
PART_PLATFORMS: dict[str, tuple[str, ...]] = {
    "plate": ("sensor", "text"),
    "plate_colour": ("sensor", "text"),
    "plate_confidence": ("sensor", "number"),
    "presence": ("binary_sensor",),
    "barrier": ("cover",),
    "display": ("text", "sensor"),
    "alarm": ("switch", "binary_sensor"),
    "weight": ("sensor", "number"),
    "rfid": ("sensor", "text"),
    "photo": ("image",),
    "plate_photo": ("image",),
}


class LaneBinding(LaneRef):
    """One lane and the entities that play its parts; every part but the plate may be missing."""

    # Of the lane's reads; default: the plate entity's `direction` attribute, else the lane's name
    # if it is in or out, else in.
    direction: Direction | None = None
    plate: EntityId | None = None  # default: sensor.<gate>_<lane>_plate (our camera)
    plate_colour: EntityId | None = None  # else the plate entity's `colour` attribute
    plate_confidence: EntityId | None = None  # else its `confidence` attribute (0..1 or 0..100)
    review_below: float = Field(0.8, ge=0, le=1)  # a read less sure than this goes to the guard
    presence: EntityId | None = None  # a loop detector or light curtain: arrival and departure
    barrier: EntityId | None = None  # default: cover.<gate>_<lane>_barrier
    display: EntityId | None = None  # default: sensor.<gate>_<lane>_display
    alarm: EntityId | None = None  # default: binary_sensor.<gate>_<lane>_alarm
    weight: EntityId | None = None  # a sensor in kg; our weighbridge announces its own stable weights
    weight_scale: float = Field(1.0, gt=0)  # kg per unit of the weight entity (1000 for tonnes)
    stable: WeightStability = Field(default_factory=WeightStability)
    rfid: EntityId | None = None  # an identity reader: its value goes with each read
    # Image entities of another camera system (an MQTT image topic): the scene and the plate crop a
    # read is recorded with, if they were updated at most `photo_seconds` before it.
    photo: EntityId | None = None
    plate_photo: EntityId | None = None
    photo_seconds: float = Field(5.0, gt=0, le=60)

    @model_validator(mode="after")
    def _platforms(self) -> LaneBinding:
        for part, platforms in PART_PLATFORMS.items():
            entity_id = getattr(self, part)
            if entity_id is not None and entity_id.split(".", 1)[0] not in platforms:
                raise ValueError(f"{part}: {entity_id} is no {' or '.join(platforms)}")
        return self

    @property
    def read_direction(self) -> Direction:
        if self.direction is not None:
            return self.direction
        return Direction.OUT if self.lane == "out" else Direction.IN

    def entity(self, part: str) -> str | None:
        """The entity playing `part`: the configured one, else our own integrations' of this lane."""
        explicit = getattr(self, part)
        if explicit is not None:
            return explicit
        return DEFAULT_PARTS.get(part, "").format(key=self.key) or None


DEFAULT_PARTS = {
    "plate": "sensor.{key}_plate",
    "barrier": "cover.{key}_barrier",
    "display": "sensor.{key}_display",
    "alarm": "binary_sensor.{key}_alarm",
}


def configured_twice(lanes: Sequence[LaneRef]) -> list[str]:
    """Lane keys that a configuration list names more than once (each device belongs to one lane)."""
    keys = [lane.key for lane in lanes]
    return sorted({k for k in keys if keys.count(k) > 1})


def lanes_in_states(states: StateMachine) -> set[tuple[str, str]]:
    """(gate, lane) of every lane some device serves: entities of a lane carry both as attributes."""
    found: set[tuple[str, str]] = set()
    for state in states.all():
        gate, lane = state.attributes.get("gate"), state.attributes.get("lane")
        if isinstance(gate, str) and isinstance(lane, str):
            found.add((gate, lane))
    return found
