"""Service data of the register (pydantic); `class` is a Python keyword, so fields carry it as an alias."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SkipValidation,
    field_validator,
    model_validator,
)

from .const import MAX_PAGE_SIZE, MAX_RECORD_KEYS
from .fields import VehicleClass
from .problems import problem

Format = Literal["xlsx", "csv"]
MAX_RECORDS = 100_000


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Lookup(_Data):
    plate: str | None = Field(None, max_length=32)
    colour: str | None = Field(None, max_length=16)
    code: str | None = Field(None, max_length=64)
    tag: str | None = Field(None, max_length=64)  # an RFID tag (电子标签)


class Upsert(_Data):
    vclass: VehicleClass = Field(alias="class")
    record: dict[str, Any]
    photos: dict[str, bytes] = Field(default_factory=dict, max_length=8)
    # merge: fields not given keep their stored value; replace: the record is exactly what is given.
    mode: Literal["merge", "replace"] = "merge"

    @field_validator("record")
    @classmethod
    def _small(cls, value: dict[str, Any]) -> dict[str, Any]:
        if len(value) > MAX_RECORD_KEYS:
            raise ValueError(f"at most {MAX_RECORD_KEYS} fields")
        return value


class Delete(_Data):
    vclass: VehicleClass = Field(alias="class")
    key: str = Field(min_length=1, max_length=64)
    reason: str | None = Field(None, min_length=1, max_length=150)  # 删除原因, kept in the history


class _File(_Data):
    path: str | None = Field(None, max_length=1000)  # only from the hub itself (command line, automations)
    content: bytes | None = None
    filename: str | None = Field(None, max_length=200)
    format: Format | None = None
    dry_run: bool = False


class Import(_File):
    vclass: VehicleClass = Field(alias="class")
    # Each record is checked row by row off the loop (transfer.py); validating 50,000 dicts here would
    # hold up every gate decision meanwhile.
    records: SkipValidation[list[dict[str, Any]]] | None = None

    @field_validator("records", mode="before")
    @classmethod
    def _a_list(cls, value: Any) -> Any:
        if value is not None and (not isinstance(value, list) or len(value) > MAX_RECORDS):
            raise ValueError(f"a list of at most {MAX_RECORDS} records")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> Import:
        if sum(x is not None for x in (self.path, self.content, self.records)) != 1:
            raise ValueError("give exactly one of path, content or records")
        return self


class Export(_Data):
    vclass: VehicleClass = Field(alias="class")
    format: Format = "xlsx"
    path: str | None = Field(None, max_length=1000)
    labels: bool = True  # code lists as their Chinese names (国五, 柴油, 黄牌); False: the codes


class ListQuery(_Data):
    vclass: VehicleClass | None = Field(None, alias="class")
    q: str | None = Field(None, max_length=64)  # part of plate, code, VIN, fleet or owner
    fleet: str | None = Field(None, max_length=100)
    emission_stage: str | None = Field(None, max_length=8)
    fuel: str | None = Field(None, max_length=8)
    whitelist: Literal["safety", "livelihood"] | None = None
    blacklisted: bool | None = None
    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=MAX_PAGE_SIZE)


class Get(_Data):
    vclass: VehicleClass | None = Field(None, alias="class")
    key: str = Field(min_length=1, max_length=64)


class Records(_Data):
    vclass: VehicleClass | None = Field(None, alias="class")
    changed_since_ts: int | None = None


class Changes(_Data):
    """Past `after_id`; or, for a reader that kept a timestamp, from the first change at `since_ts`."""

    after_id: int = Field(0, ge=0, le=2**63 - 1)
    since_ts: int | None = Field(None, ge=0, le=2**42)
    limit: int = Field(200, ge=1, le=1000)


class History(_Data):
    vclass: Literal["transport", "in_plant", "machinery", "blacklist", "pass", "review"] | None = Field(
        None, alias="class"
    )
    key: str | None = Field(None, max_length=64)
    since_ts: int | None = None
    until_ts: int | None = None
    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=MAX_PAGE_SIZE)


def _reason(value: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise ValueError(problem("reason_required"))
    return value


Reason = Annotated[str, Field(max_length=200), AfterValidator(_reason)]


class BlacklistAdd(_Data):
    plate: str = Field(min_length=1, max_length=32)
    colour: str | None = Field(None, max_length=16)
    reason: Reason
    source: str = Field("manual", min_length=1, max_length=32)
    valid_until: datetime | None = None


class BlacklistRemove(_Data):
    plate: str = Field(min_length=1, max_length=32)


class BlacklistImport(_File):
    source: str = Field("platform", min_length=1, max_length=32)
    replace: bool = True  # the platform's list is the whole list: its plates missing now are taken off

    @model_validator(mode="after")
    def _one_source(self) -> BlacklistImport:
        if (self.path is None) == (self.content is None):
            raise ValueError("give exactly one of path or content")
        return self


class PassAdd(_Data):
    plate: str = Field(min_length=1, max_length=32)
    colour: str | None = Field(None, max_length=16)
    valid_from: datetime | None = None
    valid_until: datetime
    reason: Reason
    approver: str | None = Field(None, max_length=64)


class PassRemove(_Data):
    id: int | None = None
    plate: str | None = Field(None, max_length=32)

    @model_validator(mode="after")
    def _one(self) -> PassRemove:
        if (self.id is None) == (self.plate is None):
            raise ValueError("give exactly one of id or plate")
        return self


class Lists(_Data):
    kind: Literal["blacklist", "pass", "review"] | None = None
    plate: str | None = Field(None, max_length=32)
    active_only: bool = True


class Fields(_Data):
    pass


class Photo(_Data):
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class EmissionQr(_Data):
    """The 随车清单 QR code as a scanner typed it, or a photo of it (base64, a data: URI is fine)."""

    text: str | None = Field(None, max_length=4096)
    photo: str | None = Field(None, max_length=14 * 1024 * 1024)  # 10 MiB of JPEG as base64
    vclass: VehicleClass | None = Field(None, alias="class")  # given: `record` holds that class's fields

    @model_validator(mode="after")
    def _one(self) -> EmissionQr:
        if (self.text is None) == (self.photo is None):
            raise ValueError("give the code's text or a photo of it (one of them)")
        return self
