"""The chain export and its standalone verifier: ledger rows of a period as JSON (exactly what each
row's hash covers, in column order) and CSV (the same, for reading), with `verifier.html` beside them.

The HTML file needs no installation and no network: opened from disk in a browser, it reads the JSON
file, recomputes every row's SHA-256 the way `hub/components/ledger/chain.py` does (the flat JSON list
`[FORMAT, "record", *columns]`, no spaces, non-ASCII kept) and names the first row whose content does not
match its hash, that does not link to the row before it, or that is missing. The first exported row
links to a row outside the export; its `prev_hash` and the last row's hash are shown, to be compared
with the chain head printed in the report or the evidence pack (and with `ecogate ledger verify`).

The rows between the first and the last one recorded inside the period are exported without a gap
(seq order), so follow-ups written inside the period travel with their passages.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from hub.components.ledger.chain import FORMAT, RECORD_CHAIN
from hub.components.ledger.sql import for_dialect

HERE = Path(__file__).parent
VERIFIER_HTML = HERE / "verifier.html"
JSON_NAME = "chain.json"
CSV_NAME = "chain.csv"
HTML_NAME = "verifier.html"
CHUNK = 5000  # rows read and written at a time: a year's rows never sit in memory together
COLUMNS: tuple[str, ...] = (*RECORD_CHAIN.columns, "hash")


async def write_chain_export(hub: Any, start: datetime, end: datetime, out_dir: Path) -> Path:
    """Write chain.json, chain.csv and verifier.html for the rows recorded in [start, end) into
    `out_dir` (created if needed); returns `out_dir`. Reads the ledger with read-only SQL on the
    hub's own database connection, so it works with the hub running and from the command line."""
    if hub.db is None:
        raise RuntimeError("the hub's database is not open")
    conn, dialect = hub.db.connection, hub.db.dialect
    if end <= start:
        raise ValueError("the end of the period must come after its start")
    start_ts, end_ts = int(start.timestamp()), int(end.timestamp())
    _, span = await conn.execute_query(
        for_dialect(
            dialect, "SELECT min(seq), max(seq) FROM ledger_record WHERE recorded_ts >= ? AND recorded_ts < ?"
        ),
        [start_ts, end_ts],
    )
    first, last = (int(span[0][0]), int(span[0][1])) if span and span[0][0] is not None else (0, -1)
    _, head = await conn.execute_query("SELECT seq, hash FROM ledger_record ORDER BY seq DESC LIMIT 1")
    header = {
        "format": FORMAT,
        "chain": RECORD_CHAIN.name,
        "columns": list(COLUMNS),
        "plant": hub.core_config.name,
        "period": {"from": start.isoformat(), "to": end.isoformat()},
        "generated_at": hub.now().replace(microsecond=0).isoformat(),
        "first_seq": first if last >= first else None,
        "last_seq": last if last >= first else None,
        "ledger_head": {"seq": int(head[0][0]), "hash": head[0][1]} if head else None,
    }
    out_dir = Path(out_dir)
    writer = await hub.async_add_executor_job(_ExportFiles, out_dir, header)
    select = for_dialect(
        dialect,
        f"SELECT {', '.join(COLUMNS)} FROM ledger_record "
        f"WHERE seq >= ? AND seq <= ? ORDER BY seq LIMIT {CHUNK}",
    )
    try:
        next_seq = first
        while next_seq <= last:
            _, rows = await conn.execute_query(select, [next_seq, last])
            if not rows:
                break
            values = [tuple(row) for row in rows]
            await hub.async_add_executor_job(writer.write_rows, values)
            next_seq = int(values[-1][0]) + 1
        await hub.async_add_executor_job(writer.finish)
    except BaseException:
        await hub.async_add_executor_job(writer.discard)
        raise
    return out_dir


class _ExportFiles:
    """Blocking: the two data files written under temporary names, renamed when complete."""

    def __init__(self, out_dir: Path, header: dict[str, Any]) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        self.out_dir = out_dir
        self.rows = 0
        self.json_tmp = out_dir / f".{JSON_NAME}.tmp"
        self.csv_tmp = out_dir / f".{CSV_NAME}.tmp"
        self.json_file = self.json_tmp.open("w", encoding="utf-8", newline="\n")
        # UTF-8 with BOM, so that Excel shows the Chinese text; a cell that could read as a formula
        # gets a leading apostrophe in the CSV only (the JSON keeps the exact values that are hashed).
        self.csv_file = self.csv_tmp.open("w", encoding="utf-8", newline="")
        self.csv_file.write(codecs.BOM_UTF8.decode("utf-8"))
        self.csv = csv.writer(self.csv_file)
        self.csv.writerow(COLUMNS)
        text = json.dumps(header, ensure_ascii=False, indent=1)
        self.json_file.write(text[: text.rindex("}")].rstrip() + ',\n "rows": [')

    def write_rows(self, rows: Sequence[Sequence[Any]]) -> None:
        buffer = io.StringIO()
        for row in rows:
            buffer.write(",\n  " if self.rows else "\n  ")
            buffer.write(json.dumps(list(row), ensure_ascii=False, separators=(",", ":")))
            self.csv.writerow(["" if v is None else _csv_safe(v) for v in row])
            self.rows += 1
        self.json_file.write(buffer.getvalue())

    def finish(self) -> None:
        self.json_file.write("\n ]\n}\n")
        for handle in (self.json_file, self.csv_file):
            handle.flush()
            os.fsync(handle.fileno())
            handle.close()
        os.replace(self.json_tmp, self.out_dir / JSON_NAME)
        os.replace(self.csv_tmp, self.out_dir / CSV_NAME)
        html = VERIFIER_HTML.read_bytes()
        target = self.out_dir / HTML_NAME
        temp = self.out_dir / f".{HTML_NAME}.tmp"
        temp.write_bytes(html)
        os.replace(temp, target)

    def discard(self) -> None:
        for handle in (self.json_file, self.csv_file):
            handle.close()
        for temp in (self.json_tmp, self.csv_tmp):
            temp.unlink(missing_ok=True)


def _csv_safe(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
