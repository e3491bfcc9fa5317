"""The hub's photo store: content-addressed files, references on the bus, and photos the disk refuses
kept in memory until it takes them again."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hub.core.photos import MAX_PHOTO_BYTES, PENDING_BYTES, PhotoStore

JPEG = b"\xff\xd8\xff\xe0" + b"scene of a truck"


async def run_blocking(func: Callable[..., Any], *args: Any) -> Any:
    return await asyncio.get_running_loop().run_in_executor(None, func, *args)


def store_at(root: Path) -> PhotoStore:
    return PhotoStore(lambda: root, run_blocking)


async def test_a_photo_is_a_file_named_by_its_hash_and_the_answer_is_its_reference(tmp_path) -> None:
    store = store_at(tmp_path / "evidence")
    refs = await store.async_put({"scene": JPEG, "plate": b""})  # a camera that sent no plate crop
    sha = hashlib.sha256(JPEG).hexdigest()
    assert refs == {"scene": {"sha256": sha, "size": len(JPEG)}}
    assert (tmp_path / "evidence" / sha[:2] / sha[2:4] / f"{sha}.jpg").read_bytes() == JPEG
    assert await store.async_ensure(refs) == []
    assert await store.async_read(sha) == JPEG
    # A reference to a photo the store never had is named, not taken on trust.
    assert await store.async_ensure({"plate": {"sha256": "ab" * 32, "size": 5}}) == ["plate"]


async def test_empty_and_oversized_photos_are_refused_by_role(tmp_path) -> None:
    store = store_at(tmp_path / "evidence")
    with pytest.raises(ValueError, match=r"^plate: .*at most"):
        await store.async_put({"scene": JPEG, "plate": JPEG + bytes(MAX_PHOTO_BYTES)})
    assert not (tmp_path / "evidence").exists()  # then none is stored


async def test_photos_the_disk_refuses_wait_in_memory_until_it_takes_them(tmp_path) -> None:
    blocked = tmp_path / "data"
    blocked.write_text("a file where the photo directory should be")  # every write fails
    store = store_at(blocked / "evidence")
    refs = await store.async_put({"scene": JPEG})
    sha = refs["scene"]["sha256"]
    assert store.pending == 1
    assert await store.async_read(sha) == JPEG  # served from memory meanwhile
    with pytest.raises(OSError):
        await store.async_ensure(refs)  # a row naming it is refused while the disk refuses the photo

    blocked.unlink()  # space again
    assert await store.async_ensure(refs) == []  # written first, then the row may commit
    assert store.pending == 0
    assert store.read_verified(sha) == JPEG


async def test_memory_for_waiting_photos_is_bounded(tmp_path) -> None:
    blocked = tmp_path / "data"
    blocked.write_text("no directory")
    store = store_at(blocked / "evidence")
    big = MAX_PHOTO_BYTES - 16
    kept = 0
    for n in range(PENDING_BYTES // big + 2):
        kept += len(await store.async_put({"scene": n.to_bytes(4, "big") + bytes(big)}))
    assert kept == PENDING_BYTES // big  # the photo beyond the bound is left out of the answer
    assert store.pending == kept
