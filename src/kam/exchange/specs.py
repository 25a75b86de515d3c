"""Spec declarations and their registry (see the package docstring for the whole picture)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any, ClassVar

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .columns import Column, ForeignKey

MODE_CREATE = "create"
MODE_UPDATE = "update"
MODES = (
    (MODE_CREATE, _("Create only")),
    (MODE_UPDATE, _("Update existing")),
)


class ExportSpec:
    """What a list exports: columns of one model, within the user's data scope.

    Subclass and set ``code`` (``"<app>.<things>"``), ``label``, ``model``, ``module`` (the
    permission module; exporting needs its "view" grant), ``columns`` and, for list exports,
    ``filterset`` (the list's FilterSet, so the file holds exactly what the list shows). The file
    starts with an ``ID`` column. Override :meth:`get_queryset` to add ``select_related`` etc.;
    the base already follows the columns' foreign keys.
    """

    code: ClassVar[str] = ""
    label: ClassVar[str | Promise] = ""
    model: ClassVar[type[models.Model]]
    module: ClassVar[str] = ""
    columns: ClassVar[Sequence[Column]] = ()
    filterset: ClassVar[Any] = None
    ordering: ClassVar[Sequence[str]] = ("pk",)
    id_header: ClassVar[str] = "ID"

    def export_columns(self) -> list[Column]:
        return [c for c in self.columns if c.exportable]

    def base_queryset(self, user: Any, action: str = "view") -> models.QuerySet:
        """The model's records the user may ``action`` — the start of every export query."""
        return self.model._default_manager.restrict(user, action)

    def get_queryset(self, user: Any) -> models.QuerySet:
        return self.with_related(self.base_queryset(user, "view"))

    def with_related(self, qs: models.QuerySet) -> models.QuerySet:
        """``qs`` joined to what the columns read (select/prefetch of their references)."""
        related, many = [], []
        for col in self.export_columns():
            if isinstance(col, ForeignKey) and not callable(col.source):
                path = (col.source or col.field).replace(".", "__")
                (many if col.many else related).append(path)
        if related:
            qs = qs.select_related(*related)
        if many:
            qs = qs.prefetch_related(*many)
        return qs

    def filter_queryset(self, qs: models.QuerySet, params: Any, request: Any = None) -> models.QuerySet:
        """Apply the list's FilterSet to ``qs`` with the list's query parameters."""
        if self.filterset is None:
            return qs
        fs = self.filterset(params, queryset=qs, request=request)
        return fs.qs if fs.is_valid() else qs.none()

    def sheet_title(self) -> str:
        return str(self.label)[:31]


@dataclass
class RowContext:
    """What a spec's ``create``/``update``/``check_rows`` get about the import under way."""

    user: Any
    mode: str
    row: int = 0  # the row being written (number in the file)
    file_keys: set[str] = dc_field(default_factory=set)
    cache: dict[Any, Any] = dc_field(default_factory=dict)
    notes: dict[int, str] = dc_field(default_factory=dict)  # row number -> note shown in the result

    def note(self, text: str) -> None:
        """Report something about the current row back to the importing user (e.g. a generated
        initial password)."""
        self.notes[self.row] = str(text)


class ImportSpec(ExportSpec):
    """An export spec that can also be imported.

    ``key``: the field of the column that identifies a record (unique); rows are matched on it.
    ``create(ctx, values)`` and ``update(ctx, obj, values)`` call the app's services (never raw
    ORM writes) and return the record; ``values`` maps column fields to parsed values — on update
    only the non-empty cells. They raise ``ValidationError`` (a dict naming fields maps the message
    onto that column) or ``PermissionDenied``; either becomes an error of that row.
    ``check_rows(ctx, rows)`` may add cross-row errors: ``rows`` is a list of
    :class:`kam.exchange.engine.Row` with ``values`` and ``add_error(field, message)``.
    """

    key: ClassVar[str] = ""

    def create(self, ctx: RowContext, values: dict[str, Any]) -> models.Model:
        raise NotImplementedError

    def update(self, ctx: RowContext, obj: models.Model, values: dict[str, Any]) -> models.Model:
        raise NotImplementedError

    def check_rows(self, ctx: RowContext, rows: list[Any]) -> None:
        """Cross-row rules (besides the duplicate key check the engine does)."""

    def import_columns(self) -> list[Column]:
        return [c for c in self.columns if c.importable]

    def key_column(self) -> Column:
        return next(c for c in self.columns if c.field == self.key)

    def find_existing(self, keys: set[str]) -> dict[str, models.Model]:
        """Existing records by key (all of them, in or out of the user's scope), one query."""
        if not keys:
            return {}
        qs = self.model._default_manager.filter(**{f"{self.key}__in": sorted(keys)})
        return {str(getattr(obj, self.key)): obj for obj in qs}


SPECS: dict[str, ExportSpec] = {}


def register(spec_class: type[ExportSpec]) -> type[ExportSpec]:
    """Class decorator: make a spec available to pages, the API and jobs under its ``code``."""
    if not spec_class.code:
        raise ValueError("A spec needs a code.")
    SPECS[spec_class.code] = spec_class()
    return spec_class


def get_spec(code: str) -> ExportSpec | None:
    return SPECS.get(code)


def import_specs() -> list[ImportSpec]:
    return [s for s in SPECS.values() if isinstance(s, ImportSpec)]
