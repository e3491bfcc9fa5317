"""aiohttp servers of the hub (web UI, camera push): a malformed request is the sender's fault.

aiohttp answers a request it cannot parse (a URL over 8 KiB, a broken header) with 400 and logs it as
an ERROR with a traceback, as if the hub had failed. Anyone can send such a request, so it becomes one
warning line naming the sender and the problem, without the traceback.
"""

from __future__ import annotations

import logging

from aiohttp.http_exceptions import HttpProcessingError

_SERVER_LOGGER = "aiohttp.server"


class _BadRequestsAreWarnings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, HttpProcessingError) and exc.code < 500:
            problem = str(exc.message).splitlines()[0][:200] if exc.message else type(exc).__name__
            record.msg, record.args = "%s: %s", (record.getMessage(), problem)
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info, record.exc_text = None, None
        return True


_FILTER = _BadRequestsAreWarnings()


def quiet_bad_requests() -> None:
    """Install the filter (once, however many servers start)."""
    logger = logging.getLogger(_SERVER_LOGGER)
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
