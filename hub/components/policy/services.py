"""Services of the policy: set_alert_level, release, correct_plate, confirm_read."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from hub.core import ServiceCall, ServiceValidationError
from hub.core.auth import Role
from hub.core.validation import PlausibleDatetime
from hub.util.plate import PlateColour, checked_plate

from . import actions
from .alert import normalise_response
from .const import DOMAIN, AlertLevel
from .manager import PolicyManager
from .manual_open import OpenBarrier, async_open_by_hand

PassageId = Annotated[str, Field(min_length=8, max_length=36)]
Reason = Annotated[str, Field(min_length=1, max_length=500)]
CONFIRM_REASON = "人工确认车牌 read confirmed by the guard"


def _reason(value: str) -> str:
    if not value.strip():
        raise ValueError("a reason is required (请填写原因)")
    return value.strip()


class SetAlertLevel(BaseModel):
    """An officer's switch, or the platform's control measure (alert, response level, start, end, measure)."""

    model_config = ConfigDict(extra="forbid")

    level: AlertLevel | None = None
    response_level: str | None = Field(None, max_length=8)  # I/II/III (Ⅰ-Ⅲ级); gives the level if none
    measure_code: int | None = Field(None, ge=1, le=99)  # platform control measure (1-4 shipped)
    measure: str | None = Field(None, max_length=500)  # the measure's text as the platform sent it
    start: PlausibleDatetime | None = None  # later than now: scheduled
    end: PlausibleDatetime | None = None  # the level falls back to normal then
    reason: str | None = Field(None, max_length=500)
    source: str = Field("officer", pattern=r"^[a-z_]{1,32}$")  # officer, platform, ...

    @field_validator("response_level")
    @classmethod
    def _response(cls, value: str | None) -> str | None:
        return normalise_response(value)

    @model_validator(mode="after")
    def _something(self) -> SetAlertLevel:
        if (
            self.level is None
            and self.response_level is None
            and self.measure_code is None
            and not self.measure
        ):
            raise ValueError("give a level, a response level or a control measure")
        return self


class NoData(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Release(BaseModel):
    model_config = ConfigDict(extra="forbid")

    passage_id: PassageId
    reason: Reason
    approver: str | None = Field(None, max_length=64)  # 审批人
    valid_minutes: int | None = Field(None, ge=1, le=24 * 60)

    _reason = field_validator("reason")(classmethod(lambda cls, v: _reason(v)))


class CorrectPlate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    passage_id: PassageId
    plate: str = Field(min_length=1, max_length=16)
    colour: PlateColour | None = None
    reason: Reason

    _plate = field_validator("plate")(classmethod(lambda cls, v: checked_plate(v)))
    _reason = field_validator("reason")(classmethod(lambda cls, v: _reason(v)))


class ConfirmRead(BaseModel):
    """The guard confirms a doubtful read (optionally with the right plate): the passage is decided again."""

    model_config = ConfigDict(extra="forbid")

    passage_id: PassageId | None = None
    read_id: str | None = Field(None, max_length=64)
    plate: str | None = Field(None, max_length=16)
    colour: PlateColour | None = None
    reason: str | None = Field(None, max_length=500)

    @field_validator("plate")
    @classmethod
    def _plate(cls, value: str | None) -> str | None:
        return checked_plate(value) if value else None

    @model_validator(mode="after")
    def _which(self) -> ConfirmRead:
        if not self.passage_id and not self.read_id:
            raise ValueError("give the passage_id or the read_id")
        return self


def register(hub: Any, manager: PolicyManager) -> None:
    async def set_alert_level(call: ServiceCall) -> dict[str, Any]:
        d: SetAlertLevel = call.data
        if call.context.user_id is not None and d.source != "officer":
            # Where a switch came from is the hub's to say: a person cannot label theirs "platform".
            raise ServiceValidationError(
                DOMAIN, "set_alert_level", [("source", "a person's switch is recorded as officer")]
            )
        new = actions.build_alert(
            manager, level=d.level.value if d.level else None, response_level=d.response_level,
            measure_code=d.measure_code, measure=d.measure, start=d.start, end=d.end, source=d.source,
            reason=d.reason, user_id=call.context.user_id,
        )  # fmt: skip
        return actions.apply_alert(manager, new, call.context)

    async def open_barrier(call: ServiceCall) -> dict[str, Any]:
        return await async_open_by_hand(manager, call.data, call.context, call.door)

    async def cancel_scheduled_alert(call: ServiceCall) -> dict[str, Any]:
        return actions.cancel_scheduled_alert(manager, call.context)

    async def release(call: ServiceCall) -> dict[str, Any]:
        d: Release = call.data
        return await actions.async_release(
            manager, d.passage_id, d.reason, d.approver, d.valid_minutes, call.context, call.door
        )

    async def correct_plate(call: ServiceCall) -> dict[str, Any]:
        d: CorrectPlate = call.data
        colour = d.colour.value if d.colour else None
        return await actions.async_redecide(
            manager, "correct_plate", d.passage_id, d.plate, colour, d.reason, call.context
        )

    async def confirm_read(call: ServiceCall) -> dict[str, Any]:
        d: ConfirmRead = call.data
        passage_id = d.passage_id
        if passage_id is None:
            passage = manager.passages.by_read(d.read_id or "")
            if passage is None:
                raise ServiceValidationError(
                    DOMAIN, "confirm_read", [("read_id", f"no passage for read {d.read_id}")]
                )
            passage_id = passage.passage_id
        colour = d.colour.value if d.colour else None
        reason = (d.reason or "").strip() or CONFIRM_REASON
        return await actions.async_redecide(
            manager, "confirm_read", passage_id, d.plate, colour, reason, call.context
        )

    reg = hub.services.async_register
    # fmt: off
    guards, officers = {Role.GUARD, Role.OFFICER}, {Role.OFFICER}
    reg(DOMAIN, "set_alert_level", set_alert_level, SetAlertLevel, roles=officers,
        description="切换预警等级 switch the heavy-pollution alert level (or apply a control measure)")
    reg(DOMAIN, "open_barrier", open_barrier, OpenBarrier, roles=guards,
        description="人工开闸 open a lane's barrier by hand, with a reason; recorded in the ledger")
    reg(DOMAIN, "cancel_scheduled_alert", cancel_scheduled_alert, NoData, roles=officers,
        description="取消计划预警 cancel the alert scheduled to start later")
    reg(DOMAIN, "release", release, Release, roles=guards,
        description="特批放行 special release of a passage, with reason and approver")
    reg(DOMAIN, "correct_plate", correct_plate, CorrectPlate, roles={Role.GUARD},
        description="人工校正车牌 correct a misread plate; the passage is decided again")
    reg(DOMAIN, "confirm_read", confirm_read, ConfirmRead, roles={Role.GUARD},
        description="确认车牌 confirm a doubtful read; the passage is decided again")
    # fmt: on
