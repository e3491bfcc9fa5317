"""The hub's one home of photos: content-addressed files, `data/evidence/ab/cd/<sha256>.jpg`.

A camera (or any door that takes a photo) puts the bytes here and passes on a reference,
`{"sha256": ..., "size": ...}` (`PhotoRef`): events and service calls carry references, never bytes.
A photo is written under a temporary name, flushed, renamed and its directory flushed, so a committed
ledger row never names a photo a crash could lose, and a crash never leaves half a photo under its hash.

When the disk refuses a write (full, read-only for a moment) the photo waits in memory, bounded by
`PENDING_BYTES`, and is written by the next `async_flush`: the ledger flushes before it commits a row
that names a photo, and refuses the row while a photo it names is not on disk. Verify, backup,
retention and the photo service read the files only.
"""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any, Literal, TypedDict

from hub.util.files import write_atomic_many

_LOGGER = logging.getLogger(__name__)
PHOTO_DIR = "evidence"  # under the data directory; the name predates this module and stays
SUFFIX = ".jpg"
MAX_PHOTO_BYTES = 8 * 1024 * 1024  # one photo; a camera's 4K JPEG is about 1-2 MiB
PENDING_BYTES = 128 * 1024 * 1024  # photos kept in memory, in all, while the disk refuses them
WRITTEN_REMEMBERED = 4096  # hashes of photos written by this run (a few hours of a busy gate's reads)
PhotoState = Literal["ok", "missing", "changed"]
RunBlocking = Callable[..., Awaitable[Any]]


class PhotoRef(TypedDict):
    """A photo in the store, as events and service calls name it."""

    sha256: str
    size: int


def digest_of(content: bytes) -> str:
    """The SHA-256 (hex) a photo is stored under; refuses what is no photo to keep."""
    if not content:
        raise ValueError("an evidence image is empty")
    if len(content) > MAX_PHOTO_BYTES:
        raise ValueError(f"an evidence image has {len(content)} bytes; at most {MAX_PHOTO_BYTES}")
    return hashlib.sha256(content).hexdigest()


def state_of(sha256: str, content: bytes) -> PhotoState:
    return "ok" if hashlib.sha256(content).hexdigest() == sha256 else "changed"


