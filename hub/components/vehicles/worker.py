"""Reading an imported file in a worker process of its own, under a memory limit.

A spreadsheet is a zip of XML that a few megabytes can inflate to gigabytes; the checks in tabular.py
refuse what declares itself too big, and this process boundary catches what lies: the worker gets an
address-space limit (RLIMIT_AS), so a bomb that slips past the checks ends the worker, never the hub,
and whatever the worker allocated goes back to the system when it exits. A CPU-time limit ends a file
that would keep it busy for ever. The hub's event loop never parses: it only takes the result back, in
slices, so lanes keep deciding during a big import.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import pickle
import resource
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from .problems import problem
from .tabular import TableError, inflated_size
from .transfer import ParsedFile

SLICE = 200  # records unpickled per turn of the event loop (about a millisecond)
CPU_SECONDS = 600  # 100,000 rows of .xlsx take about 30 s of CPU
SMALL_FILE_BYTES = 1024 * 1024  # a file that stays below this unzipped is read in a thread instead


def _limit(limit_bytes: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))


def _run(func: Callable[..., ParsedFile], args: tuple[Any, ...]) -> tuple[bytes, list[bytes], list[bytes]]:
    """In the worker: the parse, its rows pickled in slices so that the hub can take them back in turns."""
    parsed = func(*args)
    items, errors = parsed.items, parsed.errors
    parsed.items, parsed.errors = [], []
    return pickle.dumps(parsed), _sliced(items), _sliced(errors)


def _sliced(rows: list[Any]) -> list[bytes]:
    return [pickle.dumps(rows[i : i + SLICE]) for i in range(0, len(rows), SLICE)]


def _too_big(memory_mb: int) -> TableError:
    return TableError(problem("parse_limits", mib=memory_mb, seconds=CPU_SECONDS))


async def async_parse_file(
    hub: Any, memory_mb: int, content: bytes, func: Callable[..., ParsedFile], *args: Any
) -> ParsedFile:
    """`func(*args)` reading `content`: in the worker, or for a small file (a few hundred rows, which
    cannot exhaust memory) in a thread, sparing the worker's start (about a second)."""
    small = len(content) <= SMALL_FILE_BYTES and (
        await hub.async_add_executor_job(inflated_size, content) <= SMALL_FILE_BYTES
    )
    if small:
        return await hub.async_add_executor_job(func, *args)
    return await async_parse_isolated(memory_mb, func, *args)


async def async_parse_isolated(memory_mb: int, func: Callable[..., ParsedFile], *args: Any) -> ParsedFile:
    """`func(*args)` in a fresh worker process limited to `memory_mb`; its result, or TableError."""
    loop = asyncio.get_running_loop()
    # spawn: a clean interpreter, not a fork of the hub with its register, sockets and threads.
    executor = ProcessPoolExecutor(
        max_workers=1,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_limit,
        initargs=(memory_mb * 1024 * 1024,),
    )
    try:
        head, items, errors = await loop.run_in_executor(executor, _run, func, args)
    except (BrokenProcessPool, MemoryError):
        raise _too_big(memory_mb) from None
    finally:
        # The worker has exited or is told to: waiting for it would only block.
        executor.shutdown(wait=False, cancel_futures=True)
    parsed: ParsedFile = pickle.loads(head)
    for rows, blobs in ((parsed.items, items), (parsed.errors, errors)):
        for blob in blobs:
            rows.extend(pickle.loads(blob))
            await asyncio.sleep(0)
    return parsed
