"""Reading (python-calamine) and writing (XlsxWriter) the workbooks: templates, error reports,
exports. No database access here."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator
from typing import IO, Any

import xlsxwriter
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from python_calamine import CalamineError, CalamineWorkbook

from .columns import Column, Text

MAX_ROW = 1_048_575  # last row index of a sheet (0-based)
ZIP_MAGIC = b"PK\x03\x04"
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


class FileError(Exception):
    """The file as a whole cannot be imported (not an .xlsx, no header, missing columns)."""


def sheet_name(text: str) -> str:
    return _BAD_SHEET_CHARS.sub(" ", str(text))[:31] or "Sheet1"


def normalise_header(text: Any) -> str:
    """Header text for matching: no spaces, no required-mark asterisk, case-folded."""
    return re.sub(r"[\s*＊]", "", str(text or "")).casefold()


def open_rows(data: bytes | IO[bytes]) -> Iterator[list[Any]]:
    """The rows of the first sheet, as python-calamine reads them."""
    raw = data if isinstance(data, bytes) else data.read()
    if not raw.startswith(ZIP_MAGIC):
        raise FileError(_("The file is not an Excel workbook (.xlsx)."))
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(raw))
        sheet = book.get_sheet_by_index(0)
        rows = sheet.iter_rows()
    except (CalamineError, ValueError, OSError, IndexError) as exc:
        raise FileError(_("The file is not an Excel workbook (.xlsx) or it is damaged.")) from exc
    return _guarded(rows)


def _guarded(rows: Iterator[list[Any]]) -> Iterator[list[Any]]:
    try:
        yield from rows
    except (CalamineError, ValueError, OSError) as exc:
        raise FileError(_("The file is not an Excel workbook (.xlsx) or it is damaged.")) from exc


def _book(out: IO[bytes] | str, constant_memory: bool = False) -> xlsxwriter.Workbook:
    return xlsxwriter.Workbook(out, {"constant_memory": constant_memory, "default_date_format": "yyyy-mm-dd",
                                     "remove_timezone": True, "strings_to_numbers": False,
                                     "strings_to_formulas": False, "strings_to_urls": False})


def _formats(book: xlsxwriter.Workbook) -> dict[str, Any]:
    return {
        "header": book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1}),
        "required": book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "font_color": "#C00000"}),
        "date": book.add_format({"num_format": "yyyy-mm-dd"}),
        "datetime": book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
        "text": book.add_format({"num_format": "@"}),
        "error": book.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"}),
        "wrap": book.add_format({"text_wrap": True, "valign": "top"}),
        "bold": book.add_format({"bold": True}),
    }


def write_template(spec: Any, out: IO[bytes]) -> None:
    """The import template: header row, dropdowns for coded columns (values on a hidden sheet),
    and the sheet "填写说明" describing every column."""
    columns: list[Column] = spec.import_columns()
    book = _book(out)
    fmt = _formats(book)
    data = book.add_worksheet(sheet_name(spec.sheet_title()))
    notes = book.add_worksheet(sheet_name(pgettext("excel", "Instructions")))
    lists = book.add_worksheet("_values")
    for i, col in enumerate(columns):
        data.write_string(0, i, str(col.header), fmt["required" if col.required else "header"])
        data.set_column(i, i, max(col.width, len(str(col.header)) * 2 + 2),
                        fmt["text"] if isinstance(col, Text) else None)
        values = col.allowed_values()
        if values:
            lists.write_string(0, i, str(col.header))
            for j, value in enumerate(values, start=1):
                lists.write_string(j, i, str(value))
            letter = xlsxwriter.utility.xl_col_to_name(i)
            data.data_validation(1, i, MAX_ROW, i, {
                "validate": "list",
                "source": f"='_values'!${letter}$2:${letter}${len(values) + 1}",
                "error_title": str(col.header)[:32],
                "error_message": _("Choose one of the values in the list.")[:255],
                "ignore_blank": True,
            })
    data.freeze_panes(1, 0)
    lists.hide()

    heads = [pgettext("excel", "Column"), pgettext("excel", "Type"), pgettext("excel", "Required"),
             pgettext("excel", "Allowed values"), pgettext("excel", "Description")]
    notes.write_string(0, 0, _("How to fill in “%(name)s”") % {"name": spec.label}, fmt["bold"])
    rules = [
        _("Fill in one record per row below the header row; do not change the header texts."),
        _("Columns marked red are required when a record is created."),
        _("“Create only” refuses rows whose %(key)s already exists; “Update existing” updates them "
          "and leaves a field unchanged when its cell is empty.")
        % {"key": spec.key_column().header},
        _("A file with any error imports nothing: download the error report, correct the rows and "
          "import it again."),
    ]
    for r, rule in enumerate(rules, start=1):
        notes.write_string(r, 0, f"{r}. {rule}")
    start = len(rules) + 2
    for i, head in enumerate(heads):
        notes.write_string(start, i, head, fmt["header"])
    for r, col in enumerate(columns, start=start + 1):
        values = col.allowed_values()
        notes.write_string(r, 0, str(col.header))
        notes.write_string(r, 1, str(col.type_label))
        notes.write_string(r, 2, _("Yes") if col.required else _("No"))
        notes.write_string(r, 3, _("、").join(str(v) for v in values) if values else "", fmt["wrap"])
        notes.write_string(r, 4, col.describe(), fmt["wrap"])
    notes.set_column(0, 0, 18)
    notes.set_column(1, 2, 12)
    notes.set_column(3, 4, 50)
    book.close()


def write_error_report(headers: list[Any], failed: Iterable[Any], out: IO[bytes], *, title: str) -> None:
    """Rows with their original cells, then "行号" and "错误信息" (empty for a row without error).

    ``failed``: objects with ``number`` (row number in the original file), ``cells`` (original
    values in file order), ``error_columns`` (indexes of cells in error) and ``message``. The
    extra columns are ignored on re-import, so the fixed report can be imported as it is.
    """
    book = _book(out)
    fmt = _formats(book)
    sheet = book.add_worksheet(sheet_name(title))
    width = len(headers)
    for i, head in enumerate(headers):
        sheet.write(0, i, "" if head is None else head, fmt["header"])
        sheet.set_column(i, i, 16)
    sheet.write_string(0, width, pgettext("excel", "Row"), fmt["required"])
    sheet.write_string(0, width + 1, pgettext("excel", "Errors"), fmt["required"])
    sheet.set_column(width, width, 8)
    sheet.set_column(width + 1, width + 1, 60)
    for r, row in enumerate(failed, start=1):
        for c in range(width):
            value = row.cells[c] if c < len(row.cells) else ""
            cell_fmt = fmt["error"] if c in row.error_columns else None
            _write_cell(sheet, r, c, value, cell_fmt, fmt)
        sheet.write_number(r, width, row.number)
        if row.message:
            sheet.write_string(r, width + 1, row.message, fmt["error"])
    sheet.freeze_panes(1, 0)
    book.close()


def _write_cell(sheet: Any, r: int, c: int, value: Any, cell_fmt: Any, fmt: dict[str, Any]) -> None:
    if value is None or value == "":
        sheet.write_blank(r, c, None, cell_fmt)
    elif isinstance(value, bool):
        sheet.write_boolean(r, c, value, cell_fmt)
    elif isinstance(value, int | float):
        sheet.write_number(r, c, value, cell_fmt)
    elif isinstance(value, dt.datetime):
        sheet.write_datetime(r, c, value.replace(tzinfo=None), cell_fmt or fmt["datetime"])
    elif isinstance(value, dt.date):
        sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), cell_fmt or fmt["date"])
    else:
        sheet.write_string(r, c, str(value), cell_fmt)


class ExportWriter:
    """Streams rows into a workbook with ``constant_memory`` (each row is flushed as written)."""

    def __init__(self, out: IO[bytes] | str, *, title: str, headers: list[str], widths: list[int] | None = None):
        self.book = _book(out, constant_memory=True)
        self.fmt = _formats(self.book)
        self.sheet = self.book.add_worksheet(sheet_name(title))
        for i, head in enumerate(headers):
            self.sheet.write_string(0, i, head, self.fmt["header"])
            self.sheet.set_column(i, i, (widths or [])[i] if widths and i < len(widths) else 16)
        self.row = 0

    def write(self, cells: list[Any]) -> None:
        self.row += 1
        for c, value in enumerate(cells):
            _write_cell(self.sheet, self.row, c, value, None, self.fmt)

    def close(self) -> None:
        self.book.close()
