"""Writing files so that a crash never leaves half of one under its final name."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Sequence
from pathlib import Path


def write_atomic(path: Path, content: bytes, *, sync_dir: bool = False, mode: int = 0o666) -> None:
    """Write to a temporary name beside `path`, flush it to disk, rename it into place.

    `sync_dir` also flushes the directory entry, so the new name itself survives a power cut.
    `mode` is the new file's permission bits before the umask (0o600 for keys and secrets).
    """
    write_atomic_many([(path, content)], sync_dir=sync_dir, mode=mode)


def write_atomic_many(
    files: Sequence[tuple[Path, bytes]], *, sync_dir: bool = False, mode: int = 0o666
) -> None:
    """`write_atomic` for several files at once: all are written before any is flushed, so the file
    system joins their flushes into one, and each directory is flushed once."""
    temps: list[tuple[Path, Path]] = []
    try:
        for path, content in files:
            path.parent.mkdir(parents=True, exist_ok=True)
            # A name of its own per call: two threads may store the same photo at the same moment.
            temp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
            temps.append((temp, path))
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
        for temp, _ in temps:
            _fsync(temp)
        for temp, path in temps:
            os.replace(temp, path)
    except BaseException:
        for temp, _ in temps:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
        raise
    if sync_dir:
        for directory in {path.parent for path, _ in files}:
            _fsync(directory)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
