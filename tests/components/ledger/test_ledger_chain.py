"""The hash chain, pure: each kind of tampering is found at the row it touched."""

from __future__ import annotations

import hashlib
import json

import pytest

from hub.components.ledger.chain import (
    AUDIT_CHAIN,
    FORMAT,
    LATE_RECORD_COLUMNS,
    RECORD_CHAIN,
    RECORD_COLUMNS,
    Cursor,
    canonical_json,
    check_rows,
    row_hash,
    seal,
)
from hub.components.ledger.const import GENESIS_HASH


def _chain(n: int) -> list[list]:
    rows, prev = [], GENESIS_HASH
    for seq in range(1, n + 1):
        row = {"kind": "passage", "passage_id": f"p{seq}", "plate": f"冀B{seq:05d}",
               "recorded_ts": 1000 + seq, "recorded_at": "2026-11-24T08:00:00+08:00",
               "data": canonical_json({"reason_text": "准予入厂"})}  # fmt: skip
        values = seal(RECORD_CHAIN, row, seq, prev)
        prev = values[-1]
        rows.append(list(values))
    return rows


def _walk(rows: list[list]):
    return check_rows(RECORD_CHAIN, rows, Cursor(1, GENESIS_HASH))


def _edit(rows):
    rows[3][RECORD_CHAIN.columns.index("plate")] = "冀B99999"


def _delete(rows):
    del rows[3]


def _insert(rows):
    forged = list(rows[2])
    forged[0] = 4
    rows.insert(3, forged)
    for seq, row in enumerate(rows, start=1):
        row[0] = seq


def _reorder(rows):
    rows[3], rows[4] = rows[4], rows[3]
    rows[3][0], rows[4][0] = 4, 5


def _rehash_edited(rows):
    # An editor who also recomputes the edited row's hash is caught by the next row's link.
    _edit(rows)
    values = rows[3][: len(RECORD_CHAIN.columns)]
    row = dict(zip(RECORD_CHAIN.columns, values, strict=True))
    rows[3] = list(seal(RECORD_CHAIN, row, 4, values[-1]))


@pytest.mark.parametrize(
    ("tamper", "bad_seq", "words"),
    [
        (_edit, 4, "edited"),
        (_delete, 4, "missing"),
        (_insert, 4, "edited or moved"),
        (_reorder, 4, "edited or moved"),
        (_rehash_edited, 5, "does not link"),
    ],
)
def test_tampering_is_found_at_the_first_row_touched(tamper, bad_seq, words) -> None:
    rows = _chain(8)
    assert _walk([list(r) for r in rows]) is None
    tamper(rows)
    fault = _walk(rows)
    assert fault is not None and fault.seq == bad_seq and words in fault.reason, fault


def test_canonical_encoding_is_stable_and_keeps_chinese() -> None:
    assert canonical_json({"b": 1, "a": "国五"}) == '{"a":"国五","b":1}'
    with pytest.raises(TypeError, match="evidence"):
        canonical_json({"image": b"\xff\xd8"})


def test_the_chain_name_is_part_of_the_hash() -> None:
    values = (1, 2, "x", None, "ui", "login", "ok", None, "{}", "", GENESIS_HASH)
    assert row_hash(AUDIT_CHAIN, values) != row_hash(RECORD_CHAIN, values)


TRICKY = [
    "冀B12345", "唐山顺达物流有限公司", 'say "hi"', "back\\slash", "tab\tnew\nline\r", "\x00\x01\x1f\x7f",
    "\u2028\u2029", "emoji 🚛", "", None, 0, -1, 2**63 - 1, 10**30, 0.1, 1e-7, 1e300, -0.0, 3.0,
    True, False, '{"a":"国五","b":[1,2]}',
]  # fmt: skip


@pytest.mark.parametrize("chain", [RECORD_CHAIN, AUDIT_CHAIN])
def test_row_hash_is_sha256_of_the_json_text_of_earlier_releases(chain) -> None:
    # Rows written by earlier releases must still verify: the hashed text is exactly what
    # json.dumps gave them, whatever the encoder used now.
    width = len(chain.columns)
    for start in range(len(TRICKY)):
        values = [TRICKY[(start + i) % len(TRICKY)] for i in range(width)]
        hashed = [v for i, v in enumerate(values) if v is not None or i not in chain.late]
        text = json.dumps([FORMAT, chain.name, *hashed], ensure_ascii=False, separators=(",", ":"))
        assert row_hash(chain, values) == hashlib.sha256(text.encode("utf-8")).hexdigest()
        row = dict(zip(chain.columns, values, strict=True))
        sealed = seal(chain, row, values[0], values[-1])
        assert sealed[-1] == row["hash"] == row_hash(chain, sealed[:-1])


def test_a_row_without_a_tag_hashes_as_rows_did_before_the_rfid_column() -> None:
    # Rows written before the `rfid` column existed must verify as they are; a tag, once there, is sealed.
    earlier = [c for c in RECORD_COLUMNS if c not in LATE_RECORD_COLUMNS]
    values = {c: f"{c}-value" for c in earlier}
    text = json.dumps([FORMAT, "record", *values.values()], ensure_ascii=False, separators=(",", ":"))
    row = [{**values, "rfid": None}[c] for c in RECORD_COLUMNS]
    assert row_hash(RECORD_CHAIN, row) == hashlib.sha256(text.encode("utf-8")).hexdigest()
    tagged = [{**values, "rfid": "E2003412"}[c] for c in RECORD_COLUMNS]
    assert row_hash(RECORD_CHAIN, tagged) != row_hash(RECORD_CHAIN, row)
