"""Service schemas of the data-quality component."""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hub.core.validation import PlausibleDate

from .const import RULES

MAX_DAYS = 92  # a quarter at most in one run
RuleName = Literal[
    "exit_before_entry", "exit_without_entry", "short_trip", "trips_per_day", "repeated_read",
    "missing_photo", "weight_missing", "volume_missing", "cargo_weight_implausible", "register_incomplete",
    "stage_date_inconsistent", "clock_skew", "stream_gap", "upload_backlog", "upload_rejected",
    "unregistered_in_plant",
]  # fmt: skip
assert list(get_args(RuleName)) == list(RULES)


class Run(BaseModel):
    """One day (`date`), or the days `start`..`end` (both included); yesterday when neither is given."""

    model_config = ConfigDict(extra="forbid")

    date: PlausibleDate | None = None
    start: PlausibleDate | None = None
    end: PlausibleDate | None = None
    rules: list[RuleName] | None = Field(None, max_length=len(RULES))

    @model_validator(mode="after")
    def _range(self) -> Run:
        if self.date is not None and (self.start or self.end):
            raise ValueError("give a date, or start and end, not both")
        if (self.start is None) != (self.end is None):
            raise ValueError("start and end go together")
        if self.start and self.end:
            if self.end < self.start:
                raise ValueError("end comes before start")
            if (self.end - self.start).days >= MAX_DAYS:
                raise ValueError(f"at most {MAX_DAYS} days in one run")
        return self


class FindingsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rule: RuleName | None = None
    severity: Literal["info", "warning", "error"] | None = None
    status: Literal["open", "acknowledged", "resolved", "all"] = "open"
    start: PlausibleDate | None = None
    end: PlausibleDate | None = None
    subject: str | None = Field(None, min_length=1, max_length=100)
    with_records: bool = False  # each finding's ledger records, briefly, beside their seqs
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(50, ge=1, le=500)


class Empty(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Acknowledge(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: int = Field(ge=1, le=2**31 - 1)
    note: str = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _note(self) -> Acknowledge:
        if not self.note.strip():
            raise ValueError("a note says why the finding is acknowledged")
        return self
