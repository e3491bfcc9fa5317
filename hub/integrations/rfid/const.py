"""Constants of the RFID integration."""

from typing import Final

DOMAIN: Final = "rfid"

# Reconnect waits double from the first to the last.
BACKOFF_FIRST: Final = 0.5
BACKOFF_MAX: Final = 30.0
# Garbage from a reader is logged once, then summed up at most this often.
GARBLE_LOG_SECONDS: Final = 60.0
# A UHF reader reports a tag in its field many times a second; the same tag again within this many
# seconds is the same vehicle, not a new read.
REPEAT_SECONDS: Final = 5.0
MAX_LINE: Final = 256  # a line reader's line; longer is garbage (a reader in the wrong mode)
