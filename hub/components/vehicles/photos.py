"""Document photos of the register (随车清单, 行驶证, nameplates) as content-addressed files.

`<data>/register/ab/cd/<sha256>`; the record holds the hash. Blocking: call from an executor. A file is
written under a temporary name, flushed and renamed, so a crash never leaves half a photo under its hash.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from hub.util.files import write_atomic

from .problems import problem

MAX_PHOTO_BYTES = 10 * 1024 * 1024
# Documents come as photos or as scans (PDF); nothing else is stored.
_TYPES = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"%PDF-", "application/pdf"))


def content_type(content: bytes) -> str | None:
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    return next((kind for magic, kind in _TYPES if content.startswith(magic)), None)


class PhotoStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path_of(sha256).is_file()

    def put(self, content: bytes) -> str:
        """Store a photo; returns its SHA-256. The same bytes twice keep one file."""
        if not content:
            raise ValueError(problem("photo_empty"))
        if len(content) > MAX_PHOTO_BYTES:
            raise ValueError(problem("photo_too_big", size=len(content), max=MAX_PHOTO_BYTES))
        if content_type(content) is None:
            raise ValueError(problem("photo_kind"))
        digest = hashlib.sha256(content).hexdigest()
        path = self.path_of(digest)
        if path.is_file() and path.stat().st_size == len(content):
            return digest
        write_atomic(path, content)
        return digest

    def read(self, sha256: str) -> tuple[str, bytes]:
        content = self.path_of(sha256).read_bytes()
        return content_type(content) or "application/octet-stream", content
