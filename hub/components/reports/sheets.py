"""Streaming report files (blocking: run in the executor): .xlsx in openpyxl's write-only mode, so that
a million rows never sit in memory, or CSV (UTF-8 with BOM for Excel, GBK on request).

Every sheet starts with a header block (title, plant, period, generated at, by whom, chain head hash),
then the column headings (frozen, repeated on each printed page), A4 landscape fitted to the page
width. Text beginning with = + - @ (or a tab or carriage return) stays text (hub/util/cells.py).
"""

from __future__ import annotations

import csv
import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hub.util.cells import csv_text, keep_text, risky


@dataclass(frozen=True, slots=True)
class Column:
    heading: str
    width: float = 12
    number_format: str | None = None  # "0.0" (tonnes), "0" (counts), "0.0%"
    link: bool = False  # the value is a URL: a link cell in .xlsx (the URL itself in CSV)


def link_formula(url: str) -> str:
    """A link cell as Excel's HYPERLINK formula: a third cheaper to write than a hyperlink object (no
    relationship per cell; measured with bench/reports.py), and it prints as its label. The URL's quotes
    and anything but printable ASCII are percent-encoded, so the formula cannot be broken out of."""
    safe = "".join(c if 32 < ord(c) < 127 and c != '"' else f"%{ord(c):02X}" for c in url)
    return f'=HYPERLINK("{safe}","查看")'


class ReportBook:
    """One report file with one or more sheets (CSV: the sheets one after the other)."""

    def __init__(self, path: Path, fmt: str, encoding: str = "utf-8") -> None:
        self.path, self.fmt = path, fmt
        self.tmp = path.with_name(f".{path.name}.tmp")
        self.rows = 0
        self._sheet: Any = None
        self._csv: Any = None
        if fmt == "xlsx":
            from openpyxl import Workbook

            self._book = Workbook(write_only=True)
        else:
            # GBK cannot hold every character (rare names): those become '?', never a failed export.
            codec = "utf-8-sig" if encoding == "utf-8" else "gbk"
            self._file = open(self.tmp, "w", encoding=codec, errors="replace", newline="")
            self._csv = csv.writer(self._file)

    def sheet(self, title: str, header: Sequence[tuple[str, Any]], columns: Sequence[Column]) -> None:
        """Start a sheet: `header` is the block of (label, value) lines above the table."""
        self.columns = list(columns)
        if self._csv is not None:
            if self.rows:
                self._csv.writerow([])
            self._csv.writerow([title])
            for label, value in header:
                self._csv.writerow([label, self._text(value)])
            self._csv.writerow([c.heading for c in columns])
            return
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Alignment, Font
        from openpyxl.utils import get_column_letter

        ws = self._book.create_sheet(title[:31])
        for n, col in enumerate(columns, 1):
            ws.column_dimensions[get_column_letter(n)].width = col.width
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = "9"  # A4
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        heading_row = len(header) + 3
        ws.freeze_panes = f"A{heading_row + 1}"
        ws.print_title_rows = f"{heading_row}:{heading_row}"
        bold = Font(bold=True)
        first = WriteOnlyCell(ws, title)
        first.font = Font(bold=True, size=14)
        ws.append([first])
        for label, value in header:
            cell = WriteOnlyCell(ws, label)
            cell.font = bold
            ws.append([cell, self._xlsx_cell(ws, value, None)])
        ws.append([])
        headings = []
        for col in columns:
            cell = WriteOnlyCell(ws, col.heading)
            cell.font = bold
            cell.alignment = Alignment(wrap_text=True, vertical="center")
            headings.append(cell)
        ws.append(headings)
        self._sheet = ws

    def append(self, rows: Iterable[Sequence[Any]]) -> None:
        if self._csv is not None:
            for row in rows:
                self._csv.writerow([self._text(v) for v in row])
                self.rows += 1
            return
        ws, columns = self._sheet, self.columns
        formats = {n for n, c in enumerate(columns) if c.number_format}
        links = {n for n, c in enumerate(columns) if c.link}
        for row in rows:
            values = list(row)
            for n, value in enumerate(values):
                if n in links and isinstance(value, str):
                    values[n] = link_formula(value)  # ours, built from a checked URL: no injection
                elif risky(value) or (n in formats and value is not None):
                    values[n] = self._xlsx_cell(ws, value, columns[n] if n < len(columns) else None)
            ws.append(values)
            self.rows += 1

    def picture(self, data: bytes, anchor: str) -> None:
        """A PNG on the current sheet, its top left corner at cell `anchor` (.xlsx only)."""
        import io

        from openpyxl.drawing.image import Image

        self._sheet.add_image(Image(io.BytesIO(data)), anchor)

    _text = staticmethod(csv_text)

    @staticmethod
    def _xlsx_cell(ws: Any, value: Any, column: Column | None) -> Any:
        from openpyxl.cell import WriteOnlyCell

        cell = keep_text(WriteOnlyCell(ws, value))  # never a formula, whatever it starts with
        if column is not None and column.number_format and isinstance(value, int | float):
            cell.number_format = column.number_format
        return cell

    def close(self) -> tuple[int, str]:
        """Finish the file under its name (written to a temporary name, flushed, renamed): size, SHA-256."""
        if self._csv is not None:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
        else:
            self._book.save(self.tmp)
        digest = hashlib.sha256()
        with open(self.tmp, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        size = self.tmp.stat().st_size
        os.replace(self.tmp, self.path)
        return size, digest.hexdigest()

    def abort(self) -> None:
        if self._csv is not None and not self._file.closed:
            self._file.close()
        self.tmp.unlink(missing_ok=True)
