"""A manual entry: a vehicle a guard let through by hand, recorded as exactly that.

It is a passage row (it counts, queries, reports and uploads as one, since the vehicle did pass), but
labelled so that nobody can take it for the lane's own work: reason code `manual_entry`, `entry:
manual` in its detail, the guard as its actor, the guard's reason as its text and the guard's photo as
its evidence. The photo may be missing (a barrier opened by hand in a hurry, `policy.open_barrier`):
the entry is recorded all the same, and the data-quality rules list it as a passage without a photo.
Only a lane that exists may have one; the lane's own passages come from the policy alone
(`ledger.record_passage` is the hub's own service, no person may call it).
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import Base64Bytes, BaseModel, ConfigDict, Field, field_validator

from hub.core import Hub, ServiceCall, ServiceValidationError
from hub.core.gate import Slug, lanes_in_states
from hub.util.images import NotAPhoto, check_photo
from hub.util.plate import checked_plate

from .const import DOMAIN, MAX_IMAGE_BYTES
from .recorder import Ledger
from .schemas import RecordPassage

REASON_CODE = "manual_entry"


class ManualPassage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    gate: Slug
    lane: Slug
    direction: Literal["in", "out"]
    plate: str = Field("", max_length=16)  # empty for machinery without a plate
    colour: str = Field("unknown", max_length=16)
    vehicle_class: Literal["transport", "in_plant", "machinery", "unknown"] = "unknown"
    reason: str = Field(min_length=4, max_length=500)  # why the guard let it through by hand
    photo: Base64Bytes | None = None  # the vehicle at the gate, as base64 (JSON carries no bytes)

    @field_validator("plate")
    @classmethod
    def _plate(cls, value: str) -> str:
        return checked_plate(value) if value.strip() else ""

    @field_validator("reason")
    @classmethod
    def _reason(cls, value: str) -> str:
        if len(value.strip()) < 4:
            raise ValueError("say why the vehicle was let through by hand")
        return value.strip()

    @field_validator("photo")
    @classmethod
    def _photo(cls, value: bytes | None) -> bytes | None:
        if value is None:
            return None
        if len(value) > MAX_IMAGE_BYTES:
            raise ValueError(f"a photo of at most {MAX_IMAGE_BYTES // 1024 // 1024} MiB is expected")
        try:
            check_photo("the photo", value)
        except NotAPhoto as err:
            raise ValueError(str(err)) from None
        return value


async def async_record_manual(hub: Hub, ledger: Ledger, call: ServiceCall) -> dict[str, Any]:
    data: ManualPassage = call.data
    if (data.gate, data.lane) not in lanes_in_states(hub.states):
        raise ServiceValidationError(
            DOMAIN, "record_manual_passage", [("lane", f"the plant has no lane {data.gate}/{data.lane}")]
        )
    try:  # into the hub's photo store first; the row names it
        photos = await hub.photos.async_put({"scene": data.photo} if data.photo else {})
    except ValueError as err:
        raise ServiceValidationError(DOMAIN, "record_manual_passage", [("photo", str(err))]) from None
    passage = RecordPassage(
        passage_id=str(uuid.uuid4()),
        gate=data.gate,
        lane=data.lane,
        direction=data.direction,
        plate=data.plate,
        colour=data.colour,
        vehicle_class=data.vehicle_class,
        decision="allow",
        reason_code=REASON_CODE,
        reason_text=data.reason,
        needs_review=True,  # an officer looks at every manual entry
        entry="manual",
        photos=photos,
    )
    return await ledger.async_record_passage(passage, call.context)
