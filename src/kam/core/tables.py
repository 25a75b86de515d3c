"""Tables of list pages: django-tables2 columns, rendered by ``core/table.html``.

One way for every list: a :class:`KamTable` subclass declares the columns; a column with
``orderable=True`` can be sorted through ``?sort=<column>`` / ``?sort=-<column>`` (the view
whitelists exactly those columns, translating each to its ``order_by`` lookups). The table is
given the rows of one page (``kam.core.pagination.Page.rows``): it never counts, sorts or slices
the queryset itself.

    class UserTable(KamTable):
        username = tables.Column(linkify=("org:user_detail", [tables.A("pk")]), orderable=True)
        org_unit = tables.Column(accessor="org_unit__name", order_by=("org_unit__path",),
                                 orderable=True)

        class Meta(KamTable.Meta):
            model = User
            fields = ("username", "name", "org_unit")
"""

from __future__ import annotations

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _


class RowList(list):
    """The rows of one page, carrying their model so columns take the model fields' labels."""

    model = None


class KamTable(tables.Table):
    def __init__(self, data=None, *args, **kwargs):
        if isinstance(data, list) and not isinstance(data, RowList):
            data = RowList(data)
            data.model = getattr(self._meta, "model", None)
        super().__init__(data, *args, **kwargs)

    class Meta:
        orderable = False  # columns opt in; the view sorts the queryset, never the table
        attrs = {"class": "table table-sm table-hover align-middle mb-0"}
        empty_text = _("No records.")

    def sort_fields(self) -> dict[str, tuple[str, ...]]:
        """``{column name: ORM ordering}`` for the sortable columns."""
        fields = {}
        for column in self.columns:
            if column.orderable:
                fields[column.name] = tuple(str(o).replace(".", "__") for o in column.order_by)
        return fields


class BooleanColumn(tables.BooleanColumn):
    """Yes / no as a coloured badge."""

    def render(self, value, record, bound_column):
        value = self._get_bool_value(record, value, bound_column)
        if value:
            return format_html('<span class="badge text-bg-success">{}</span>', _("Yes"))
        return format_html('<span class="badge text-bg-secondary">{}</span>', _("No"))


class ManyColumn(tables.ManyToManyColumn):
    """A many-to-many field as a comma-separated list (prefetch it in the view)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("separator", "、")
        kwargs.setdefault("orderable", False)
        super().__init__(*args, **kwargs)

    def filter(self, qs):
        return qs.all()  # use the prefetched rows


class ActionsColumn(tables.Column):
    """Edit / delete links of a row; ``url_names`` is a dict action → URL name (pk argument).

    Rendered in Python rather than by a template per row: a list page renders a cell per row, and a
    template per cell costs more than the page's queries.
    """

    _ICONS = {"edit": ("btn-outline-primary", "bi-pencil"), "delete": ("btn-outline-danger", "bi-trash")}

    def __init__(self, url_names: dict[str, str], **kwargs):
        kwargs.setdefault("verbose_name", _("Actions"))
        kwargs.setdefault("orderable", False)
        kwargs.setdefault("empty_values", ())
        kwargs.setdefault("accessor", "pk")
        kwargs.setdefault("attrs", {"td": {"class": "text-nowrap text-end"}, "th": {"class": "text-end"}})
        self.url_names = url_names
        super().__init__(**kwargs)

    def render(self, record, table):
        context = getattr(table, "context", None)
        if not context or not context.get("can_change"):
            return ""
        titles = {"edit": _("Edit"), "delete": _("Delete")}
        links = []
        for action, url_name in self.url_names.items():
            if action not in self._ICONS:
                continue
            css, icon = self._ICONS[action]
            links.append(format_html(
                '<a class="btn btn-sm {}" href="{}" title="{}"><i class="bi {}"></i></a>',
                css, reverse(url_name, args=[record.pk]), titles[action], icon,
            ))
        return mark_safe(" ".join(str(link) for link in links))  # noqa: S308 - parts built by format_html
