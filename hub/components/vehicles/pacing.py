"""Long register work that shares the interpreter with the gate, in slices of a few milliseconds.

A 100,000-row import is seconds of Python. On the event loop it runs in slices that hand the loop
back; in an executor thread it still holds the GIL, and the loop's thread would wait up to the
interpreter's switch interval (5 ms) for it at every wake-up of a gate decision (a dozen per passage),
so the thread hands the GIL over by itself every slice. And the cyclic garbage collector waits
while an import builds its objects: a full collection walks every object (the register, the file
being imported) holding the GIL throughout, 60 ms at 20,000 rows, several hundred at 100,000.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any, TypeVar

_T = TypeVar("_T")
SLICE_SECONDS = 0.002
RELEASE_STEP = 200  # list items freed at a time


def breathing(items: Iterable[_T]) -> Iterator[_T]:
    """In an executor thread: the items, with the GIL handed to the other threads every slice."""
    deadline = time.perf_counter() + SLICE_SECONDS
    for item in items:
        yield item
        if time.perf_counter() > deadline:
            time.sleep(0)  # releases the GIL: the event loop's thread takes it now, not after 5 ms
            deadline = time.perf_counter() + SLICE_SECONDS


async def async_sliced(items: Iterable[_T]) -> AsyncIterator[_T]:
    """On the event loop: the items, with the loop handed back every slice."""
    deadline = time.perf_counter() + SLICE_SECONDS
    for item in items:
        yield item
        if time.perf_counter() > deadline:
            await asyncio.sleep(0)
            deadline = time.perf_counter() + SLICE_SECONDS


async def async_release(*lists: list[Any]) -> None:
    """Empty big lists a slice at a time: freeing a million objects in one go (when the last reference
    goes) stalls the loop about as long as building them did."""
    for items in lists:
        async for _ in async_sliced(range(0, len(items), RELEASE_STEP)):
            del items[-RELEASE_STEP:]


FREEZE_FROM = 10_000  # objects built meanwhile: more, and they are frozen at the end
_pauses = 0


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic collection while register work runs; then what it built is frozen (gc.freeze).

    The imported records live on in the index, so the collector need not walk them ever again
    (bench/import_gate_latency.py measured the pauses this saves the gate during a 100k import);
    frozen objects are still freed when nothing refers to them.
    """
    global _pauses
    _pauses += 1
    gc.disable()
    try:
        yield
    finally:
        _pauses -= 1
        if not _pauses:
            if gc.get_count()[0] > FREEZE_FROM:  # tracked objects made (net) since the last collection
                gc.freeze()
            gc.enable()
