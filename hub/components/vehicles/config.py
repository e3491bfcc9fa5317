"""The `vehicles:` section of configuration.yaml."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class VehiclesConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # GB 16735 VINs carry a check digit; a plant with imported vehicles whose VINs lack it may turn this off.
    vin_check_digit: bool = True
    # The spec asks for 随车清单 or 行驶证 (machinery: engine nameplate) with each record; off by default so
    # that a register can be imported from Excel first and the photos added later (lookups show
    # `documents_complete`).
    require_documents: bool = False
    # Code lists the spec leaves open: names a plant adds to the built-in vehicle and machine types.
    extra_vehicle_types: list[str] = Field(default_factory=list)
    extra_machine_types: list[str] = Field(default_factory=list)
    max_import_rows: int = Field(100_000, ge=1, le=1_000_000)
    # An imported file is read in a worker process that may use at most this much memory (address space);
    # a file that needs more is refused, the hub itself is not touched. 100,000 rows need ~450 MiB (.xlsx).
    import_memory_mb: int = Field(1024, ge=256, le=65_536)
    # No longer used: the `ecogate vehicles` command goes through the running hub. Accepted (and
    # ignored) so that a configuration written for an earlier release still loads.
    sync_seconds: float | None = Field(None, gt=0, le=3600, deprecated="no longer used")
