"""Excel (.xlsx, openpyxl) and CSV files of the register. Blocking: run these in an executor.

CSV is written UTF-8 with a BOM so that Excel opens it with the Chinese intact; read, it may also come in
GB18030 (what Excel saves on a Chinese Windows). Text that a spreadsheet would run as a formula is
written so that it stays text, and comes back unchanged.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

XLSX_MAGIC = b"PK\x03\x04"
FORMULA_START = ("=", "+", "-", "@")
MAX_FILE_BYTES = 50 * 1024 * 1024
HEADER_SEARCH_ROWS = 5  # a title line or two above the header row is tolerated
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"

Row = tuple[int, list[Any]]  # (row number as the spreadsheet shows it, cells)


class TableError(ValueError):
    """A file that cannot be read as a table at all (the rows of a readable one are judged one by one)."""


def detect_format(content: bytes, name: str | None = None, given: str | None = None) -> str:
    if given:
        return given
    if content.startswith(XLSX_MAGIC) or (name or "").lower().endswith(".xlsx"):
        return "xlsx"
    return "csv"


def read_table(content: bytes, fmt: str, max_rows: int) -> list[Row]:
    """All non-empty rows of the first sheet with their row numbers (header row included)."""
    if len(content) > MAX_FILE_BYTES:
        raise TableError(f"文件过大 the file has {len(content)} bytes; at most {MAX_FILE_BYTES}")
    return _read_xlsx(content, max_rows) if fmt == "xlsx" else _read_csv(content, max_rows)


def _is_blank(cells: Sequence[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _read_xlsx(content: bytes, max_rows: int) -> list[Row]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises many kinds for a damaged or foreign file
        raise TableError(f"不是有效的Excel文件 not a readable .xlsx file: {err}") from None
    try:
        sheet = book.worksheets[0]
        rows: list[Row] = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_unescape(v) for v in values]
            if _is_blank(cells):
                continue
            rows.append((number, cells))
            if len(rows) > max_rows + HEADER_SEARCH_ROWS:
                raise TableError(f"行数过多 more than {max_rows} rows; split the file")
        return rows
    finally:
        book.close()


def _read_csv(content: bytes, max_rows: int) -> list[Row]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise TableError("无法识别文件编码 the file is neither UTF-8 nor GB18030")
    if "\x00" in text:
        raise TableError("不是CSV文本文件 not a CSV text file (binary content)")
    rows: list[Row] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for cells in reader:
            if _is_blank(cells):
                continue
            rows.append((reader.line_num, [_unescape(c) for c in cells]))
            if len(rows) > max_rows + HEADER_SEARCH_ROWS:
                raise TableError(f"行数过多 more than {max_rows} rows; split the file")
    except csv.Error as err:
        raise TableError(f"CSV格式错误 line {reader.line_num}: {err}") from None
    return rows


def _unescape(value: Any) -> Any:
    # What _escape wrote for a text starting like a formula.
    if isinstance(value, str) and value.startswith("'") and value[1:2] in FORMULA_START:
        return value[1:]
    return value


def _escape(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


def write_table(fmt: str, title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    return _write_xlsx(title, headers, rows) if fmt == "xlsx" else _write_csv(headers, rows)


def _write_csv(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
    return out.getvalue().encode("utf-8-sig")


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return _escape(str(value))


def _write_xlsx(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    # Write-only mode streams the rows: a normal workbook slows down quadratically with size.
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    rows = list(rows)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    widths = [max(8, len(h) * 2 + 2) for h in headers]
    for row in rows:
        for i, v in enumerate(row):
            if v is not None:
                widths[i] = min(66, max(widths[i], len(str(v)) + 2))
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header_cells = []
    for h in headers:
        cell = WriteOnlyCell(sheet, value=h)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        sheet.append([_xlsx_cell(sheet, v, WriteOnlyCell) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_cell(sheet: Any, value: Any, cell_type: Any) -> Any:
    if isinstance(value, datetime):
        value = value.replace(tzinfo=None)
    if isinstance(value, date):
        cell = cell_type(sheet, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    if isinstance(value, str) and value.startswith("="):
        cell = cell_type(sheet, value=value)
        cell.data_type = "s"  # text, never a formula, whatever it starts with
        return cell
    return value
