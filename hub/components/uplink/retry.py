"""Waiting after a failure, without waiting longer than needed.

When the platform cannot be reached the link backs off exponentially with jitter, capped low while
records wait (a plant's backlog must go out within seconds of the platform's return, not minutes), and
between attempts it only probes the platform's port: a refused or silent connection costs a SYN, not a
mapped batch. A stream whose step fails for a reason of its own (a bug, a record the platform will not
confirm) backs off with a Backoff of its own (stream.py), so that it fails alone and the others go on.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from urllib.parse import urlsplit

PROBE_TIMEOUT_S = 3.0  # a platform that does not accept a connection within this is not back


class Backoff:
    """Exponential, capped, with jitter (half fixed, half random) so that many plants do not retry in step."""

    def __init__(self, initial: float, maximum: float) -> None:
        self.initial, self.maximum, self.failures = initial, maximum, 0

    def next(self, cap: float | None = None) -> float:
        limit = self.maximum if cap is None else min(cap, self.maximum)
        grown = min(limit, self.initial * (2 ** min(self.failures, 32)))
        self.failures += 1
        return grown / 2 + random.uniform(0, grown / 2)

    def reset(self) -> None:
        self.failures = 0


async def async_reachable(url: str, timeout: float) -> bool:
    """Whether the platform's host accepts a TCP connection (nothing is sent)."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        _, writer = await asyncio.wait_for(
            asyncio.open_connection(parts.hostname or "127.0.0.1", port), min(timeout, PROBE_TIMEOUT_S)
        )
    except (OSError, TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True
