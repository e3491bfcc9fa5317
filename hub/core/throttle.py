"""Failed sign-ins slow the guesser down without locking the owner out.

Failures are counted per (user name, client address) and per client address. After a few free
failures each further attempt must wait twice as long as the one before, up to a ceiling. A name is
never refused as such: the real guard signs in from the control room while someone guesses his name
from elsewhere, and an attacker cannot keep an account shut by renewing a lock. One address that
tries many names (a spray) is slowed as a whole, with a lower ceiling, so colleagues behind a shared
NAT address are delayed a little, not shut out.

An administrator lifts the delays of a name with the `auth.unlock` service (users.py), which
`ecogate user unlock NAME` calls through the running hub.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

FIRST_DELAY = 1.0  # seconds, after the free failures; doubles with each further failure
ADDRESS_FREE_FACTOR = 4  # an address may fail this many times more often than one name from it
ADDRESS_LONGEST_DELAY = 30.0  # a shared NAT address is delayed, never shut
MAX_ENTRIES = 10_000  # memory stays bounded under a spray of random names

_KeyT = TypeVar("_KeyT")


@dataclass(slots=True)
class _Failures:
    count: int
    last: float


class LoginThrottle:
    """Counts failed sign-ins and says how long the next attempt must wait; in memory, one per hub."""

    def __init__(self, free_failures: int = 5, longest_delay: float = 300.0) -> None:
        self.free_failures = free_failures
        self.longest_delay = longest_delay
        self._pairs: dict[tuple[str, str], _Failures] = {}
        self._addresses: dict[str, _Failures] = {}

    def configure(self, free_failures: int, longest_delay: float) -> None:
        self.free_failures, self.longest_delay = free_failures, longest_delay

    def retry_after(self, username: str, address: str, now: float) -> float:
        """Seconds until an attempt for this name from this address is heard; 0 if it is heard now."""
        pair_entry = self._pairs.get(_pair(username, address))
        pair = self._wait(pair_entry, self.free_failures, self.longest_delay, now)
        spray = self._wait(
            self._addresses.get(address), self.free_failures * ADDRESS_FREE_FACTOR,
            min(ADDRESS_LONGEST_DELAY, self.longest_delay), now,
        )  # fmt: skip
        return max(pair, spray)

    def failed(self, username: str, address: str, now: float) -> None:
        if len(self._pairs) > MAX_ENTRIES or len(self._addresses) > MAX_ENTRIES:
            self._forget(now)
        self._count(self._pairs, _pair(username, address), now)
        self._count(self._addresses, address, now)

    def _count(self, table: dict[Any, _Failures], key: Any, now: float) -> None:
        entry = table.get(key)
        if entry is None or now - entry.last > self._memory:
            table[key] = _Failures(1, now)
        else:
            entry.count, entry.last = entry.count + 1, now

    def succeeded(self, username: str, address: str) -> None:
        """The right password: this name from this address starts afresh (the address's count stays,
        or one known password would reset a spray)."""
        self._pairs.pop(_pair(username, address), None)

    def unlock(self, username: str | None = None, address: str | None = None) -> int:
        """An administrator lifts the delays of a name, of an address, or both; returns how many went."""
        name = username.lower() if username else None
        gone = [
            k for k in self._pairs if (name is None or k[0] == name) and (address is None or k[1] == address)
        ]
        for key in gone:
            del self._pairs[key]
        if address is not None and self._addresses.pop(address, None) is not None:
            gone.append(("", address))
        return len(gone)

    @property
    def _memory(self) -> float:
        """How long a failure counts: past this quiet time a name starts afresh."""
        return max(2 * self.longest_delay, 900.0)

    def _wait(self, entry: _Failures | None, free: int, longest: float, now: float) -> float:
        if entry is None or entry.count < free or now - entry.last > self._memory:
            return 0.0
        delay = min(longest, FIRST_DELAY * 2.0 ** min(entry.count - free, 30))
        return max(0.0, entry.last + delay - now)

    def _forget(self, now: float) -> None:
        _forget_in(self._pairs, now - self._memory)
        _forget_in(self._addresses, now - self._memory)


def _forget_in(table: dict[_KeyT, _Failures], before: float) -> None:
    for key in [k for k, v in table.items() if v.last < before]:
        del table[key]
    if len(table) > MAX_ENTRIES:  # all recent: keep the most recent half
        keep = sorted(table.items(), key=lambda kv: kv[1].last)[len(table) // 2 :]
        table.clear()
        table.update(keep)


def _pair(username: str, address: str) -> tuple[str, str]:
    return (username.lower(), address)
