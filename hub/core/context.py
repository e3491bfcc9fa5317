"""The causal context that rides on every event, state change and service call."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# Two characters (10 bits) at a time: a passage makes a dozen ids on its way to the barrier, and
# this is a third of the cost of 26 divmods on a big integer.
_PAIRS = [a + b for a in _CROCKFORD for b in _CROCKFORD]
_SHIFTS = range(120, -10, -10)


def ulid_now() -> str:
    """A ULID: 48 bits of milliseconds then 80 random bits, Crockford base32 (sortable by time)."""
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10), "big")
    return "".join([_PAIRS[value >> shift & 1023] for shift in _SHIFTS])


@dataclass(frozen=True, slots=True)
class Context:
    """Who or what caused something.

    `id` names one causal chain (a passage uses its own ULID here); `parent_id` links a chain to
    the one that started it; `user_id` is set where a person acted, None for the hub itself.
    """

    id: str = field(default_factory=ulid_now)
    parent_id: str | None = None
    user_id: str | None = None

    def child(self) -> Context:
        """A new context caused by this one, acting for the same user."""
        return Context(parent_id=self.id, user_id=self.user_id)

    def as_dict(self) -> dict[str, str | None]:
        return {"id": self.id, "parent_id": self.parent_id, "user_id": self.user_id}
