"""Context ids are ULIDs: the time they were made, then randomness, in Crockford base32."""

from __future__ import annotations

import time

from hub.core import Context
from hub.core.context import ulid_now

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _decode(ulid: str) -> int:
    value = 0
    for char in ulid:
        value = value * 32 + CROCKFORD.index(char)
    return value


def test_an_id_carries_the_millisecond_it_was_made_and_sorts_by_time() -> None:
    before = time.time_ns() // 1_000_000
    first = ulid_now()
    after = time.time_ns() // 1_000_000
    assert len(first) == 26 and set(first) <= set(CROCKFORD)
    assert before <= _decode(first) >> 80 <= after
    ids = [Context().id for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    made = [_decode(i) >> 80 for i in ids]
    assert made == sorted(made)  # the time part sorts; ids of one millisecond differ in their random part
    # Every character position is used, the first one only up to 7 (128 bits in 26 characters).
    assert {i[0] for i in ids} <= set("01234567")
    assert len({i[-1] for i in ids}) > 16
