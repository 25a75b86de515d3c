"""The import-batch list page's table (rendered by ``core/table.html``)."""

from __future__ import annotations

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from kam.core.tables import KamTable

from .models import ImportBatch

END = {"th": {"class": "text-end"}, "td": {"class": "text-end"}}


class ImportBatchTable(KamTable):
    spec = tables.Column(verbose_name=_("Import"), accessor="spec_label", orderable=False)
    file_name = tables.Column(verbose_name=_("File"), linkify=("exchange:batch_detail", [tables.A("pk")]))
    mode = tables.Column(verbose_name=_("Mode"))
    status = tables.Column(verbose_name=_("Status"))
    rows = tables.Column(verbose_name=_("Rows"), attrs=END)
    created_count = tables.Column(verbose_name=_("Created"), attrs=END)
    updated_count = tables.Column(verbose_name=_("Updated"), attrs=END)
    error_count = tables.Column(verbose_name=_("Errors"), attrs=END)
    user = tables.Column(verbose_name=_("Imported by"), orderable=False)
    created_at = tables.DateTimeColumn(verbose_name=_("Time"), format="Y-m-d H:i", orderable=True)

    class Meta(KamTable.Meta):
        model = ImportBatch
        fields = ("spec", "file_name", "mode", "status", "rows", "created_count", "updated_count", "error_count",
                  "user", "created_at")
