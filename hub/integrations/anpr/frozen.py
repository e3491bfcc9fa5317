"""A camera that sends the same frame again and again: read it once, and call the camera frozen.

A hung encoder or a stuck camera keeps delivering its last picture. Every repeat of the previous frame is
left unread (it is not a new vehicle); when the same frame has come for `frozen_after` seconds, the
camera's problem sensor turns on for the operator, and it clears as soon as a different frame comes.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from datetime import datetime

from .binary_sensor import CameraFrozen

_LOGGER = logging.getLogger(__name__)


def frame_digest(images: Mapping[str, bytes]) -> bytes:
    digest = hashlib.sha256()
    for kind in sorted(images):
        digest.update(f"{kind}:{len(images[kind])}:".encode())
        digest.update(images[kind])
    return digest.digest()


class RepeatedFrames:
    def __init__(
        self,
        key: str,
        frozen: CameraFrozen,
        frozen_after: float,
        monotonic: Callable[[], float],
        now: Callable[[], datetime],
    ) -> None:
        self.key = key
        self.frozen = frozen
        self.frozen_after = frozen_after  # 0: repeats are still left unread, but no alarm
        self._monotonic = monotonic
        self._now = now
        self._digest: bytes | None = None
        self._since = 0.0
        self._first_seen: datetime | None = None
        self._repeats = 0

    def async_is_repeat(self, images: Mapping[str, bytes]) -> bool:
        """True when these are the very bytes of the previous frame (nothing new to read)."""
        if not images:
            return False
        digest = frame_digest(images)
        if digest != self._digest:
            if self.frozen.since is not None:
                _LOGGER.warning("Camera %s sends new frames again after %d repeats", self.key, self._repeats)
            self._digest, self._since, self._first_seen, self._repeats = (
                digest,
                self._monotonic(),
                self._now(),
                0,
            )
            self.frozen.async_set_frozen(None)
            return False
        self._repeats += 1
        if self.frozen_after > 0 and self._monotonic() - self._since >= self.frozen_after:
            if self.frozen.since is None:
                _LOGGER.warning(
                    "Camera %s has sent the same frame for %.0f s: frozen",
                    self.key,
                    self._monotonic() - self._since,
                )
            self.frozen.async_set_frozen(self._first_seen)
        return True
