"""One clear log line per bad input, throttled per peer, so a broken or hostile peer cannot fill the log."""

from __future__ import annotations

import logging
from collections.abc import Callable

from .const import BAD_INPUT_LOG_SECONDS

MAX_PEERS = 1024  # beyond this many peers with pending counts, the oldest is forgotten


class BadInputLog:
    def __init__(self, logger: logging.Logger, what: str, monotonic: Callable[[], float]) -> None:
        self._logger = logger
        self._what = what
        self._monotonic = monotonic
        self._last: dict[str, tuple[float, int]] = {}  # peer -> (logged at, suppressed since)

    def refused(self, peer: str, reason: str) -> None:
        now = self._monotonic()
        logged, suppressed = self._last.get(peer, (None, 0))
        if logged is not None and now - logged < BAD_INPUT_LOG_SECONDS:
            self._last[peer] = (logged, suppressed + 1)
            return
        more = f" ({suppressed} more refused in the last {BAD_INPUT_LOG_SECONDS:g} s)" if suppressed else ""
        self._logger.warning("%s from %s refused: %s%s", self._what, peer, reason, more)
        self._last.pop(peer, None)
        if len(self._last) >= MAX_PEERS:
            self._last.pop(next(iter(self._last)))
        self._last[peer] = (now, 0)
