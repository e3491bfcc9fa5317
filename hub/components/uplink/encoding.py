"""A request body as JSON bytes, its records encoded one at a time with the loop let in between.

A batch of passages with their photos inline is megabytes of base64; one `json.dumps` of it held the
event loop, which the gate's decisions share, for 40-80 ms per batch while a backlog went out.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from .mapping import MISSING, get_path

SLICE_BYTES = 256 * 1024  # encoded this much, the loop gets a turn
_MARKER = "\x00records\x00"


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


async def async_encode_body(body: Any, items_field: str) -> bytes:
    """The same bytes as `dumps(body).encode()`, in slices."""
    items = get_path(body, items_field) if items_field else body
    if not isinstance(items, list) or len(items) < 2:
        return dumps(body).encode("utf-8")
    shell, marker = dumps(_replaced(body, items_field, _MARKER)), dumps(_MARKER)
    if shell.count(marker) != 1:  # the envelope holds the marker itself: encode at once
        return dumps(body).encode("utf-8")
    head, tail = shell.split(marker)
    parts, pending = [head, "["], 0
    for n, item in enumerate(items):
        text = dumps(item)
        parts += [",", text] if n else [text]
        pending += len(text)
        if pending >= SLICE_BYTES:
            pending = 0
            await asyncio.sleep(0)
    parts += ["]", tail]
    return "".join(parts).encode("utf-8")


def _replaced(body: Any, path: str, value: Any) -> Any:
    """A copy of `body` with `value` at `path` (copies only along the path)."""
    if not path:
        return value
    first, _, rest = path.partition(".")
    inner = body.get(first, MISSING)
    return {**body, first: _replaced(inner, rest, value) if rest else value}
