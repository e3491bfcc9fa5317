"""Context ids are ULIDs: the time they were made, then randomness, in Crockford base32."""

from __future__ import annotations

import os
import random
import time

import pytest

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


def test_seeding_the_global_random_does_not_make_ids_repeat() -> None:
    # A simulator or a test may seed `random`; ids made after the same seed still differ.
    random.seed(14)
    first = ulid_now()
    random.seed(14)
    second = ulid_now()
    assert first[10:] != second[10:]  # the random part (after the 10 characters of the millisecond)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_process_does_not_repeat_its_parents_ids() -> None:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next id, then out without running pytest's teardown
        os.write(write, ulid_now().encode())
        os._exit(0)
    os.close(write)
    mine = ulid_now()
    with os.fdopen(read) as pipe:
        child = pipe.read()
    os.waitpid(pid, 0)
    assert len(child) == 26 and child[10:] != mine[10:]
