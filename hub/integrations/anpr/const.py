"""Constants of the plate-camera integration."""

from typing import Final

DOMAIN: Final = "anpr"
DEFAULT_CONFIDENCE_THRESHOLD: Final = 0.85
# Reads of the same plate on one lane closer together than this are one vehicle.
DEFAULT_MERGE_SECONDS: Final = 5.0
# Frames of one lane waiting for the recogniser; another one pushes the oldest out (the newest is read first).
FRAMES_WAITING_PER_LANE: Final = 4