class PhotoStore:
    """`hub.photos`. The `async_` methods run in the loop; the others block (call them from an executor)."""

    def __init__(self, root: Callable[[], Path], run_blocking: RunBlocking) -> None:
        self._root = root  # the data directory is known only once the configuration is read
        self._run_blocking = run_blocking
        self._pending: dict[str, bytes] = {}  # sha256 -> bytes the disk refused, in arrival order
        self._pending_bytes = 0
        # Photos this run wrote and flushed itself: a row naming one needs no look at the disk.
        self._written: OrderedDict[str, int] = OrderedDict()

    @property
    def root(self) -> Path:
        return self._root()

    @property
    def pending(self) -> int:
        """Photos waiting in memory for the disk."""
        return len(self._pending)

    # ----- in the loop ---------------------------------------------------------------------------
    async def async_put(self, photos: Mapping[str, bytes]) -> dict[str, PhotoRef]:
        """Store a read's photos (role -> bytes), flushed to disk; their references by role.

        ValueError (naming the role) for an empty or oversized photo: then none is stored. A photo
        the disk refuses waits in memory while there is room; one that finds no room is left out of
        the answer (and logged)."""
        prepared: list[tuple[str, str, bytes]] = []
        for role, content in photos.items():
            if not content:
                continue  # a camera that sent no picture: the record says so by the missing hash
            try:
                prepared.append((role, digest_of(content), content))
            except ValueError as err:
                raise ValueError(f"{role}: {err}") from None
        if not prepared:
            return {}
        new = {sha: content for _, sha, content in prepared if sha not in self._pending}
        try:
            await self._run_blocking(self._write_new, list(new.items()))
        except OSError as err:
            kept = self._keep(new, err)
            prepared = [p for p in prepared if p[1] in kept or p[1] in self._pending]
        else:
            self._note_written(new)
        return {role: PhotoRef(sha256=sha, size=len(content)) for role, sha, content in prepared}

    async def async_flush(self) -> None:
        """Write the photos waiting in memory; OSError if the disk still refuses them."""
        if not self._pending:
            return
        waiting = list(self._pending.items())
        await self._run_blocking(self._write_new, waiting)
        self._note_written(dict(waiting))
        for sha, content in waiting:
            if self._pending.pop(sha, None) is not None:
                self._pending_bytes -= len(content)
        _LOGGER.warning("%d photo(s) kept in memory while the disk refused them written now", len(waiting))

    async def async_ensure(self, refs: Mapping[str, PhotoRef]) -> list[str]:
        """Make sure the referenced photos are on disk before a row names them: the waiting ones are
        written first (OSError if the disk still refuses). Returns the roles whose photo the store
        does not have at all."""
        await self.async_flush()
        written = self._written
        wanted = [
            (role, ref["sha256"], ref["size"])
            for role, ref in refs.items()
            if written.get(ref["sha256"]) != ref["size"]
        ]
        if not wanted:
            return []
        return await self._run_blocking(lambda: [r for r, sha, size in wanted if not self.has(sha, size)])

    async def async_read(self, sha256: str) -> bytes:
        """A photo, only while it keeps its hash (LookupError otherwise); a waiting one from memory."""
        if (content := self._pending.get(sha256)) is not None:
            return content
        return await self._run_blocking(self.read_verified, sha256)

    def _note_written(self, photos: Mapping[str, bytes]) -> None:
        written = self._written
        for sha, content in photos.items():
            written[sha] = len(content)
            written.move_to_end(sha)
        while len(written) > WRITTEN_REMEMBERED:
            written.popitem(last=False)

    def _keep(self, photos: dict[str, bytes], err: OSError) -> set[str]:
        kept: set[str] = set()
        for sha, content in photos.items():
            if self._pending_bytes + len(content) > PENDING_BYTES:
                _LOGGER.error("Photo %s… not kept: the disk refuses it (%s), memory is full", sha[:12], err)
                continue
            self._pending[sha] = content
            self._pending_bytes += len(content)
            kept.add(sha)
        if kept:
            _LOGGER.error("%d photo(s) kept in memory until the disk takes them: %s", len(kept), err)
        return kept

    # ----- blocking --------------------------------------------------------------------------------
    def path_of(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / f"{sha256}{SUFFIX}"

    def put_many(self, photos: list[tuple[str, bytes]]) -> None:
        """Store photos whose hashes the caller has checked, each name flushed to disk."""
        write_atomic_many([(self.path_of(sha), content) for sha, content in photos], sync_dir=True)

    def _write_new(self, photos: list[tuple[str, bytes]]) -> None:
        self.put_many([(sha, content) for sha, content in photos if not self.has(sha, len(content))])

    def has(self, sha256: str, size: int) -> bool:
        """Whether the photo is on disk at its size (written and flushed by this store, so whole)."""
        try:
            return self.path_of(sha256).stat().st_size == size
        except FileNotFoundError:
            return False

    def read_verified(self, sha256: str) -> bytes:
        """The photo, only if it still has its hash: a changed file is never served as evidence."""
        try:
            content = self.path_of(sha256).read_bytes()
        except FileNotFoundError:
            raise LookupError(f"photo {sha256[:12]}… is missing from the evidence store") from None
        if hashlib.sha256(content).hexdigest() != sha256:
            raise LookupError(f"photo {sha256[:12]}… was changed in the evidence store")
        return content

    def check(self, sha256: str) -> PhotoState:
        try:
            content = self.path_of(sha256).read_bytes()
        except FileNotFoundError:
            return "missing"
        return state_of(sha256, content)

    def remove(self, sha256: str) -> bool:
        self._written.pop(sha256, None)  # a row naming it again must find it written again
        try:
            self.path_of(sha256).unlink()
        except FileNotFoundError:
            return False
        return True
