"""One owner per data directory: the running hub, or one command-line tool while no hub runs.

The owner holds an exclusive `flock` on `<data_dir>/ecogate.lock` for as long as it works on the
data; the kernel lets it go when the process ends, however it ends, so a crash leaves no stale lock.
The holder writes who it is into the file (the lock is on the open file, not its content), so that a
refused process can say who is in the way. A hub that finds the lock taken refuses to start; a
command finds a hub there and talks to it through its control socket (control.py) instead.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from .errors import SetupError

LOCK_FILE = "ecogate.lock"
KIND_HUB = "hub"
KIND_CLI = "cli"


@dataclass(frozen=True, slots=True)
class Holder:
    kind: str  # hub or cli
    pid: int
    command: str
    since: float

    def describe(self) -> str:
        what = "a running hub" if self.kind == KIND_HUB else "the command"
        started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.since)) if self.since else "?"
        return f"{what} (pid {self.pid}: {self.command or '?'}, since {started})"


class DataDirBusy(SetupError):
    """Another process owns the data directory."""

    def __init__(self, data_dir: Path, holder: Holder | None, wanted: str) -> None:
        who = holder.describe() if holder else "another process"
        if wanted == KIND_HUB:
            text = (
                f"数据目录已被占用 the data directory {data_dir} is in use by {who}; "
                "a hub starts only when no other hub and no `ecogate` command works on it"
            )
        else:
            text = f"数据目录已被占用 the data directory {data_dir} is in use by {who}; try again later"
        super().__init__(text)
        self.data_dir, self.holder = data_dir, holder


class DataDirLock:
    """The exclusive lock of one data directory; blocking calls (a few system calls, no waiting)."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / LOCK_FILE
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, kind: str) -> None:
        """Take the lock for a `kind` owner, or raise DataDirBusy naming the holder. Never waits."""
        if self._fd is not None:
            return
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise DataDirBusy(self.path.parent, read_holder(self.path.parent), kind) from None
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        me = {"kind": kind, "pid": os.getpid(), "command": " ".join(_command()), "since": time.time()}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(me, ensure_ascii=False).encode("utf-8"), 0)

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)  # a reader between this and the unlock sees nobody, which is true
        finally:
            os.close(fd)  # closing the last descriptor lets the lock go


def read_holder(data_dir: Path) -> Holder | None:
    """Who holds the lock, as the holder wrote it; None if the file says nothing readable."""
    try:
        raw = json.loads((data_dir / LOCK_FILE).read_text(encoding="utf-8"))
        return Holder(str(raw["kind"]), int(raw["pid"]), str(raw.get("command") or ""), float(raw["since"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _command() -> list[str]:
    path = Path(sys.argv[0]) if sys.argv and sys.argv[0] else Path("python")
    name = path.parent.name if path.name == "__main__.py" else path.name  # python -m <package>
    return ["ecogate" if name == "hub" else name, *sys.argv[1:6]]
