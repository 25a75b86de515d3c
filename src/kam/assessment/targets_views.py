"""Pages of 考核目标 (targets with their decomposition tree, decomposition with a preview, publishing
into the scoring, the publishing settings) and 目标达成 (attainment), under 绩效考核. Every write goes
through :mod:`kam.assessment.targets`."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from kam.core import clock
from kam.core.forms import restrict_choices
from kam.core.views import (
    ModuleViewMixin,
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
    ObjectMixin,
    ToolbarButton,
    apply_service_error,
    has_module_perm,
)

from . import calendar as cal
from . import targets
from .models import (
    MODULE_CONFIG,
    MODULE_DATA,
    MODULE_TARGETS,
    Target,
    TargetSplit,
    TargetSplitMethod,
    TargetTierMetrics,
)
from .targets_filtersets import TargetAttainmentFilterSet, TargetFilterSet
from .targets_forms import DecomposeForm, PublishForm, TargetForm, TierMetricsForm
from .targets_tables import AttainmentTable, TargetTable, TierMetricsTable


class TargetListView(ObjectListView):
    """考核目标: every target within the scope; "↳" marks a part, the detail page shows the tree."""

    model = Target
    module = MODULE_TARGETS
    title = gettext_lazy("Assessment targets")
    filterset_class = TargetFilterSet
    table_class = TargetTable
    select_related = ("metric", "org_unit", "user", "parent__metric", "parent__org_unit", "parent__user")
    default_sort = "period"
    create_url_name = "assessment:target_create"
    export_spec = "assessment.targets"

    def get_toolbar_buttons(self) -> list[ToolbarButton]:
        buttons = super().get_toolbar_buttons()
        user = self.request.user
        buttons.append(ToolbarButton(_("Target attainment"), reverse("assessment:target_attainment"),
                                     icon="bullseye"))
        if has_module_perm(user, MODULE_TARGETS, "change") and has_module_perm(user, MODULE_DATA, "change"):
            buttons.append(ToolbarButton(_("Publish targets"), reverse("assessment:target_publish"),
                                         icon="send"))
        if has_module_perm(user, MODULE_CONFIG, "view"):
            buttons.append(ToolbarButton(_("Target publishing settings"), reverse("assessment:target_tiers_list"),
                                         icon="gear"))
        return buttons


class TargetDetailView(ObjectDetailView):
    """A target with the chain it was decomposed from and its parts (with their sums per tier)."""

    model = Target
    module = MODULE_TARGETS
    template_name = "assessment/targets/detail.html"
    fields = ("metric", "subject_type", "org_unit", "user", "period", "period_kind", "direction", "target_value",
              "sprint_value",
              "challenge_value", "split", "split_method", "created_by", "created_at", "updated_by", "updated_at")
    select_related = ("metric", "org_unit", "user", "created_by", "updated_by")
    list_url_name = "assessment:target_list"
    edit_url_name = "assessment:target_edit"
    delete_url_name = "assessment:target_delete"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        obj = self.get_object()
        visible = Target.objects.restrict(self.request.user, "view").select_related("metric", "org_unit", "user")
        chain, parent_id = [], obj.parent_id
        while parent_id and len(chain) < 10:
            parent = visible.filter(pk=parent_id).first()
            if parent is None:
                break
            chain.insert(0, parent)
            parent_id = parent.parent_id
        children = list(obj.children.select_related("org_unit", "user").order_by("period", "org_unit__path",
                                                                                  "subject_id"))
        context.update(
            chain=chain, children=children, sums=targets.children_sums(obj, children) if children else [],
            visible_ids=set(visible.filter(pk__in=[c.pk for c in children]).values_list("pk", flat=True)),
            decompose_url=reverse("assessment:target_decompose", args=[obj.pk])
            if context["can_change"] and targets.split_choices(obj) else "",
        )
        return context


class TargetEditView(ObjectEditView):
    model = Target
    module = MODULE_TARGETS
    form_class = TargetForm
    list_url_name = "assessment:target_list"
    success_url_name = "assessment:target_detail"

    def form_accepts_instance(self) -> bool:
        return True

    template_name = "assessment/targets/edit.html"

    def get_initial(self) -> dict[str, Any]:
        return {"period": str(clock.today().year)} if self.is_create() else {}

    def create(self, form):
        data = form.cleaned_data
        return targets.target_create(user=self.request.user, metric=data["metric"], subject_type=data["subject_type"],
                                     subject_id=data["subject_id"], period=data["period"],
                                     target_value=data["target_value"], sprint_value=data["sprint_value"],
                                     challenge_value=data["challenge_value"], direction=data["direction"])

    def update(self, form, obj):
        data = form.cleaned_data
        return targets.target_update(user=self.request.user, target=obj, target_value=data["target_value"],
                                     sprint_value=data["sprint_value"], challenge_value=data["challenge_value"])


class TargetDeleteView(ObjectDeleteView):
    model = Target
    module = MODULE_TARGETS
    list_url_name = "assessment:target_list"

    def delete(self, obj):
        targets.target_delete(user=self.request.user, target=obj)


class TargetDecomposeView(ObjectMixin, TemplateView):
    """目标分解: choose the split, then equal parts, shares or amounts; preview, then save."""

    model = Target
    module = MODULE_TARGETS
    action = "change"
    template_name = "assessment/targets/decompose.html"

    def get_queryset(self):
        return super().get_queryset().select_related("metric", "org_unit", "user")

    def build_form(self, data=None) -> DecomposeForm:
        target = self.get_object()
        choices = targets.split_choices(target)
        source = data if data is not None else self.request.GET
        split = source.get("split") or (target.split if target.split in dict(choices) else "") or (
            choices[0][0] if choices else "")
        try:
            slots = targets.decomposition_slots(target, split) if split in dict(choices) else []
            self.slot_error = ""
        except ValidationError as exc:
            slots, self.slot_error = [], " ".join(exc.messages)
        initial: dict[str, Any] = {"split": split, "method": TargetSplitMethod.EQUAL}
        if data is None and target.split == split and target.split_method == TargetSplitMethod.AMOUNTS:
            # Decomposing again by amounts: start from the current parts.
            current = {c.period if split in (TargetSplit.QUARTERS, TargetSplit.MONTHS) else str(c.subject_id): c
                       for c in target.children.all()}
            initial["method"] = TargetSplitMethod.AMOUNTS
            for slot in slots:
                if slot["key"] in current:
                    initial[f"v_{slot['key']}"] = f"{current[slot['key']].target_value.normalize():f}"
        return DecomposeForm(data, user=self.request.user, split_choices=choices, slots=slots, initial=initial)

    def render_page(self, form: DecomposeForm, parts=None) -> HttpResponse:
        target = self.get_object()
        by_key = {p.key: p for p in parts or []}
        rows = [(slot, field, by_key.get(slot["key"])) for slot, field in form.value_fields()]
        context = self.get_context_data(
            title=_("Decompose: %(target)s") % {"target": target}, object=target, form=form, parts=parts, rows=rows,
            split_choices=targets.split_choices(target), split=form["split"].value(), slot_error=self.slot_error,
            children_count=target.children.count(), module=self.get_module(),
            cancel_url=reverse("assessment:target_detail", args=[target.pk]))
        return render(self.request, self.template_name, context)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.render_page(self.build_form())

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        target = self.get_object()
        form = self.build_form(request.POST)
        parts = None
        if form.is_valid():
            data = form.cleaned_data
            try:
                if "save" in request.POST:
                    created = targets.target_decompose(user=request.user, target=target, split=data["split"],
                                                       method=data["method"], values=form.values())
                    messages.success(request, _("The target has been decomposed into %(count)s parts.") % {
                        "count": len(created)})
                    return HttpResponseRedirect(reverse("assessment:target_detail", args=[target.pk]))
                parts = targets.decompose_preview(target, data["split"], data["method"], form.values())
            except ValidationError as exc:
                apply_service_error(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
        return self.render_page(form, parts)


class TargetPublishView(ModuleViewMixin, TemplateView):
    """发布目标: month targets → metric values of the tier metrics (for the scoring)."""

    model = Target
    module = MODULE_TARGETS
    action = "change"
    template_name = "assessment/targets/publish.html"
    title = gettext_lazy("Publish targets")

    def check_permission(self) -> None:
        super().check_permission()
        if not has_module_perm(self.request.user, MODULE_DATA, "change"):
            raise PermissionDenied(_("You have no permission for this page."))

    def render_page(self, form, report=None) -> HttpResponse:
        context = self.get_context_data(title=self.get_title(), form=form, report=report, module=self.get_module(),
                                        settings_url=reverse("assessment:target_tiers_list"))
        return render(self.request, self.template_name, context)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.render_page(PublishForm(user=request.user, initial={"period": cal.previous_month()}))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = PublishForm(request.POST, user=request.user)
        report = None
        if form.is_valid():
            try:
                report = targets.targets_publish(user=request.user, period=form.cleaned_data["period"],
                                                 metric=form.cleaned_data["metric"])
            except ValidationError as exc:
                apply_service_error(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("%(written)s target values published for %(period)s, %(removed)s removed.")
                                 % report)
                if report["computed"]:
                    messages.warning(request, _("Already computed: %(months)s. Their results change only when "
                                                "they are computed again.") % {"months": "、".join(report["computed"])})
        return self.render_page(form, report)


class TierMetricsListView(ObjectListView):
    """目标发布设置: which metrics receive each measured metric's published targets."""

    model = TargetTierMetrics
    module = MODULE_CONFIG
    title = gettext_lazy("Target publishing settings")
    table_class = TierMetricsTable
    select_related = ("metric", "target_metric", "sprint_metric", "challenge_metric")
    create_url_name = "assessment:target_tiers_create"


