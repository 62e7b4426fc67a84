"""Tables to CSV and XLSX. Pure code: a table is a title, column headers and rows of plain values.

Both writers neutralise spreadsheet formulas: a cell that starts with ``=``, ``+``, ``-``, ``@`` or a
control character is written as text (CSV: prefixed with an apostrophe; XLSX: typed as a string), so
a name typed into a form cannot run as a formula on the data officer's computer (CSV injection).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")

CSV_MIME = "text/csv; charset=utf-8"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Table:
    """One exported table; ``key`` names the sheet and the file."""

    key: str
    title: str
    columns: Sequence[str]
    rows: Iterable[Sequence[Any]]


def _cell(value: Any, zone: ZoneInfo | None) -> Any:
    if isinstance(value, datetime):
        local = value.astimezone(zone) if zone is not None else value
        return local.replace(tzinfo=None)  # spreadsheets have no time zones; the office's wall clock
    if isinstance(value, list | tuple | set):
        return ", ".join(str(v) for v in value)
    return value


def _is_formula(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(_FORMULA_START)


def to_csv(table: Table, *, zone: ZoneInfo | None = None) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs read Indonesian names correctly."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(table.columns)
    for row in table.rows:
        out = []
        for value in row:
            value = _cell(value, zone)
            if isinstance(value, datetime):
                value = value.strftime("%Y-%m-%d %H:%M")
            elif isinstance(value, date):
                value = value.isoformat()
            out.append("'" + value if _is_formula(value) else value)
        writer.writerow(out)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(tables: Sequence[Table], *, zone: ZoneInfo | None = None) -> bytes:
    """One sheet per table, a bold header row, dates as real spreadsheet dates."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for table in tables:
        sheet = book.create_sheet(title=_sheet_title(table.key))
        header = []
        for name in table.columns:
            cell = WriteOnlyCell(sheet, value=str(name))
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for row in table.rows:
            cells = []
            for value in row:
                value = _cell(value, zone)
                cell = WriteOnlyCell(sheet, value=value)
                if _is_formula(value):
                    cell.data_type = "s"
                elif isinstance(value, datetime):
                    cell.number_format = "yyyy-mm-dd hh:mm"
                cells.append(cell)
            sheet.append(cells)
    if not tables:
        book.create_sheet(title="empty")
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _sheet_title(key: str) -> str:
    """Excel sheet names: at most 31 characters, none of ``[]:*?/\\``."""
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in key)
    return cleaned[:31] or "sheet"
