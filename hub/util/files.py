"""Writing files so that a crash never leaves half of one under its final name."""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path

# syncfs(2) flushes a whole file system in one go: for a batch of new files, one journal commit
# instead of one per file and one per directory. Linux only; elsewhere files are flushed one by one.
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None
SYNCFS_FROM = 8  # files in one batch from which syncfs beats flushing them one by one


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
    system joins their flushes into one, and each directory is flushed once. A larger batch whose
    names must survive too is flushed with syncfs instead: once before the renames (no name ever
    points at data not on disk) and once after them."""
    whole_fs = sync_dir and len(files) >= SYNCFS_FROM and _LIBC is not None and hasattr(_LIBC, "syncfs")
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
        if whole_fs:
            _syncfs(temps[0][0])
        else:
            for temp, _ in temps:
                _fsync(temp)
        for temp, path in temps:
            os.replace(temp, path)
    except BaseException:
        for temp, _ in temps:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
        raise
    if whole_fs:
        _syncfs(temps[0][1])
    elif sync_dir:
        for directory in {path.parent for path, _ in files}:
            _fsync(directory)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _syncfs(path: Path) -> None:
    assert _LIBC is not None
    fd = os.open(path, os.O_RDONLY)
    try:
        if _LIBC.syncfs(fd) != 0:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err), str(path))
    finally:
        os.close(fd)
