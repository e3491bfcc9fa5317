"""Evidence store: photos as content-addressed files, `evidence/ab/cd/<sha256>.jpg`.

Blocking file work: call these from an executor. A file is written under a temporary name, flushed to
disk and renamed, so a crash never leaves a half-written photo under its hash; the ledger row that holds
the hash is committed only after the file is in place.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal

from hub.util.files import write_atomic

from .const import MAX_IMAGE_BYTES

SUFFIX = ".jpg"
EvidenceState = Literal["ok", "missing", "changed"]


class EvidenceStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / f"{sha256}{SUFFIX}"

    def put(self, content: bytes) -> str:
        """Store `content`; returns its SHA-256 (hex). Storing the same bytes twice keeps one file."""
        if not content:
            raise ValueError("an evidence image is empty")
        if len(content) > MAX_IMAGE_BYTES:
            raise ValueError(f"an evidence image has {len(content)} bytes; at most {MAX_IMAGE_BYTES}")
        digest = hashlib.sha256(content).hexdigest()
        path = self.path_of(digest)
        if path.is_file() and path.stat().st_size == len(content):
            return digest
        write_atomic(path, content, sync_dir=True)
        return digest

    def read(self, sha256: str) -> bytes:
        return self.path_of(sha256).read_bytes()

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
        return "ok" if hashlib.sha256(content).hexdigest() == sha256 else "changed"

    def remove(self, sha256: str) -> bool:
        try:
            self.path_of(sha256).unlink()
        except FileNotFoundError:
            return False
        return True

