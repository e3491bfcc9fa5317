"""Keeping full garbage collections short in a hub that holds a large register in memory."""

from __future__ import annotations

import gc


def freeze_long_lived() -> None:
    """Take every object alive now out of the cyclic collector's walks (`gc.freeze`).

    A plant's register holds tens of thousands of records for days; each full collection walking them
    stalls the event loop for 20-60 ms, which a truck waiting at the barrier feels. Frozen objects are
    still freed when nothing refers to them any more; only reference cycles among them stay.
    """
    gc.collect()
    gc.freeze()
