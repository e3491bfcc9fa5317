"""Cost of a context id (a ULID) with its random part from os.urandom (before) and from our own
`random.Random().getrandbits` (hub.core.context.ulid_now, as Home Assistant's), and of a Context;
and that a million ids are unique and sort by their millisecond.

    .venv/bin/python bench/context_ids.py [--ids 1000000]

A passage makes about a dozen ids on its way to the barrier. Takes a few seconds.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import timeit
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub.core import Context
from hub.core.context import _PAIRS, _SHIFTS, ulid_now


def ulid_urandom() -> str:
    """The id as it was made before: the random part by a system call."""
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10), "big")
    return "".join([_PAIRS[value >> shift & 1023] for shift in _SHIFTS])


def ns_per_call(func: Callable[[], object], number: int = 200_000) -> float:
    return min(timeit.repeat(func, number=number, repeat=5)) / number * 1e9


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ids", type=int, default=1_000_000)
    args = parser.parse_args()
    print(f"ulid, os.urandom (before):  {ns_per_call(ulid_urandom):6.0f} ns an id")
    print(f"ulid_now, getrandbits:      {ns_per_call(ulid_now):6.0f} ns an id")
    print(f"Context():                  {ns_per_call(Context):6.0f} ns")
    ids = [ulid_now() for _ in range(args.ids)]
    millis = [i[:10] for i in ids]  # the first 10 characters: the 48-bit millisecond
    print(f"{args.ids:,} ids: {len(set(ids)):,} distinct, time part sorted: {millis == sorted(millis)}")


if __name__ == "__main__":
    main()
