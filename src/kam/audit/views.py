"""Pages: the audit trail (审计日志, module ``audit``) and one record's history (操作历史)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.core.views import ObjectListView

from .models import AuditAction, AuditEntry
from .registry import REGISTRY
from .selectors import model_for_label, of_content_type, present, record_history


def registered_types() -> list[tuple[str, str]]:
    return sorted(((f"{m._meta.app_label}.{m._meta.model_name}", str(m._meta.verbose_name)) for m in REGISTRY),
                  key=lambda t: t[1])


class AuditEntryListView(ObjectListView):
    """Every recorded change, newest first; filter by record type, action, record id and operator."""

    model = AuditEntry
    module = "audit"
    title = gettext_lazy("Audit trail")
    template_name = "audit/entry_list.html"
    per_page = 50

    def get_queryset(self):
        qs = super().get_queryset().select_related("content_type", "actor")
        get = self.request.GET
        label = get.get("content_type", "")
        if label:
            qs = of_content_type(qs, label)
        if get.get("action") in AuditAction.values:
            qs = qs.filter(action=get["action"])
        if get.get("object_id"):
            qs = qs.filter(object_id=get["object_id"].strip())
        if get.get("actor"):
            qs = qs.filter(actor_repr__icontains=get["actor"].strip())
        return qs.order_by("-at", "-id")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["entries"] = present(list(context["page"].rows))
        context["types"] = registered_types()
        context["actions"] = AuditAction.choices
        context["query"] = self.request.GET
        return context


@login_required
def history(request: HttpRequest, label: str, object_id: str) -> HttpResponse:
    """操作历史 of one record: a partial for htmx (detail-page panel), else a page."""
    model = model_for_label(label)
    entries = record_history(request.user, model, object_id) if model is not None else None
    if entries is None:
        raise Http404(_("No such record, or it lies outside your data scope."))
    rows = present(list(entries.order_by("-at", "-id")[:200]))
    context = {"entries": rows, "model_name": model._meta.verbose_name, "object_id": object_id,
               "title": _("Change history")}
    if request.headers.get("HX-Request"):
        return render(request, "audit/_history.html", context)
    return render(request, "audit/history.html", context)
