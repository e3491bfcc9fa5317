"""The causal context that rides on every event, state change and service call."""

from __future__ import annotations

import os
import random
import time
from dataclasses import dataclass, field

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# Two characters (10 bits) at a time: a passage makes a dozen ids on its way to the barrier, and
# this is a third of the cost of 26 divmods on a big integer.
_PAIRS = [a + b for a in _CROCKFORD for b in _CROCKFORD]
_SHIFTS = range(120, -10, -10)


# The random part from a generator of our own (as Home Assistant's ulid_now uses getrandbits): an id
# names a chain of cause, it opens nothing, and os.urandom's system call was a third of an id's cost
# (bench/context_ids.py: 2.4 -> 1.5 us an id). Our own, seeded from os.urandom, so that code seeding
# the global `random` cannot make ids repeat; reseeded in a forked child, which would otherwise repeat
# its parent's ids.
_RANDOM = random.Random()
os.register_at_fork(after_in_child=_RANDOM.seed)
_random_bits = _RANDOM.getrandbits


def ulid_now() -> str:
    """A ULID: 48 bits of milliseconds then 80 random bits, Crockford base32 (sortable by time)."""
    value = (time.time_ns() // 1_000_000) << 80 | _random_bits(80)
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
