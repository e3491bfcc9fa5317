"""Excel (.xlsx, openpyxl) and CSV files of the register. Blocking: run these in an executor.

CSV is written UTF-8 with a BOM so that Excel opens it with the Chinese intact; read, it may also come in
GB18030 (what Excel saves on a Chinese Windows). Text that a spreadsheet would run as a formula is
written so that it stays text, and comes back unchanged.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from .problems import problem

XLSX_MAGIC = b"PK\x03\x04"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet may run as a formula
MAX_FILE_BYTES = 50 * 1024 * 1024
# An .xlsx is a zip of XML: what it may inflate to is checked before anything is read. Python's zipfile
# stops at the declared size (a lying entry fails its CRC), so the declared sizes are binding. 100,000
# rows of the widest class are ~100 MiB of sheet XML; real sheets compress 5-20 times.
MAX_UNZIPPED_BYTES = 256 * 1024 * 1024
MAX_SHARED_STRINGS_BYTES = 64 * 1024 * 1024  # openpyxl keeps every shared string in memory at once
MAX_RATIO = 100  # Apache POI's bomb threshold, for entries above RATIO_FROM
RATIO_FROM = 1024 * 1024
MAX_ZIP_ENTRIES = 1000
MAX_COLUMNS = 200  # the widest class has 25 fields; a sheet may claim 16,384 columns per row
MAX_ROW_CHARS = 64 * 1024  # one CSV line of the register is a few hundred characters
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
        raise TableError(problem("file_too_large", size=len(content), max=MAX_FILE_BYTES))
    return _read_xlsx(content, max_rows) if fmt == "xlsx" else _read_csv(content, max_rows)


def _is_blank(cells: Sequence[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def check_xlsx(content: bytes) -> None:
    """Refuse a workbook whose parts would inflate beyond what a register needs (a zip bomb)."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, ValueError) as err:
        raise TableError(problem("xlsx_unreadable", error=err)) from None
    if len(parts) > MAX_ZIP_ENTRIES:
        raise TableError(problem("xlsx_parts", count=len(parts), max=MAX_ZIP_ENTRIES))
    total = sum(p.file_size for p in parts)
    if total > MAX_UNZIPPED_BYTES:
        raise TableError(problem("xlsx_inflates", mib=total // 2**20, max=MAX_UNZIPPED_BYTES // 2**20))
    for part in parts:
        if part.filename.lower().endswith("sharedstrings.xml") and part.file_size > MAX_SHARED_STRINGS_BYTES:
            mib, most = part.file_size // 2**20, MAX_SHARED_STRINGS_BYTES // 2**20
            raise TableError(problem("xlsx_strings", mib=mib, max=most))
        if part.file_size > RATIO_FROM and part.file_size > MAX_RATIO * max(part.compress_size, 1):
            ratio = part.file_size // max(part.compress_size, 1)
            raise TableError(problem("xlsx_ratio", part=part.filename, ratio=ratio, max=MAX_RATIO))


def inflated_size(content: bytes) -> int:
    """What a file amounts to once unzipped, as it declares (CSV or not a zip: its own size)."""
    if not content.startswith(XLSX_MAGIC):
        return len(content)
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return sum(p.file_size for p in archive.infolist())
    except (zipfile.BadZipFile, ValueError):
        return len(content)


def _read_xlsx(content: bytes, max_rows: int) -> list[Row]:
    from openpyxl import load_workbook

    check_xlsx(content)
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises many kinds for a damaged or foreign file
        raise TableError(problem("xlsx_unreadable", error=err)) from None
    try:
        sheet = book.worksheets[0]
        # openpyxl pads every row to the width the sheet declares (or, undeclared, to its last cell).
        declared = sheet.max_column
        if declared is not None and declared > MAX_COLUMNS:
            raise TableError(problem("too_many_columns", count=declared, max=MAX_COLUMNS))
        rows: list[Row] = []
        width = declared or MAX_COLUMNS
        for number, values in enumerate(sheet.iter_rows(max_col=width, values_only=True), start=1):
            cells = _trimmed(values)  # an .xlsx cell is text or not by its type: nothing to undo
            if _is_blank(cells):
                continue
            rows.append((number, cells))
            if len(rows) > max_rows + HEADER_SEARCH_ROWS:
                raise TableError(problem("too_many_rows", max=max_rows))
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
        raise TableError(problem("csv_binary"))
    rows: list[Row] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for cells in reader:
            if _is_blank(cells):
                continue
            if len(cells) > MAX_COLUMNS or sum(map(len, cells)) > MAX_ROW_CHARS:
                raise TableError(
                    problem(
                        "csv_line_long", line=reader.line_num, fields=len(cells), chars=sum(map(len, cells)),
                        max_fields=MAX_COLUMNS, max_chars=MAX_ROW_CHARS,
                    )
                )  # fmt: skip
            rows.append((reader.line_num, [_unescape(c) for c in _trimmed(cells)]))
            if len(rows) > max_rows + HEADER_SEARCH_ROWS:
                raise TableError(problem("too_many_rows", max=max_rows))
    except csv.Error as err:
        raise TableError(problem("csv_broken", line=reader.line_num, error=err)) from None
    return rows


def _trimmed(cells: Sequence[Any]) -> list[Any]:
    """The cells up to the last one that holds something: padding costs memory for every row kept."""
    end = len(cells)
    while end and (cells[end - 1] is None or cells[end - 1] == ""):
        end -= 1
    return list(cells[:end])


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
