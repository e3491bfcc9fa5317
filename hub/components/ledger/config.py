"""The `ledger:` section of configuration.yaml."""

from __future__ import annotations

import logging

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .audit import DEFAULT_ROUTINE

_LOGGER = logging.getLogger(__name__)


class LedgerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # HJ 1321 practice: the ledger with photos at least 24 months, gate video at least 12.
    retention_months: int = Field(24, ge=24, le=600)
    video_retention_months: int = Field(12, ge=12, le=600)
    retention_hour: int = Field(3, ge=0, le=23)  # the daily pruning runs at this hour, plant time
    trip_open_hours: float = Field(12, gt=0, le=24 * 31)  # an entry without exit after this is flagged
    weight_join_seconds: float | None = None  # moved to policy.weight_join_seconds: read, ignored, warned
    backup_dir: str = "backups"  # relative to the data directory unless absolute
    backup_keep: int = Field(7, ge=1, le=1000)  # the newest backups kept in backup_dir; older are deleted
    # Services the hub calls by itself on every passage, not audited unless a person calls them.
    audit_routine_services: list[str] = Field(default_factory=lambda: list(DEFAULT_ROUTINE))
    # Room kept on the data disk for the ledger's own rows: below it the disk-low alarm is on and
    # exports, backups and reports to disk are refused. The larger of the two counts.
    disk_reserve_mib: float = Field(512, ge=0)
    disk_reserve_percent: float | None = Field(None, ge=0, le=50)
    disk_full_mib: float = Field(32, ge=0)  # below this the disk-full alarm is on
    disk_check_seconds: float = Field(5.0, ge=0.05, le=600)
    spool_limit: int = Field(10_000, ge=1, le=1_000_000)  # audit rows kept while they cannot be written

    @field_validator("weight_join_seconds")
    @classmethod
    def _moved(cls, value: float | None) -> float | None:
        if value is not None:  # a configuration written before the policy joined weights still loads
            _LOGGER.warning("ledger.weight_join_seconds is ignored: set policy.weight_join_seconds instead")
        return value
