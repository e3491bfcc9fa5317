"""Gates and lanes: the plant's words for where a passage happens, shared by every part of the hub."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from .state import StateMachine

# Gate and lane names become parts of entity ids and OPC UA node ids: lower-case ASCII.
Slug = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")]


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
