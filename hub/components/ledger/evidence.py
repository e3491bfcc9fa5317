"""Evidence store: photos as content-addressed files, `evidence/ab/cd/<sha256>.jpg`.

Blocking file work: call these from an executor. The store is the one home of every photo: a photo
is written under a temporary name, flushed, renamed and its directory flushed before the row that
names it is committed, so a committed row never names a photo that a crash could lose, and a crash
never leaves a half-written photo under its hash.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal

from hub.util.files import write_atomic_many

from .const import MAX_IMAGE_BYTES

SUFFIX = ".jpg"
EvidenceState = Literal["ok", "missing", "changed"]


class EvidenceStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / f"{sha256}{SUFFIX}"

    def put_many(self, photos: list[tuple[str, bytes]]) -> None:
        """Store photos whose hashes the caller has checked, each name flushed to disk."""
        write_atomic_many([(self.path_of(sha), content) for sha, content in photos], sync_dir=True)

    def read_verified(self, sha256: str) -> bytes:
        """The photo, only if it still has its hash: a changed file is never served as evidence."""
        try:
            content = self.path_of(sha256).read_bytes()
        except FileNotFoundError:
            raise LookupError(f"photo {sha256[:12]}… is missing from the evidence store") from None
        if hashlib.sha256(content).hexdigest() != sha256:
            raise LookupError(f"photo {sha256[:12]}… was changed in the evidence store")
        return content

    def check(self, sha256: str) -> EvidenceState:
        path = self.path_of(sha256)
        try:
            content = path.read_bytes()
        except FileNotFoundError:
            return "missing"
        return state_of(sha256, content)

    def remove(self, sha256: str) -> bool:
        try:
            self.path_of(sha256).unlink()
        except FileNotFoundError:
            return False
        return True


def digest_of(content: bytes) -> str:
    """The SHA-256 (hex) a photo is stored under; refuses what is no photo to keep."""
    if not content:
        raise ValueError("an evidence image is empty")
    if len(content) > MAX_IMAGE_BYTES:
        raise ValueError(f"an evidence image has {len(content)} bytes; at most {MAX_IMAGE_BYTES}")
    return hashlib.sha256(content).hexdigest()


def state_of(sha256: str, content: bytes) -> EvidenceState:
    return "ok" if hashlib.sha256(content).hexdigest() == sha256 else "changed"
