"""The import and export runs (R-IMP-1).

:func:`run_import` reads a workbook, validates every row (types, required cells, lengths,
choices, references resolved in one query per column, duplicate keys within the file, existing
keys, the spec's cross-row rules, data scope), then writes all good rows through the spec's
services inside one transaction. If any row fails — in validation or in a service — the
transaction is rolled back: nothing is saved, and the result carries the errors and an error
report workbook (the failed rows as they were, plus "行号" and "错误信息").

:func:`run_export` streams a queryset into a workbook with flat memory.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import IO, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, IntegrityError, models, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from .columns import CellError, Column, Deferred, _as_text, _clean
from .specs import MODE_CREATE, MODE_UPDATE, ExportSpec, ImportSpec, RowContext
from .xlsx import ExportWriter, FileError, normalise_header, open_rows, write_error_report

Progress = Callable[[int, int], None]
PROGRESS_EVERY = 200


@dataclass
class Row:
    """One data row of the imported file."""

    number: int  # row number in the file, as Excel shows it
    cells: list[Any]
    raw: dict[str, Any]
    values: dict[str, Any] = dc_field(default_factory=dict)
    errors: list[tuple[str | None, str]] = dc_field(default_factory=list)
    existing: models.Model | None = None

    def add_error(self, field: str | None, message: str) -> None:
        self.errors.append((field, str(message)))

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class FailedRow:
    number: int
    cells: list[Any]
    error_columns: set[int]
    message: str


@dataclass
class ImportResult:
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict[str, Any]] = dc_field(default_factory=list)  # {"row", "column", "message"}
    file_error: str = ""
    report: bytes | None = None
    notes: dict[int, str] = dc_field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.file_error


def _header_aliases(col: Column) -> set[str]:
    names = {normalise_header(col.header), normalise_header(col.field)}
    with translation.override("en"):
        names.add(normalise_header(str(col.header)))
    with translation.override("zh-hans"):
        names.add(normalise_header(str(col.header)))
    return names


def _map_headers(spec: ImportSpec, headers: list[Any]) -> dict[int, Column]:
    aliases: dict[str, Column] = {}
    for col in spec.import_columns():
        for name in _header_aliases(col):
            aliases.setdefault(name, col)
    mapping: dict[int, Column] = {}
    seen: set[str] = set()
    for i, head in enumerate(headers):
        col = aliases.get(normalise_header(head))
        if col is not None and col.field not in seen:
            mapping[i] = col
            seen.add(col.field)
    missing = [c for c in spec.import_columns() if (c.required or c.field == spec.key) and c.field not in seen]
    if missing:
        raise FileError(
            _("The file lacks the required columns: %(columns)s. Download the template to see them.")
            % {"columns": _("、").join(str(c.header) for c in missing)}
        )
    return mapping


def _read(spec: ImportSpec, data: bytes | IO[bytes]) -> tuple[list[Any], dict[int, Column], list[Row]]:
    rows_iter = open_rows(data)
    headers: list[Any] | None = None
    header_number = 0
    for header_number, cells in enumerate(rows_iter, start=1):  # noqa: B007
        if any(_clean(c) is not None for c in cells):
            headers = list(cells)
            break
    if headers is None:
        raise FileError(_("The file is empty: it has no header row."))
    mapping = _map_headers(spec, headers)
    rows: list[Row] = []
    for number, cells in enumerate(rows_iter, start=header_number + 1):
        raw = {col.field: _clean(cells[i]) if i < len(cells) else None for i, col in mapping.items()}
        if all(v is None for v in raw.values()):
            continue
        rows.append(Row(number=number, cells=list(cells), raw=raw))
    if not rows:
        raise FileError(_("The file has no data rows."))
    return headers, mapping, rows


def _validate(spec: ImportSpec, ctx: RowContext, mapping: dict[int, Column], rows: list[Row]) -> None:
    columns = list(mapping.values())
    keys_by_row: dict[int, str] = {}
    for row in rows:
        raw_key = row.raw.get(spec.key)
        if raw_key is not None:
            keys_by_row[row.number] = _as_text(raw_key)
    ctx.file_keys = set(keys_by_row.values())

    # Duplicate keys within the file.
    counts = Counter(keys_by_row.values())
    dup_rows: dict[str, list[int]] = {}
    for number, key in keys_by_row.items():
        if counts[key] > 1:
            dup_rows.setdefault(key, []).append(number)

    # Existing records, and which of them the user may change — two queries for the whole file.
    existing = spec.find_existing(ctx.file_keys)
    changeable: set[Any] = set()
    if existing:
        changeable = set(
            spec.base_queryset(ctx.user, "change").filter(pk__in=[o.pk for o in existing.values()])
            .values_list("pk", flat=True)
        )

    # References: one query per column.
    for col in columns:
        col.prepare({row.raw[col.field] for row in rows if row.raw.get(col.field) is not None}, ctx)

    for row in rows:
        key = keys_by_row.get(row.number)
        if key is not None and key in dup_rows:
            row.add_error(spec.key, _("“%(value)s” appears more than once in this file (rows %(rows)s)")
                          % {"value": key, "rows": _("、").join(str(n) for n in dup_rows[key])})
        obj = existing.get(key) if key is not None else None
        if obj is not None:
            if ctx.mode == MODE_CREATE:
                row.add_error(spec.key, _("“%(value)s” already exists") % {"value": key})
            elif obj.pk not in changeable:
                row.add_error(spec.key, _("“%(value)s” is outside your data scope") % {"value": key})
            else:
                row.existing = obj
        creating = obj is None
        for col in columns:
            raw = row.raw.get(col.field)
            if raw is None:
                if col.required and creating:
                    row.add_error(col.field, _("is required"))
                continue
            if col.create_only and not creating:
                continue
            try:
                row.values[col.field] = col.parse(raw, ctx)
            except CellError as exc:
                row.add_error(col.field, str(exc))
    spec.check_rows(ctx, rows)


def _resolve_deferred(columns: dict[str, Column], ctx: RowContext, row: Row) -> None:
    """Turn references to earlier rows of the file into records (they exist by now)."""
    for name, value in list(row.values.items()):
        col = columns[name]
        try:
            if isinstance(value, Deferred):
                row.values[name] = col.resolve_deferred(value, ctx)  # type: ignore[attr-defined]
            elif isinstance(value, list) and any(isinstance(v, Deferred) for v in value):
                row.values[name] = [col.resolve_deferred(v, ctx) if isinstance(v, Deferred) else v  # type: ignore
                                    for v in value]
        except CellError as exc:
            row.add_error(name, str(exc))


def _errors_from_validation(spec: ImportSpec, row: Row, exc: ValidationError) -> None:
    fields = {c.field for c in spec.import_columns()}
    if hasattr(exc, "error_dict"):
        for name, messages in exc.message_dict.items():
            target = name if name in fields else None
            for message in messages:
                row.add_error(target, message if target or name == "__all__" else f"{name}: {message}")
    else:
        for message in exc.messages:
            row.add_error(None, message)


def _apply(spec: ImportSpec, ctx: RowContext, mapping: dict[int, Column], rows: list[Row],
           result: ImportResult, progress: Progress | None) -> None:
    columns = {c.field: c for c in mapping.values()}
    total = len(rows)
    for done, row in enumerate(rows, start=1):
        if progress and (done % PROGRESS_EVERY == 0 or done == total):
            progress(done, total)
        if not row.ok:
            continue
        ctx.row = row.number
        _resolve_deferred(columns, ctx, row)
        if not row.ok:
            continue
        try:
            with transaction.atomic():
                if row.existing is None:
                    spec.create(ctx, dict(row.values))
                    result.created += 1
                    continue
                changes = {
                    name: value for name, value in row.values.items()
                    if not columns[name].create_only and not columns[name].same(row.existing, value)
                }
                if not changes:
                    result.unchanged += 1
                    continue
                spec.update(ctx, row.existing, changes)
                result.updated += 1
        except ValidationError as exc:
            _errors_from_validation(spec, row, exc)
        except PermissionDenied:
            row.add_error(None, _("This row would change a record outside your data scope."))
        except IntegrityError:
            row.add_error(None, _("This row conflicts with existing data."))


def _message(spec: ImportSpec, row: Row) -> str:
    headers = {c.field: str(c.header) for c in spec.columns}
    parts = []
    for name, message in row.errors:
        parts.append(f"{headers.get(name, name)}: {message}" if name else message)
    return _("; ").join(parts)


def run_import(spec: ImportSpec, *, user: Any, data: bytes | IO[bytes], mode: str = MODE_CREATE,
               progress: Progress | None = None) -> ImportResult:
    """Validate and import ``data`` (an .xlsx) for ``user``; all rows or none."""
    if mode not in (MODE_CREATE, MODE_UPDATE):
        raise ValueError(mode)
    result = ImportResult()
    try:
        headers, mapping, rows = _read(spec, data)
    except FileError as exc:
        result.file_error = str(exc)
        return result
    result.total = len(rows)
    ctx = RowContext(user=user, mode=mode)
    _validate(spec, ctx, mapping, rows)
    try:
        with transaction.atomic():
            _apply(spec, ctx, mapping, rows, result, progress)
            if any(not r.ok for r in rows):
                transaction.set_rollback(True)
    except DatabaseError as exc:  # pragma: no cover - a broken connection, not a row
        result.file_error = str(exc)
        return result

    failed = [r for r in rows if not r.ok]
    if not failed:
        result.notes = dict(ctx.notes)
        return result
    result.created = result.updated = result.unchanged = 0
    column_index = {col.field: i for i, col in mapping.items()}
    headers_by_field = {c.field: str(c.header) for c in spec.columns}
    report_rows = []
    # The failed rows first, then the rows that passed: the corrected report is the whole file
    # again, ready to be imported as it is (nothing of the original file was saved).
    for row in failed:
        for name, message in row.errors:
            result.errors.append({"row": row.number, "column": headers_by_field.get(name, "") if name else "",
                                  "message": message})
        report_rows.append(FailedRow(
            number=row.number, cells=row.cells,
            error_columns={column_index[n] for n, _m in row.errors if n in column_index},
            message=_message(spec, row),
        ))
    report_rows += [FailedRow(number=row.number, cells=row.cells, error_columns=set(), message="")
                    for row in rows if row.ok]
    buffer = io.BytesIO()
    write_error_report(headers, report_rows, buffer, title=str(spec.label))
    result.report = buffer.getvalue()
    return result


def export_headers(spec: ExportSpec) -> list[str]:
    return [spec.id_header] + [str(c.header) for c in spec.export_columns()]


def run_export(spec: ExportSpec, queryset: models.QuerySet, out: IO[bytes] | str, *,
               total: int | None = None, progress: Progress | None = None, chunk_size: int = 2000) -> int:
    """Write ``queryset`` with the spec's columns; returns the number of rows written."""
    columns = spec.export_columns()
    writer = ExportWriter(out, title=spec.sheet_title(), headers=export_headers(spec),
                          widths=[10] + [c.width for c in columns])
    count = 0
    for obj in queryset.iterator(chunk_size=chunk_size):
        writer.write([obj.pk] + [col.cell_of(obj) for col in columns])
        count += 1
        if progress and total and count % PROGRESS_EVERY == 0:
            progress(count, total)
    writer.close()
    if progress:
        progress(count, total or count)
    return count
