"""Value types every door shares, so that what one door refuses no other door lets in.

A date from outside (an alert period, a report's range, a platform's control measure) must lie in a
range a plant can mean: year 1 or 9999 with an extreme UTC offset passes Python's parser but overflows
the first arithmetic done on it (a platform mapping, a time-zone conversion), and such a value must never
reach the ledger, the uplink or a report.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator

EARLIEST_YEAR = 2000  # no plant's ledger holds anything older
LATEST_YEAR = 2099


def _plausible_datetime(value: datetime) -> datetime:
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"a date between {EARLIEST_YEAR} and {LATEST_YEAR} is expected")
    return value


def _plausible_date(value: date) -> date:
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"a date between {EARLIEST_YEAR} and {LATEST_YEAR} is expected")
    return value


PlausibleDatetime = Annotated[datetime, AfterValidator(_plausible_datetime)]
PlausibleDate = Annotated[date, AfterValidator(_plausible_date)]
