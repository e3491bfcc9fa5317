"""Constants of the demo traffic generator."""

from typing import Final

DOMAIN: Final = "traffic"
