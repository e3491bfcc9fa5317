"""A request body encoded in slices is byte for byte the body encoded at once (the signature covers it)."""

from __future__ import annotations

import json

import pytest

from hub.components.uplink.encoding import async_encode_body

PHOTO = "QUJD" * 100_000  # 400 KB of base64: several slices
RECORDS = [
    {"recordId": f"r{n}", "plateNo": "冀B00001", "photo": PHOTO if n % 2 else "", "w": 1.5} for n in range(7)
]


@pytest.mark.parametrize(
    ("body", "items_field"),
    [
        ({"plantCode": "91130200MA0TEST001", "records": RECORDS}, "records"),
        ({"head": {"plant": "x"}, "data": {"count": 7, "records": RECORDS}}, "data.records"),
        (RECORDS, ""),
        ({"records": RECORDS[:1]}, "records"),
        ({"plantCode": "\x00records\x00 in a value", "records": RECORDS}, "records"),
        ({"plantCode": "\x00records\x00", "records": RECORDS}, "records"),
    ],
)
async def test_sliced_encoding_is_the_plain_encoding(body, items_field) -> None:
    expected = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    assert await async_encode_body(body, items_field) == expected
