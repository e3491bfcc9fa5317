"""开闸 by hand: a person opens a lane's barrier, says why, and the ledger keeps it.

A barrier that a guard opens lets a vehicle in that the ledger must know about, so
`policy.open_barrier` never just moves the arm:
- when the lane's vehicle is still waiting (denied, or held for review), opening for it is a special
  release of that passage (a `release` row with the reason);
- when it was let through (allowed, or released, on a two-step lane with the officer's approval) but its
  barrier did not open (the PLC did not answer), opening is that passage's opening: no second passage is
  recorded for the one truck, and no second approval asked; the person and reason are in the audit log;
- otherwise it is a manual entry (`ledger.record_manual_passage`: the person as its actor, their
  reason, the photo they took or none), committed before the arm moves like every passage.
Closing is never refused and needs no reason (`barrier.close`).
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Base64Bytes, BaseModel, ConfigDict, Field, field_validator

from hub.core import Context, ServiceValidationError
from hub.core.gate import Slug, lanes_in_states
from hub.util.images import NotAPhoto, check_photo
from hub.util.plate import checked_plate

from . import actions
from .const import DOMAIN, Phase, Verdict

if TYPE_CHECKING:
    from .manager import PolicyManager


class OpenBarrier(BaseModel):
    model_config = ConfigDict(extra="forbid")

    gate: Slug
    lane: Slug
    reason: str = Field(min_length=4, max_length=500)  # why the arm is opened by hand
    direction: Literal["in", "out"] | None = None  # the lane's latest vehicle's when not given
    plate: str = Field("", max_length=16)  # the vehicle let through, when the person can tell
    photo: Base64Bytes | None = None  # the vehicle at the gate (base64), when one was taken

    @field_validator("reason")
    @classmethod
    def _reason(cls, value: str) -> str:
        if len(value.strip()) < 4:
            raise ValueError("say why the barrier is opened by hand (请填写开闸原因)")
        return value.strip()

    @field_validator("plate")
    @classmethod
    def _plate(cls, value: str) -> str:
        return checked_plate(value) if value.strip() else ""

    @field_validator("photo")
    @classmethod
    def _photo(cls, value: bytes | None) -> bytes | None:
        if value is not None:
            try:
                check_photo("the photo", value)
            except NotAPhoto as err:
                raise ValueError(str(err)) from None
        return value


def _refuse(message: str) -> ServiceValidationError:
    return ServiceValidationError(DOMAIN, "open_barrier", [("lane", message)])


async def async_open_by_hand(
    manager: PolicyManager, d: OpenBarrier, context: Context, door: str = "internal"
) -> dict[str, Any]:
    hub = manager.hub
    if (d.gate, d.lane) not in lanes_in_states(hub.states):
        raise _refuse(f"the plant has no lane {d.gate}/{d.lane}")
    track = manager.lane(d.gate, d.lane)
    if not manager.devices.has(track, "open"):
        raise _refuse(f"lane {d.gate}/{d.lane} has no barrier")
    waiting = track.current
    if (
        waiting is not None
        and waiting.seq is not None
        and waiting.phase in (Phase.DENIED, Phase.DECIDED)  # the arm never opened for it, no vehicle since
        and waiting.seen_monotonic is not None  # an interval: the monotonic clock, never the wall's
        and hub.clock.monotonic() - waiting.seen_monotonic <= manager.config.release_open_minutes * 60
    ):
        if waiting.decision.verdict is not Verdict.ALLOW:  # refused or held
            result = await actions.async_release(
                manager, waiting.passage_id, d.reason, None, None, context, door
            )
            if result.get("requested"):  # a two-step lane: an officer decides (ui/release.py)
                return result
            return {**result, "recorded_as": "release", "plate": waiting.plate}
        if waiting.error is not None:  # let through, but its barrier failed to open
            async with track.lock:
                opened = await manager.devices.async_open(track, waiting, Context(parent_id=context.id))
            return {"seq": waiting.last_seq or waiting.seq, "passage_id": waiting.passage_id,
                    "opened": opened, "recorded_as": "opening", "plate": waiting.plate}  # fmt: skip

    entry: dict[str, Any] = {
        "gate": d.gate,
        "lane": d.lane,
        "direction": d.direction or (waiting.direction if waiting is not None else "in"),
        "plate": d.plate,
        "reason": d.reason,
    }
    if d.photo:
        entry["photo"] = base64.b64encode(d.photo).decode()
    async with track.lock:
        row = await hub.services.async_call("ledger", "record_manual_passage", entry, context)
        opened = await manager.devices.async_open_lane(track, Context(parent_id=context.id))
    return {"seq": row.get("seq"), "passage_id": row.get("passage_id"), "opened": opened,
            "recorded_as": "manual_entry", "plate": d.plate}  # fmt: skip