class TierMetricsEditView(ObjectEditView):
    model = TargetTierMetrics
    module = MODULE_CONFIG
    form_class = TierMetricsForm
    list_url_name = "assessment:target_tiers_list"

    def form_accepts_instance(self) -> bool:
        return True

    def save(self, form):
        data = form.cleaned_data
        metric = data["metric"] if self.is_create() else self.get_object().metric
        return targets.tier_metrics_set(user=self.request.user, metric=metric, target_metric=data["target_metric"],
                                        sprint_metric=data["sprint_metric"],
                                        challenge_metric=data["challenge_metric"],
                                        create_missing=data["create_missing"])

    def create(self, form):
        return self.save(form)

    def update(self, form, obj):
        return self.save(form)


class TierMetricsDeleteView(ObjectDeleteView):
    """Delete a 目标发布设置 — refused while values published through it exist for a computed month;
    the values of months not computed yet go with it (the page says how many)."""

    model = TargetTierMetrics
    module = MODULE_CONFIG
    list_url_name = "assessment:target_tiers_list"
    template_name = "assessment/targets/tiers_delete.html"

    def get_queryset(self):
        return super().get_queryset().select_related("metric", "target_metric", "sprint_metric", "challenge_metric")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        published = targets.tier_metrics_published(self.get_object())
        context.update(published_count=published.count(),
                       published_months=sorted(set(published.values_list("period", flat=True))))
        return context

    def delete(self, obj):
        try:
            removed = targets.tier_metrics_delete(user=self.request.user, setting=obj)
        except PermissionDenied as exc:  # shown on the page like a refusal
            raise ValidationError(str(exc)) from exc
        if removed:
            messages.info(self.request, _("%(count)s published target values of months not computed yet were "
                                          "removed.") % {"count": removed})


class AttainmentView(ObjectListView):
    """目标达成: per target of a period (last month by default), the actual, each tier with its
    attainment % and the tier reached; filters, sorting and Excel export within the scope."""

    model = Target
    module = MODULE_TARGETS
    title = gettext_lazy("Target attainment")
    filterset_class = TargetAttainmentFilterSet
    table_class = AttainmentTable
    select_related = ("metric", "org_unit", "user")
    default_sort = "subject"
    export_spec = "assessment.target_attainment"
    list_id = "assessment.target_attainment"

    def get_filterset(self):
        if not hasattr(self, "_filterset"):
            data = self.request.GET.copy()
            if not data.get("period"):
                data["period"] = cal.previous_month()
            self._filterset = self.filterset_class(data, queryset=self.get_queryset(), request=self.request)
            restrict_choices(self._filterset.form, self.request.user)
            self._bootstrap_filter_form(self._filterset.form)
        return self._filterset
