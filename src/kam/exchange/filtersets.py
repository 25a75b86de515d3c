"""Filters of the import-batch list — one FilterSet for the page and the API."""

from __future__ import annotations

import django_filters as df
from django.utils.translation import gettext_lazy as _

from .models import MODES, BatchStatus, ImportBatch
from .specs import import_specs


def _spec_choices() -> list[tuple[str, str]]:
    return [(s.code, str(s.label)) for s in import_specs()]


class ImportBatchFilterSet(df.FilterSet):
    spec = df.ChoiceFilter(label=_("Import"), choices=_spec_choices)
    mode = df.ChoiceFilter(label=_("Mode"), choices=MODES)
    status = df.ChoiceFilter(label=_("Status"), choices=BatchStatus.choices)

    class Meta:
        model = ImportBatch
        fields = ["spec", "mode", "status"]
