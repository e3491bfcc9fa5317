"""Service schemas of the ledger (validated by the service registry before a handler runs)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hub.core.photos import MAX_PHOTO_BYTES
from hub.core.validation import PlausibleDate, PlausibleDatetime
from hub.util.plate import checked_plate

from .const import FOLLOWUP_KINDS, MAX_PAGE_SIZE

Short = Annotated[str, Field(max_length=32)]
# Past these a page's offset or a cursor no longer fits the database's 64-bit integers.
MAX_PAGE = 1_000_000
MAX_SEQ = 2**63 - 1
FollowupKind = Literal["release", "correction", "weight", "cargo", "acceptance", "lifecycle", "emission"]
assert set(FOLLOWUP_KINDS) == set(get_args(FollowupKind))


class VehicleSnapshot(BaseModel):
    """The register's record of the vehicle as it was at the passage; other register fields are kept."""

    model_config = ConfigDict(extra="allow")

    emission_stage: str | None = Field(None, max_length=4)
    fuel: str | None = Field(None, max_length=4)
    fleet: str | None = Field(None, max_length=100)
    vehicle_type: str | None = None
    vin: str | None = None
    registered: bool | None = None


PhotoRole = Annotated[str, Field(pattern=r"^[a-z_]{1,16}$")]


class PhotoRefModel(BaseModel):
    """A photo in the hub's photo store (hub.core.photos.PhotoRef)."""

    model_config = ConfigDict(extra="forbid")

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(gt=0, le=MAX_PHOTO_BYTES)


class RecordPassage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    passage_id: str = Field(min_length=8, max_length=36)
    read_id: str | None = Field(None, max_length=64)
    gate: Short
    lane: Short
    direction: Literal["in", "out"]
    plate: str = Field("", max_length=16)  # as read; machinery may have none
    colour: str = Field("unknown", max_length=16)
    vehicle_class: Literal["transport", "in_plant", "machinery", "unknown"] = "unknown"
    vehicle: VehicleSnapshot = Field(default_factory=VehicleSnapshot)
    decision: Literal["allow", "deny", "review"]
    reason_code: Short = ""
    reason_text: str = Field("", max_length=500)
    rule: str | None = Field(None, max_length=200)
    alert_level: str | None = Field(None, max_length=16)
    confidence: float | None = Field(None, ge=0, le=1)
    needs_review: bool = False
    captured_at: datetime | None = None
    # Photos already in the hub's photo store (hub.photos), by role: what a camera's read carries.
    photos: dict[PhotoRole, PhotoRefModel] = Field(default_factory=dict)
    # Photos in hand (a guard's upload, a tool): stored by the ledger first, then named like the others.
    images: dict[PhotoRole, bytes] = Field(default_factory=dict)
    rfid: str | None = Field(None, pattern=r"^[0-9A-Z]{4,64}$")  # the lane's tag seen with the read
    video_ref: str | None = Field(None, max_length=500)
    # "manual": a guard let the vehicle through by hand (see manual.py); the lane's own are automatic.
    entry: Literal["automatic", "manual"] = "automatic"


class RecordFollowup(BaseModel):
    model_config = ConfigDict(extra="forbid")

    passage_id: str = Field(min_length=8, max_length=36)
    kind: FollowupKind
    data: dict[str, Any] = Field(default_factory=dict)
    reason: str | None = Field(None, max_length=500)


class RecordFollowups(BaseModel):
    """Follow-ups appended in this order, in one go (a lane's lifecycle steps)."""

    model_config = ConfigDict(extra="forbid")

    followups: list[RecordFollowup] = Field(min_length=1, max_length=1000)


class _Followup(BaseModel):
    model_config = ConfigDict(extra="allow")


class ReleaseData(_Followup):
    approver: str | None = Field(None, max_length=64)
    valid_minutes: int | None = Field(None, ge=1, le=24 * 60)


