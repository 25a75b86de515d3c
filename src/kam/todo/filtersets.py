"""Filters of the assigned-items list."""

from __future__ import annotations

import django_filters as df
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import TodoItem


class TodoItemFilterSet(df.FilterSet):
    q = df.CharFilter(label=_("Title or assignee"), method="filter_q")
    done = df.BooleanFilter(label=pgettext_lazy("todo", "Done"))
    due_from = df.DateFilter(label=pgettext_lazy("todo", "Due from"), field_name="due_at", lookup_expr="date__gte")
    due_to = df.DateFilter(label=pgettext_lazy("todo", "Due to"), field_name="due_at", lookup_expr="date__lte")

    class Meta:
        model = TodoItem
        fields = ["q", "done", "due_from", "due_to"]

    def filter_q(self, qs, name, value):
        if not value:
            return qs
        return qs.filter(Q(title__icontains=value) | Q(assignee__name__icontains=value)
                         | Q(assignee__username__icontains=value))
