"""Writing files so that a crash never leaves half of one under its final name."""

from __future__ import annotations

import os
import uuid
from pathlib import Path


def write_atomic(path: Path, content: bytes, *, sync_dir: bool = False, mode: int = 0o666) -> None:
    """Write to a temporary name beside `path`, flush it to disk, rename it into place.

    `sync_dir` also flushes the directory entry, so the new name itself survives a power cut
    (evidence files, whose hash a ledger row commits right after). `mode` is the new file's
    permission bits before the umask (0o600 for keys and secrets).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    # A name of its own per call: two threads may store the same photo at the same moment.
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)
    if sync_dir:
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
