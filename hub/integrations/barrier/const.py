"""Constants of the barrier integration: names, timings, positions."""

from enum import StrEnum
from typing import Final

DOMAIN: Final = "barrier"

DEFAULT_PORT: Final = 502
DEFAULT_SCAN_SECONDS: Final = 0.25  # a barrier arm moves in 2-6 s; a quarter second shows its travel
DEFAULT_TIMEOUT: Final = 1.0
DEFAULT_DISPLAY_SECONDS: Final = 30.0
MAX_ALARM_SECONDS: Final = 600.0


class Position(StrEnum):
    """What the PLC's inputs say about the arm (the cover's state)."""

    OPENING = "opening"
    OPEN = "open"
    CLOSING = "closing"
    CLOSED = "closed"
    FAULT = "fault"
