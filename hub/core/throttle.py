"""Failed sign-ins slow the guesser down without locking the owner out.

Failures are counted per (user name, client address) and per client address. After a few free
failures each further attempt must wait twice as long as the one before, up to a ceiling. A name is
never refused as such: the real guard signs in from the control room while someone guesses his name
from elsewhere, and an attacker cannot keep an account shut by renewing a lock. One address that
tries many names (a spray) is slowed as a whole, with a lower ceiling, so colleagues behind a shared
NAT address are delayed a little, not shut out.

An administrator lifts the delays of a name with the `auth.unlock` service, or with
`ecogate user unlock NAME` from another process: that command leaves a request in the data
directory, which the running hub reads when it is about to refuse an attempt.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from hub.util.files import write_atomic

UNLOCK_FILE = "login_unlocks.json"
FIRST_DELAY = 1.0  # seconds, after the free failures; doubles with each further failure
ADDRESS_FREE_FACTOR = 4  # an address may fail this many times more often than one name from it
ADDRESS_LONGEST_DELAY = 30.0  # a shared NAT address is delayed, never shut
MAX_ENTRIES = 10_000  # memory stays bounded under a spray of random names


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
        self._unlock_file: Path | None = None
        self._unlock_mtime = 0
        self._unlocks_since = time.time()  # requests older than the hub were for an earlier run
        self._unlocks_seen: dict[str, float] = {}

    def configure(self, free_failures: int, longest_delay: float, data_dir: Path | None = None) -> None:
        self.free_failures, self.longest_delay = free_failures, longest_delay
        if data_dir is not None:
            self._unlock_file = data_dir / UNLOCK_FILE

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
        for table, key in ((self._pairs, _pair(username, address)), (self._addresses, address)):
            entry = table.get(key)
            if entry is None or now - entry.last > self._memory:
                table[key] = _Failures(1, now)  # type: ignore[index]
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

    def unlock_requested(self) -> bool:
        """Apply `ecogate user unlock` requests written since the last look; blocking (a small file).
        True if any delay was lifted."""
        if self._unlock_file is None:
            return False
        try:
            mtime = os.stat(self._unlock_file).st_mtime_ns
            if mtime == self._unlock_mtime:
                return False
            requests = json.loads(self._unlock_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        self._unlock_mtime = mtime
        lifted = 0
        for name, at in requests.items() if isinstance(requests, dict) else ():
            if isinstance(at, int | float) and at > self._unlocks_seen.get(name, self._unlocks_since):
                self._unlocks_seen[name] = at
                lifted += self.unlock(str(name))
        return lifted > 0

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
        for table in (self._pairs, self._addresses):
            for key in [k for k, v in table.items() if now - v.last > self._memory]:
                del table[key]  # type: ignore[arg-type]
            if len(table) > MAX_ENTRIES:  # all recent: keep the most recent half
                keep = sorted(table.items(), key=lambda kv: kv[1].last)[len(table) // 2 :]
                table.clear()
                table.update(keep)  # type: ignore[arg-type]


def request_unlock(data_dir: Path, username: str) -> None:
    """For `ecogate user unlock`: ask the running hub to lift a name's delays; blocking.

    Stamped with the wall clock, as the hub reads it: both processes share the machine's clock."""
    path = data_dir / UNLOCK_FILE
    try:
        requests = json.loads(path.read_text(encoding="utf-8"))
        requests = requests if isinstance(requests, dict) else {}
    except (OSError, ValueError):
        requests = {}
    requests[username.lower()] = time.time()
    write_atomic(path, json.dumps(requests).encode("utf-8"))


def _pair(username: str, address: str) -> tuple[str, str]:
    return (username.lower(), address)
