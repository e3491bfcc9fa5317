"""Spreadsheet cells that stay text: a plate or a name a person typed is never run as a formula.

Excel, WPS and LibreOffice take a cell that begins with = + - @ (or a tab or carriage return) as a
formula, so a crafted plate or cargo name could run when an inspector opens an export (CSV or
formula injection). Such text is written as text: in .xlsx as a string cell with a quote prefix, in
CSV with a leading apostrophe, which the programs show as the text itself.
"""

from __future__ import annotations

from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def risky(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START)


def csv_text(value: Any) -> Any:
    """A value for a CSV cell: None as empty, formula-looking text behind an apostrophe."""
    if value is None:
        return ""
    return "'" + value if risky(value) else value


def keep_text(cell: Any) -> Any:
    """An openpyxl cell whose value looks like a formula, made a plain string cell; returns the cell."""
    if risky(cell.value):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell
