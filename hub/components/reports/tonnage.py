"""Other modes' tonnage (rail, waterway, pipeline, belt corridor) entered by the officer or imported from
an .xlsx/.csv per period, each row with its source note; entries are only added (a correction names the
entry it replaces)."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError

from .const import MODE_LABELS, MODES
from .models import OtherModeTonnage
from .schemas import TonnageEntry

MAX_ROWS = 10_000
MAX_UNZIPPED = 64 * 1024 * 1024
HEADERS = {
    "mode": ("mode", "方式", "运输方式"),
    "direction": ("direction", "方向", "进出"),
    "start": ("start", "开始日期", "起始日期", "开始"),
    "end": ("end", "结束日期", "截止日期", "结束"),
    "tonnes": ("tonnes", "吨数", "运输量", "运输量(吨)", "重量(吨)"),
    "cargo": ("cargo", "货物", "货物名称"),
    "source": ("source", "来源", "数据来源"),
}
MODE_WORDS = {
    **{m: m for m in MODES},
    **{label: m for m, label in MODE_LABELS.items()},
    "铁路": "rail",
    "水路": "waterway",
    "水运": "waterway",
    "管道": "pipeline",
    "皮带": "belt",
    "皮带通廊": "belt",
    "管状带式输送": "belt",
}
DIRECTION_WORDS = {"in": "in", "out": "out", "入厂": "in", "进厂": "in", "出厂": "out", "1": "in", "2": "out"}


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip() if isinstance(value, str) else value


def read_table(filename: str, content: bytes) -> list[list[Any]]:
    """Blocking: the file's rows (header first), refused when it would unpack beyond the limits."""
    if filename.lower().endswith(".csv"):
        text = content.decode("utf-8-sig") if not _gbk(content) else content.decode("gbk")
        return [row for row in csv.reader(io.StringIO(text))][: MAX_ROWS + 1]
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        if sum(i.file_size for i in archive.infolist()) > MAX_UNZIPPED:
            raise ValueError("文件解压后过大 the file unpacks to more than 64 MiB")
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        rows = []
        for row in book.worksheets[0].iter_rows(values_only=True):
            rows.append([_cell(v) for v in row])
            if len(rows) > MAX_ROWS:
                break
        return rows
    finally:
        book.close()


def _gbk(content: bytes) -> bool:
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def _number(value: Any) -> Any:
    """A cell's number (CSV cells are text); what is no number is left for the schema to refuse."""
    if isinstance(value, str):
        try:
            return float(value.replace(",", ""))
        except ValueError:
            return value
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


def parse_rows(rows: list[list[Any]], source: str) -> tuple[list[TonnageEntry], list[dict[str, Any]]]:
    """Rows with a header line -> entries, and the errors by row number (the first data row is 2)."""
    if not rows:
        return [], [{"row": 1, "error": "空文件 empty file"}]
    index: dict[str, int] = {}
    for n, name in enumerate(rows[0]):
        for field, words in HEADERS.items():
            if str(name or "").strip().lower() in words:
                index.setdefault(field, n)
    missing = [f for f in ("mode", "direction", "start", "end", "tonnes") if f not in index]
    if missing:
        return [], [{"row": 1, "error": f"缺少列 missing columns: {', '.join(missing)}"}]
    entries, errors = [], []
    for number, row in enumerate(rows[1:], 2):
        if not any(v not in (None, "") for v in row):
            continue
        get = {f: (row[i] if i < len(row) else None) for f, i in index.items()}
        try:
            entries.append(
                TonnageEntry.model_validate(
                    {
                        "mode": MODE_WORDS.get(str(get["mode"]).strip(), str(get["mode"])),
                        "direction": DIRECTION_WORDS.get(str(get["direction"]).strip(), get["direction"]),
                        "start": get["start"],
                        "end": get["end"],
                        "tonnes": _number(get["tonnes"]),
                        "cargo": get.get("cargo") or None,
                        "source": str(get.get("source") or source),
                    }
                )
            )
        except ValidationError as err:
            errors.append(
                {
                    "row": number,
                    "error": "; ".join(
                        f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in err.errors()
                    ),
                }
            )
    return entries, errors


async def async_add(entry: TonnageEntry, user_id: str | None, at: str, file: str | None = None) -> int:
    if entry.replaces is not None and not await OtherModeTonnage.exists(id=entry.replaces):
        raise ValueError(f"no tonnage entry {entry.replaces} to replace")
    row = await OtherModeTonnage.create(
        mode=entry.mode,
        direction=entry.direction,
        first_day=entry.start.isoformat(),
        last_day=entry.end.isoformat(),
        tonnes=entry.tonnes,
        cargo=entry.cargo,
        source=entry.source.strip(),
        entered_by=user_id,
        entered_at=at,
        file=file,
        replaces=entry.replaces,
    )
    return int(row.id)
