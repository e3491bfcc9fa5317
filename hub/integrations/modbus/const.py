"""Constants of the generic Modbus integration."""

from typing import Final

DOMAIN: Final = "modbus"
BACKOFF_FIRST: Final = 1.0  # seconds before the first reconnect; doubling up to BACKOFF_MAX
BACKOFF_MAX: Final = 30.0
# The quiet time a serial bus needs between an answer and the next request: 3.5 characters at
# 9600 baud are 4 ms; Home Assistant's default for serial buses is 30 ms, which slow RS-485 converters need.
SERIAL_MESSAGE_DELAY: Final = 0.03
