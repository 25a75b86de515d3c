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
from django.utils.html import format_html
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


class ActionsColumn(tables.TemplateColumn):
    """Edit / delete links of a row; ``url_names`` is a dict action → URL name (pk argument)."""

    def __init__(self, url_names: dict[str, str], **kwargs):
        kwargs.setdefault("verbose_name", _("Actions"))
        kwargs.setdefault("orderable", False)
        kwargs.setdefault("attrs", {"td": {"class": "text-nowrap text-end"}, "th": {"class": "text-end"}})
        super().__init__(template_name="core/table_actions.html", extra_context={"url_names": url_names},
                         **kwargs)