class CorrectionData(_Followup):
    plate: str = Field(min_length=1, max_length=16)
    colour: str | None = Field(None, max_length=16)

    @field_validator("plate")
    @classmethod
    def _plate(cls, value: str) -> str:
        return checked_plate(value)


class WeightData(_Followup):
    weight_kg: int = Field(ge=0, le=200_000)
    at: datetime | None = None
    indicator: str | None = Field(None, max_length=64)


class CargoData(_Followup):
    cargo: str = Field(min_length=1, max_length=100)  # 货物名称
    quantity: float | None = Field(None, ge=0)  # transport volume
    unit: str = Field("t", max_length=8)
    origin: str | None = Field(None, max_length=100)
    destination: str | None = Field(None, max_length=100)
    driver: str | None = Field(None, max_length=32)
    driver_phone: str | None = Field(None, max_length=20)


class AcceptanceData(_Followup):
    status: Literal["accepted", "rejected", "pending"]
    message: str | None = Field(None, max_length=500)
    platform: str | None = Field(None, max_length=64)


class LifecycleData(_Followup):
    state: Literal["arrived", "new", "decided", "opening", "passed", "closed", "denied", "interrupted"]


class EmissionData(_Followup):
    """A remote-sensing reading over its limit (尾气遥感超标), joined to the passage by `insight`."""

    reading_id: str = Field(min_length=1, max_length=64)
    exceeded: dict[str, float] = Field(min_length=1)  # measure -> value read (the limits are in `limits`)


FOLLOWUP_DATA: dict[str, type[_Followup]] = {
    "release": ReleaseData,
    "correction": CorrectionData,
    "weight": WeightData,
    "cargo": CargoData,
    "acceptance": AcceptanceData,
    "lifecycle": LifecycleData,
    "emission": EmissionData,
}
# Kinds a person must give a reason for (who released or corrected, and why).
REASON_REQUIRED = frozenset({"release", "correction"})


class Page(BaseModel):
    model_config = ConfigDict(extra="forbid")

    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(50, ge=1, le=MAX_PAGE_SIZE)
    start: PlausibleDatetime | None = None
    end: PlausibleDatetime | None = None


class PassageQuery(Page):
    passage_id: str | None = Field(None, min_length=8, max_length=36)
    plate: str | None = Field(None, max_length=16)  # exact (the corrected plate counts too)
    plate_contains: str | None = Field(None, min_length=1, max_length=16)
    gate: str | None = None
    lane: str | None = None
    direction: Literal["in", "out"] | None = None
    vehicle_class: str | None = None
    emission_stage: str | None = None
    fuel: str | None = None
    decision: Literal["allow", "deny", "review"] | None = None
    released: bool | None = None
    fleet: str | None = None
    sort: Literal["recorded_at", "-recorded_at", "plate", "-plate", "seq", "-seq"] = "-recorded_at"


class AuditQuery(Page):
    user_id: str | None = None
    username: str | None = None
    action: str | None = None  # exact, or a prefix ending in "." ("policy.")
    door: str | None = None
    outcome: str | None = None
    target: str | None = None
    sort: Literal["at", "-at", "seq", "-seq"] = "-at"


class EvidenceRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class DailyStatsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: PlausibleDate


class ReadRecords(BaseModel):
    model_config = ConfigDict(extra="forbid")

    after_seq: int = Field(0, ge=0, le=MAX_SEQ)
    limit: int = Field(100, ge=1, le=1000)


class OpenPassages(BaseModel):
    model_config = ConfigDict(extra="forbid")

    within_hours: float = Field(24, gt=0, le=24 * 31)


class RecordAudit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: str = Field(min_length=1, max_length=64)
    target: str | None = Field(None, max_length=128)
    outcome: str = Field("ok", max_length=16)
    door: str = Field("internal", max_length=16)
    detail: dict[str, Any] = Field(default_factory=dict)


class TripQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: PlausibleDatetime
    end: PlausibleDatetime
    plate: str | None = Field(None, max_length=16)
    flagged_only: bool = False
    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(50, ge=1, le=MAX_PAGE_SIZE)
