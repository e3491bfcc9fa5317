"""How fast one camera may push: a token bucket, so a short burst passes and a flood is refused early."""

from __future__ import annotations

import logging
from collections.abc import Callable

_LOGGER = logging.getLogger(__name__)


class PushAllowance:
    """`per_minute` pushes a minute on average, up to a quarter of that at once (several vehicles
    queueing at the barrier, a camera resending after a network hiccup)."""

    def __init__(self, key: str, per_minute: int, monotonic: Callable[[], float]) -> None:
        self.key = key
        self.per_second = per_minute / 60
        self.burst = max(1.0, per_minute / 4)
        self._monotonic = monotonic
        self._left = self.burst
        self._at = monotonic()
        self._refusing = False

    def async_take(self) -> float:
        """0 when the push may go on; else the seconds until the camera may push again."""
        now = self._monotonic()
        self._left = min(self.burst, self._left + max(now - self._at, 0.0) * self.per_second)
        self._at = now
        if self._left >= 1:
            self._left -= 1
            if self._refusing:
                _LOGGER.warning("Camera %s pushes at an allowed rate again", self.key)
                self._refusing = False
            return 0.0
        if not self._refusing:
            # Once per flood, not once per refused push: a flood must not flood the log as well.
            _LOGGER.warning(
                "Camera %s pushes more than %.0f times a minute; refusing", self.key, self.per_second * 60
            )
            self._refusing = True
        return (1 - self._left) / self.per_second
