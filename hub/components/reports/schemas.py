"""Service schemas of the reports (validated by the service registry before a handler runs)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hub.core.validation import PlausibleDate, PlausibleDatetime

from .period import MAX_DAYS, PeriodKind

Short = Field(None, max_length=32)
ExportKind = Literal[
    "statistics", "passages", "daily", "clean_transport", "alerts", "carriers", "transport", "in_plant",
    "machinery", "evidence_pack", "air_quality",
]  # fmt: skip


def forward_range(start: date, end: date) -> None:
    """A range of days runs forwards and is at most MAX_DAYS long (ValueError otherwise)."""
    if end < start:
        raise ValueError("`end` is before `start`")
    if (end - start).days >= MAX_DAYS:
        raise ValueError(f"at most {MAX_DAYS} days")


class PeriodRequest(BaseModel):
    """A day, week, month, quarter or year holding `date` (default today), or `start`..`end` (custom)."""

    model_config = ConfigDict(extra="forbid")

    period: PeriodKind = "day"
    date: PlausibleDate | None = None
    start: PlausibleDate | None = None
    end: PlausibleDate | None = None

    @model_validator(mode="after")
    def _custom(self) -> PeriodRequest:
        if self.period == "custom":
            if self.start is None or self.end is None:
                raise ValueError("a custom period needs start and end")
            forward_range(self.start, self.end)
        return self


class StatisticsRequest(PeriodRequest):
    gate: str | None = Short
    lane: str | None = Short


class CleanTransportRequest(PeriodRequest):
    with_passages: bool = False  # the passages behind each road figure


class CarrierRequest(PeriodRequest):
    period: PeriodKind = "month"
    fleet: str | None = Field(None, max_length=100)


class TonnageEntry(BaseModel):
    """Other modes' tonnage of a period, entered by the officer with its source (audited)."""

    model_config = ConfigDict(extra="forbid")

    mode: Literal["rail", "waterway", "pipeline", "belt"]
    direction: Literal["in", "out"]
    start: PlausibleDate
    end: PlausibleDate
    tonnes: float = Field(ge=0, le=1e9, strict=True)  # a number, never true/false or text
    cargo: str | None = Field(None, max_length=100)
    source: str = Field(min_length=1, max_length=500)  # 数据来源: waybills, ERP export, ...
    replaces: int | None = Field(None, ge=1, le=2**31 - 1)

    @model_validator(mode="after")
    def _range(self) -> TonnageEntry:
        forward_range(self.start, self.end)
        if not self.source.strip():
            raise ValueError("a source is required (请填写数据来源)")
        return self


class TonnageImport(BaseModel):
    """An .xlsx or .csv of tonnage entries (columns 方式/mode, 方向/direction, 开始日期, 结束日期, 吨数,
    货物, 来源), with one source note for the file."""

    model_config = ConfigDict(extra="forbid")

    filename: str = Field(min_length=1, max_length=200, pattern=r"^[^/\\\x00]+\.(xlsx|csv)$")
    content: bytes = Field(max_length=8 * 1024 * 1024)
    source: str = Field(min_length=1, max_length=500)
    dry_run: bool = False


class TonnageList(PeriodRequest):
    period: PeriodKind = "month"


class ExportRequest(PeriodRequest):
    kind: ExportKind = "passages"
    format: Literal["xlsx", "csv"] = "xlsx"
    encoding: Literal["utf-8", "gbk"] = "utf-8"  # CSV only: UTF-8 with BOM, or GBK for old software
    gate: str | None = Short
    lane: str | None = Short


class FilesRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str | None = Field(None, max_length=32)
    limit: int = Field(100, ge=1, le=1000)


class FileRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, pattern=r"^[^/\\\x00]+$")


MAX_EXPORT_DAYS = 366


class ExportChain(BaseModel):
    """Ledger rows recorded in [start, end) with the offline verifier (hub/components/reports/verifier.py)."""

    model_config = ConfigDict(extra="forbid")

    start: PlausibleDatetime
    end: PlausibleDatetime

    @model_validator(mode="after")
    def _span(self) -> ExportChain:
        if (self.start.tzinfo is None) != (self.end.tzinfo is None):
            raise ValueError("give both times with a time zone, or both without")
        if self.end <= self.start:
            raise ValueError("end comes after start")
        if (self.end - self.start).days > MAX_EXPORT_DAYS:
            raise ValueError(f"at most {MAX_EXPORT_DAYS} days in one export")
        return self
