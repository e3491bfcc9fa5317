"""Constants of the weighbridge integration."""

from typing import Final

DOMAIN: Final = "weighbridge"

# Reconnect waits double from the first to the last.
BACKOFF_FIRST: Final = 0.5
BACKOFF_MAX: Final = 30.0
# The weight sensor is written at most this often while the weight moves (indicators send 10-50 a
# second; the bus and every publisher need not see each one). Steadiness changes go out at once.
PUBLISH_SECONDS: Final = 0.5
# Garbled frames are logged once, then summed up at most this often.
GARBLE_LOG_SECONDS: Final = 60.0
