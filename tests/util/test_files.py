"""Atomic file writes: every file ends whole under its name, temporary names never stay behind."""

from __future__ import annotations

import pytest

from hub.util import files
from hub.util.files import write_atomic, write_atomic_many


@pytest.mark.parametrize("count", [3, 40])
def test_a_batch_of_files_lands_whole_in_several_directories(tmp_path, count) -> None:
    batch = [
        (tmp_path / f"{n % 7:02d}" / f"photo{n}.jpg", b"\xff\xd8" + bytes([n]) * 500) for n in range(count)
    ]
    write_atomic_many(batch, sync_dir=True)
    assert all(path.read_bytes() == content for path, content in batch)
    assert not list(tmp_path.rglob("*.tmp"))


def test_a_failed_batch_leaves_no_temporary_file(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(files.os, "replace", lambda *a: (_ for _ in ()).throw(OSError("disk gone")))
    batch = [(tmp_path / "a" / f"{n}.jpg", b"x") for n in range(8)]
    with pytest.raises(OSError, match="disk gone"):
        write_atomic_many(batch, sync_dir=True)
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_a_single_file_keeps_its_permission_bits(tmp_path) -> None:
    path = tmp_path / "secret.key"
    write_atomic(path, b"k", mode=0o600)
    assert path.read_bytes() == b"k" and path.stat().st_mode & 0o777 == 0o600
