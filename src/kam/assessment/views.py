"""Pages of 绩效考核 under KPI管理: 数据源指标, 原子指标, 考核指标, 考核模板, 分配模板, 考核计算,
考核分数调整管理, 考核明细查询, 考核结果查询. Configured generic views of ``kam.core.views``; every
write goes through :mod:`kam.assessment.services`."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from kam.core import clock
from kam.core.views import (
    ModuleViewMixin,
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
    ToolbarButton,
    apply_service_error,
    has_module_perm,
)

from . import calendar as cal
from . import services
from .filtersets import (
    AdjustmentFilterSet,
    AssignmentFilterSet,
    AtomicIndicatorFilterSet,
    BonusFilterSet,
    IndicatorFilterSet,
    MetricFilterSet,
    NoteFilterSet,
    ResultConfirmationFilterSet,
    RunFilterSet,
    ScoreDetailFilterSet,
    TemplateFilterSet,
)
from .forms import (
    AdjustmentForm,
    AssignmentForm,
    AtomicIndicatorForm,
    AtomicRowFormSet,
    BonusForm,
    ComponentFormSet,
    IndicatorForm,
    IntervalFormSet,
    MetricForm,
    NoteForm,
    PeriodForm,
    RunStartForm,
    TemplateForm,
    VetoFormSet,
    WhatIfForm,
    WhatIfNewAtomicForm,
    WhatIfNewIndicatorForm,
    component_rows,
    interval_initial,
    interval_rows,
    veto_rows,
)
from .kernel import fmt
from .models import (
    MODULE_CONFIG,
    MODULE_DATA,
    MODULE_RESULTS,
    MODULE_RUN,
    Adjustment,
    AssessmentNote,
    AssessmentRun,
    Assignment,
    AtomicIndicator,
    Bonus,
    Indicator,
    Metric,
    MetricSource,
    MetricValue,
    Result,
    ScoreDetail,
    SubjectType,
    Template,
)
from .tables import (
    AdjustmentTable,
    AssignmentTable,
    AtomicIndicatorTable,
    BonusTable,
    IndicatorTable,
    MetricTable,
    NoteTable,
    ResultConfirmationTable,
    RunTable,
    ScoreDetailTable,
    TemplateTable,
)


def lock_notice() -> str:
    if cal.config_locked():
        return _("The assessment configuration is locked from day %(first)s to day %(last)s of every month: "
                 "no indicator, template or assignment can be created or changed today.") % {
            "first": cal.param("assessment.lock_first_day"), "last": cal.param("assessment.lock_last_day")}
    return ""


class ConfigListView(ObjectListView):
    module = MODULE_CONFIG
    template_name = "assessment/config_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["lock_notice"] = lock_notice()
        return context


# --- 数据源指标 ------------------------------------------------------------------------------------------


class MetricListView(ConfigListView):
    model = Metric
    title = gettext_lazy("Metrics")
    filterset_class = MetricFilterSet
    table_class = MetricTable
    default_sort = "code"
    create_url_name = "assessment:metric_create"

    def get_toolbar_buttons(self) -> list[ToolbarButton]:
        buttons = super().get_toolbar_buttons()
        if has_module_perm(self.request.user, MODULE_DATA, "change"):
            try:
                url = reverse("exchange:import", args=["assessment.metric_values"])
            except NoReverseMatch:  # pragma: no cover — without the exchange app
                return buttons
            buttons.append(ToolbarButton(_("Import metric values"), f"{url}?next={self.request.path}",
                                         icon="file-earmark-arrow-up"))
            if Metric.objects.filter(source=MetricSource.BUILTIN).exists():
                buttons.append(ToolbarButton(_("Refresh platform-data values"),
                                             reverse("assessment:builtin_refresh"), icon="arrow-repeat"))
        return buttons


class MonthActionView(ObjectEditView):
    """A form of one month (last month by default) that starts an action on it, no record edited."""

    form_class = PeriodForm

    def get_initial(self) -> dict[str, Any]:
        return {"period": cal.previous_month()}

    def form_accepts_instance(self) -> bool:
        return False


class BuiltinRefreshView(MonthActionView):
    """刷新平台数据指标值: recompute the built-in metrics of a month now."""

    model = MetricValue
    module = MODULE_DATA
    list_url_name = "assessment:metric_list"
    template_name = "assessment/builtin_refresh.html"

    def get_title(self) -> str:
        return _("Refresh the values of platform-data metrics")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["builtin_metrics"] = Metric.objects.restrict(self.request.user, "view").filter(
            source=MetricSource.BUILTIN).order_by("code")
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = self.get_form()
        if form.is_valid():
            period = form.cleaned_data["period"]
            try:
                counts = services.builtin_values_refresh(user=request.user, period=period)
            except ValidationError as exc:
                apply_service_error(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("%(values)s values of %(metrics)s platform-data metrics stored for "
                                            "%(month)s.") % {"values": sum(counts.values()),
                                                             "metrics": len(counts), "month": period})
                return HttpResponseRedirect(reverse("assessment:metric_list"))
        return self.render_form(form)


class MetricEditView(ObjectEditView):
    model = Metric
    module = MODULE_CONFIG
    form_class = MetricForm
    list_url_name = "assessment:metric_list"

    def create(self, form):
        return services.metric_create(user=self.request.user, **form.cleaned_data)

    def update(self, form, obj):
        return services.metric_update(user=self.request.user, metric=obj, **form.cleaned_data)


# --- 原子指标 --------------------------------------------------------------------------------------------------


class AtomicIndicatorListView(ConfigListView):
    model = AtomicIndicator
    title = gettext_lazy("Atomic indicators")
    filterset_class = AtomicIndicatorFilterSet
    table_class = AtomicIndicatorTable
    select_related = ("metric",)
    prefetch_related = ("intervals",)
    default_sort = "name"
    create_url_name = "assessment:atomic_create"


class AtomicIndicatorDetailView(ObjectDetailView):
    model = AtomicIndicator
    module = MODULE_CONFIG
    template_name = "assessment/atomic_detail.html"
    fields = ("name", "metric", "mode", "target_metric", "missing_policy", "domain_lower", "domain_upper",
              "full_score", "score_floor", "score_cap", "deduction_per_unit", "description", "enabled")
    list_url_name = "assessment:atomic_list"
    edit_url_name = "assessment:atomic_edit"
    delete_url_name = "assessment:atomic_delete"


def _add_rows_errors(formset, errors) -> None:
    """A service's errors on a table of rows, shown above that table."""
    for error in errors or []:
        formset._non_form_errors = formset.error_class([*formset.non_form_errors(), *error.messages])


class FormsetEditView(ObjectEditView):
    """An edit page with a table of rows (intervals or weighted components) under the form."""

    template_name = "assessment/formset_edit.html"
    formset_title = ""
    # An optional second table of rows (the template's veto items), saved with the first.
    second_formset_title = ""
    second_rows_field = ""
    second_formset = None

    def get_formset(self):
        raise NotImplementedError

    def get_second_formset(self):
        return None

    def render_form(self, form, status: int = 200, formset=None) -> HttpResponse:
        second = self.second_formset if formset is not None else self.get_second_formset()
        context = self.get_context_data(form=form, formset=formset or self.get_formset(),
                                        formset_title=self.formset_title, lock_notice=lock_notice(),
                                        second_formset=second, second_formset_title=self.second_formset_title)
        return render(self.request, self.template_name, context, status=status)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = self.get_form()
        formset = self.get_formset()
        second = self.second_formset = self.get_second_formset()
        if form.is_valid() and formset.is_valid() and (second is None or not second.is_bound or second.is_valid()):
            created = self.is_create()
            try:
                obj = self.save(form, formset, None if created else self.get_object())
            except ValidationError as exc:
                errors = exc.error_dict if hasattr(exc, "error_dict") else {}
                _add_rows_errors(formset, errors.pop(self.rows_field, None))
                if second is not None:
                    _add_rows_errors(second, errors.pop(self.second_rows_field, None))
                if not hasattr(exc, "error_dict") or errors:
                    apply_service_error(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, self.success_message(obj, created))
                return HttpResponseRedirect(self.get_success_url(obj))
        return self.render_form(form, formset=formset)


class AtomicIndicatorEditView(FormsetEditView):
    model = AtomicIndicator
    module = MODULE_CONFIG
    form_class = AtomicIndicatorForm
    list_url_name = "assessment:atomic_list"
    success_url_name = "assessment:atomic_detail"
    formset_title = gettext_lazy("Score intervals (not used for a completion rate with floor and cap "
                                 "or a deduction)")
    rows_field = "intervals"

    def get_formset(self):
        if self.request.method == "POST":
            return IntervalFormSet(self.request.POST, prefix="iv")
        return IntervalFormSet(initial=interval_initial(self.get_instance()), prefix="iv")

    def save(self, form, formset, obj):
        rows = interval_rows(formset)
        if obj is None:
            return services.atomic_indicator_create(user=self.request.user, intervals=rows, **form.cleaned_data)
        return services.atomic_indicator_update(user=self.request.user, atomic=obj, intervals=rows,
                                                **form.cleaned_data)


class AtomicIndicatorDeleteView(ObjectDeleteView):
    model = AtomicIndicator
    module = MODULE_CONFIG
    list_url_name = "assessment:atomic_list"

    def delete(self, obj):
        services.atomic_indicator_delete(user=self.request.user, atomic=obj)


# --- 考核指标 and 考核模板 ---------------------------------------------------------------------------------------


class IndicatorListView(ConfigListView):
    model = Indicator
    title = gettext_lazy("Assessment indicators")
    filterset_class = IndicatorFilterSet
    table_class = IndicatorTable
    prefetch_related = ("components__atomic",)
    default_sort = "name"
    create_url_name = "assessment:indicator_create"


class IndicatorDetailView(ObjectDetailView):
    model = Indicator
    module = MODULE_CONFIG
    template_name = "assessment/components_detail.html"
    fields = ("name", "description", "enabled")
    list_url_name = "assessment:indicator_list"
    edit_url_name = "assessment:indicator_edit"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["components"] = [(c.atomic.name, c.weight) for c in
                                 self.get_object().components.select_related("atomic")]
        context["components_title"] = _("Atomic indicators")
        return context


class ComponentsEditView(FormsetEditView):
    """Edit page of an object made of weighted ``components`` whose ``item_attr`` points to an enabled
    ``item_model`` (考核指标 → 原子指标, 考核模板 → 考核指标)."""

    module = MODULE_CONFIG
    rows_field = "components"
    item_model: type
    item_attr = ""

    def get_formset(self):
        kwargs = {"prefix": "c", "form_kwargs": {
            "queryset": self.item_model.objects.restrict(self.request.user, "view").filter(enabled=True)}}
        if self.request.method == "POST":
            return ComponentFormSet(self.request.POST, **kwargs)
        obj = self.get_instance()
        initial = [] if obj is None else [{"item": getattr(c, self.item_attr), "weight": str(c.weight)}
                                          for c in obj.components.all()]
        return ComponentFormSet(initial=initial, **kwargs)


class IndicatorEditView(ComponentsEditView):
    model = Indicator
    form_class = IndicatorForm
    list_url_name = "assessment:indicator_list"
    success_url_name = "assessment:indicator_detail"
    formset_title = gettext_lazy("Atomic indicators and weights")
    item_model = AtomicIndicator
    item_attr = "atomic"

    def save(self, form, formset, obj):
        rows = component_rows(formset, "atomic")
        if obj is None:
            return services.indicator_create(user=self.request.user, components=rows, **form.cleaned_data)
        return services.indicator_update(user=self.request.user, indicator=obj, components=rows, **form.cleaned_data)


class TemplateListView(ConfigListView):
    model = Template
    title = gettext_lazy("Assessment templates")
    filterset_class = TemplateFilterSet
    table_class = TemplateTable
    prefetch_related = ("components__indicator",)
    default_sort = "-valid_from"
    create_url_name = "assessment:template_create"


class TemplateDetailView(ObjectDetailView):
    model = Template
    module = MODULE_CONFIG
    template_name = "assessment/components_detail.html"
    fields = ("name", "subject_type", "valid_from", "valid_to", "description", "enabled")
    list_url_name = "assessment:template_list"
    edit_url_name = "assessment:template_edit"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        obj = self.get_object()
        context["components"] = [(c.indicator.name, c.weight) for c in obj.components.select_related("indicator")]
        context["components_title"] = _("Assessment indicators")
        context["vetoes"] = [(v.atomic.name, fmt(v.threshold), fmt(v.total))
                             for v in obj.vetoes.select_related("atomic")]
        context["warning"] = services.template_validity_warning(obj)
        context["what_if_url"] = f"{reverse('assessment:what_if')}?template={obj.pk}"
        return context


class TemplateEditView(ComponentsEditView):
    model = Template
    form_class = TemplateForm
    list_url_name = "assessment:template_list"
    success_url_name = "assessment:template_detail"
    formset_title = gettext_lazy("Assessment indicators and weights")
    second_formset_title = gettext_lazy("Veto items (outside the weights: a value at least the threshold sets the "
                                        "total)")
    second_rows_field = "vetoes"
    item_model = Indicator
    item_attr = "indicator"

    def get_second_formset(self):
        kwargs = {"prefix": "v", "form_kwargs": {
            "queryset": AtomicIndicator.objects.restrict(self.request.user, "view").filter(enabled=True)}}
        if self.request.method == "POST" and "v-TOTAL_FORMS" in self.request.POST:
            return VetoFormSet(self.request.POST, **kwargs)
        # Shown unbound (a post without the veto table keeps the template's veto items).
        obj = self.get_instance()
        initial = [] if obj is None else [
            {"atomic": v.atomic, "threshold": fmt(v.threshold), "total": fmt(v.total)}
            for v in obj.vetoes.select_related("atomic")]
        return VetoFormSet(initial=initial, **kwargs)

    def save(self, form, formset, obj):
        rows = component_rows(formset, "indicator")
        vetoes = veto_rows(self.second_formset) if self.second_formset.is_bound else None
        if obj is None:
            template = services.template_create(user=self.request.user, components=rows, vetoes=vetoes or (),
                                                **form.cleaned_data)
        else:
            template = services.template_update(user=self.request.user, template=obj, components=rows,
                                                vetoes=vetoes, **form.cleaned_data)
        warning = services.template_validity_warning(template)
        if warning:
            messages.warning(self.request, warning)
        return template


# --- 试算 (what-if) ---------------------------------------------------------------------------------------------


class WhatIfView(ModuleViewMixin, TemplateView):
    """试算: a draft template (rows of assessment indicators and weights, or a template's, edited)
    scored against a month's real values. Nothing is saved."""

    module = MODULE_CONFIG
    action = "view"
    template_name = "assessment/what_if.html"
    title = gettext_lazy("What-if")
    shown = 200  # subjects listed on the page

    def get_forms(self):
        user = self.request.user
        kwargs = {"prefix": "c", "form_kwargs": {
            "queryset": Indicator.objects.restrict(user, "view").filter(enabled=True)}}
        if self.request.method == "POST":
            return WhatIfForm(self.request.POST, user=user), ComponentFormSet(self.request.POST, **kwargs)
        initial: dict[str, Any] = {"period": cal.previous_month()}
        rows: list[dict[str, Any]] = []
        template = Template.objects.restrict(user, "view").filter(pk=self.request.GET.get("template") or 0).first() \
            if (self.request.GET.get("template") or "").isdigit() else None
        if template is not None:
            initial["template"] = template
            rows = [{"item": c.indicator, "weight": str(c.weight)}
                    for c in template.components.select_related("indicator").order_by("position")]
        return WhatIfForm(initial=initial, user=user), ComponentFormSet(initial=rows, **kwargs)

    def get_new_forms(self) -> dict[str, Any]:
        """新建考核指标 and 新建原子指标: a new indicator of saved atomic indicators and/or a new one."""
        user = self.request.user
        post = self.request.POST if self.request.method == "POST" else {}

        def data(prefix: str):  # bound only when the page sent that part (the API-like posts may not)
            return post if any(k.startswith(f"{prefix}-") for k in post) else None

        atomics = AtomicIndicator.objects.restrict(user, "view").filter(enabled=True)
        return {"new_indicator": WhatIfNewIndicatorForm(data("ni"), prefix="ni", user=user),
                "new_rows": AtomicRowFormSet(data("nr"), prefix="nr", form_kwargs={"queryset": atomics}),
                "new_atomic": WhatIfNewAtomicForm(data("na"), prefix="na", user=user),
                "new_intervals": IntervalFormSet(data("iv"), prefix="iv")}

    def render_page(self, form, formset, result=None, new_forms=None) -> HttpResponse:
        context = self.get_context_data(form=form, formset=formset, result=result, title=self.get_title(),
                                        shown=self.shown, module=self.get_module(),
                                        **(new_forms or self.get_new_forms()))
        if result is not None:
            context["rows"] = result.subjects[:self.shown]
        return render(self.request, self.template_name, context)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.render_page(*self.get_forms())

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        from .whatif import DRAFT_ATOMIC_FIELDS, what_if

        form, formset = self.get_forms()
        new = self.get_new_forms()
        result = None
        if form.is_valid() and formset.is_valid() and all(f.is_valid() for f in new.values() if f.is_bound):
            data = form.cleaned_data
            rows = component_rows(formset, "indicator")
            ni = new["new_indicator"].cleaned_data if new["new_indicator"].is_bound else {"weight": ""}
            if ni["weight"].strip():
                atomics = component_rows(new["new_rows"], "atomic") if new["new_rows"].is_bound else []
                if ni["new_weight"].strip() and new["new_atomic"].is_bound:
                    ivs = interval_rows(new["new_intervals"]) if new["new_intervals"].is_bound else []
                    spec = {**new["new_atomic"].spec(), "intervals": ivs}
                    atomics.append({"new": spec, "weight": ni["new_weight"].strip()})
                rows.append({"name": ni["name"], "weight": ni["weight"].strip(), "atomics": atomics})
            try:
                result = what_if(user=request.user, period=data["period"], template=data["template"],
                                 components=rows or None, org_unit=data["org_unit"])
            except ValidationError as exc:
                errors = exc.error_dict if hasattr(exc, "error_dict") else {}
                _add_rows_errors(formset, errors.pop("components", None))
                _add_rows_errors(new["new_intervals"], errors.pop("intervals", None))
                for field in [f for f in errors if f in DRAFT_ATOMIC_FIELDS]:
                    new["new_atomic"].add_error(field if field in new["new_atomic"].fields else None,
                                                errors.pop(field))
                if not hasattr(exc, "error_dict") or errors:
                    apply_service_error(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
        return self.render_page(form, formset, result, new)


# --- 分配模板 ------------------------------------------------------------------------------------------------------


class AssignmentListView(ConfigListView):
    model = Assignment
    title = gettext_lazy("Template assignments")
    filterset_class = AssignmentFilterSet
    table_class = AssignmentTable
    select_related = ("template", "user", "org_unit")
    default_sort = "-month_from"
    create_url_name = "assessment:assignment_create"


class AssignmentCreateView(ObjectEditView):
    model = Assignment
    module = MODULE_CONFIG
    form_class = AssignmentForm
    list_url_name = "assessment:assignment_list"

    def get_initial(self) -> dict[str, Any]:
        return {"month_from": clock.current_month()}

    def form_accepts_instance(self) -> bool:
        return False

    def get_success_url(self, obj) -> str:
        return reverse("assessment:assignment_list")

    def create(self, form):
        data = form.cleaned_data
        return services.assignment_create(user=self.request.user, template=data["template"],
                                          subject_type=SubjectType.MANAGER, subject_id=data["subject"].pk,
                                          month_from=data["month_from"], month_to=data["month_to"] or "")


class AssignmentDeleteView(ObjectDeleteView):
    model = Assignment
    module = MODULE_CONFIG
    list_url_name = "assessment:assignment_list"

    def delete(self, obj):
        services.assignment_delete(user=self.request.user, assignment=obj)


# --- 考核计算 --------------------------------------------------------------------------------------------------------


class RunListView(ObjectListView):
    model = AssessmentRun
    module = MODULE_RUN
    title = gettext_lazy("Assessment computation")
    filterset_class = RunFilterSet
    table_class = RunTable
    select_related = ("created_by",)
    default_sort = "-created_at"
    create_url_name = "assessment:run_create"

    def get(self, request, *args, **kwargs):
        services.runs_sync()
        return super().get(request, *args, **kwargs)

    def get_toolbar_buttons(self) -> list[ToolbarButton]:
        buttons = super().get_toolbar_buttons()
        if self.can_change:  # 发布考核结果 (decision 0026)
            buttons.append(ToolbarButton(_("Publish results"), reverse("assessment:publication_create"),
                                         icon="megaphone"))
        return buttons


class RunDetailView(ObjectDetailView):
    model = AssessmentRun
    module = MODULE_RUN
    template_name = "assessment/run_detail.html"
    fields = ("period", "status", "trigger", "refresh_config", "created_by", "created_at", "started_at",
              "finished_at", "result_count", "input_hash", "message")
    list_url_name = "assessment:run_list"

    def get(self, request, *args, **kwargs):
        services.runs_sync()
        return super().get(request, *args, **kwargs)


class RunStartView(ObjectEditView):
    model = AssessmentRun
    module = MODULE_RUN
    form_class = RunStartForm
    list_url_name = "assessment:run_list"
    success_url_name = "assessment:run_detail"

    def get_title(self) -> str:
        return _("Start an assessment computation")

    template_name = "assessment/run_start.html"

    def get_initial(self) -> dict[str, Any]:
        return {"period": cal.previous_month()}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        period = self.request.POST.get("period") or self.request.GET.get("period") or cal.previous_month()
        try:
            services.check_period(period)
        except ValidationError:
            return context
        context["report"] = services.missing_report(period)
        return context

    def form_accepts_instance(self) -> bool:
        return False

    def success_message(self, obj, created: bool) -> str:
        return _("The computation of %(month)s has been started.") % {"month": obj.period}

    def create(self, form):
        return services.run_start(user=self.request.user, period=form.cleaned_data["period"],
                                  refresh_config=form.cleaned_data["refresh_config"])


# --- results, details, adjustments -------------------------------------------------------------------------------


class ResultListView(ObjectListView):
    model = Result
    module = MODULE_RESULTS
    title = gettext_lazy("Assessment results")
    filterset_class = ResultConfirmationFilterSet  # ResultFilterSet + 确认状态 (decision 0026)
    table_class = ResultConfirmationTable  # ResultTable + 确认状态
    select_related = ("org_unit",)
    default_sort = "rank"

    def get_queryset(self):
        from .appeals import with_confirmation_state

        return with_confirmation_state(super().get_queryset())


class ResultDetailView(ObjectDetailView):
    """A result's scorecard: every indicator and atomic indicator, printable and signable."""

    model = Result
    module = MODULE_RESULTS
    template_name = "assessment/result_detail.html"
    list_url_name = "assessment:result_list"

    def get_queryset(self):
        return super().get_queryset().select_related("org_unit").prefetch_related(
            Prefetch("details", queryset=ScoreDetail.objects.order_by("position")))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        obj = self.get_object()
        groups: dict[str, dict[str, Any]] = {}
        for d in obj.details.all():
            group = groups.setdefault(d.indicator_name, {"name": d.indicator_name, "weight": d.indicator_weight,
                                                         "score": d.indicator_score,
                                                         "contribution": d.indicator_score * d.indicator_weight,
                                                         "rows": []})
            group["rows"].append(d)
        context["indicators"] = list(groups.values())
        context["adjustments"] = Adjustment.objects.restrict(self.request.user, "view").filter(
            period=obj.period, subject_type=obj.subject_type, subject_id=obj.subject_id)
        return context


class ScoreDetailListView(ObjectListView):
    model = ScoreDetail
    module = MODULE_RESULTS
    title = gettext_lazy("Score details")
    filterset_class = ScoreDetailFilterSet
    table_class = ScoreDetailTable
    select_related = ("result",)
    default_sort = "subject"


class AdjustmentListView(ObjectListView):
    model = Adjustment
    module = MODULE_RESULTS
    title = gettext_lazy("Score adjustments")
    filterset_class = AdjustmentFilterSet
    table_class = AdjustmentTable
    select_related = ("user", "org_unit", "created_by")
    default_sort = "-created_at"
    create_url_name = "assessment:adjustment_create"


class AdjustmentCreateView(ObjectEditView):
    model = Adjustment
    module = MODULE_RESULTS
    form_class = AdjustmentForm
    list_url_name = "assessment:adjustment_list"

    def get_title(self) -> str:
        return _("Adjust last month's score")

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["period"] = cal.previous_month()
        return kwargs

    def form_accepts_instance(self) -> bool:
        return False

    def get_success_url(self, obj) -> str:
        return reverse("assessment:adjustment_list")

    def create(self, form):
        data = form.cleaned_data
        return services.adjustment_create(user=self.request.user, result=data["result"], delta=data["delta"],
                                          reason=data["reason"])


# --- 加分项 and 非KPI考核信息 -------------------------------------------------------------------------------------


class BonusListView(ObjectListView):
    model = Bonus
    module = MODULE_RESULTS
    title = gettext_lazy("Bonus points")
    filterset_class = BonusFilterSet
    table_class = BonusTable
    select_related = ("user", "org_unit", "created_by")
    default_sort = "-period"
    create_url_name = "assessment:bonus_create"


class _SubjectRecordEditView(ObjectEditView):
    """Create / edit page of a bonus or a note: one subject and month, a delete link when editing."""

    module = MODULE_RESULTS
    template_name = "assessment/record_edit.html"
    delete_url_name = ""

    def form_accepts_instance(self) -> bool:
        return True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if not self.is_create():
            context["delete_url"] = reverse(self.delete_url_name, args=[self.get_object().pk])
        return context


class BonusEditView(_SubjectRecordEditView):
    model = Bonus
    form_class = BonusForm
    list_url_name = "assessment:bonus_list"
    delete_url_name = "assessment:bonus_delete"

    def get_initial(self) -> dict[str, Any]:
        return {"period": clock.current_month()} if self.is_create() else {}

    def create(self, form):
        data = form.cleaned_data
        return services.bonus_create(user=self.request.user, subject_type=data["subject_type"],
                                     subject_id=data["subject_id"], period=data["period"], points=data["points"],
                                     reason=data["reason"])

    def update(self, form, obj):
        return services.bonus_update(user=self.request.user, bonus=obj, points=form.cleaned_data["points"],
                                     reason=form.cleaned_data["reason"])


class BonusDeleteView(ObjectDeleteView):
    model = Bonus
    module = MODULE_RESULTS
    list_url_name = "assessment:bonus_list"

    def delete(self, obj):
        services.bonus_delete(user=self.request.user, bonus=obj)


class NoteListView(ObjectListView):
    model = AssessmentNote
    module = MODULE_RESULTS
    title = gettext_lazy("Assessment notes")
    filterset_class = NoteFilterSet
    table_class = NoteTable
    select_related = ("user", "org_unit", "created_by")
    default_sort = "-period"
    create_url_name = "assessment:note_create"


class NoteEditView(_SubjectRecordEditView):
    model = AssessmentNote
    form_class = NoteForm
    list_url_name = "assessment:note_list"
    delete_url_name = "assessment:note_delete"

    def get_initial(self) -> dict[str, Any]:
        return {"period": cal.previous_month()} if self.is_create() else {}

    def create(self, form):
        data = form.cleaned_data
        return services.note_create(user=self.request.user, subject_type=data["subject_type"],
                                    subject_id=data["subject_id"], period=data["period"], text=data["text"])

    def update(self, form, obj):
        return services.note_update(user=self.request.user, note=obj, text=form.cleaned_data["text"])


class NoteDeleteView(ObjectDeleteView):
    model = AssessmentNote
    module = MODULE_RESULTS
    list_url_name = "assessment:note_list"

    def delete(self, obj):
        services.note_delete(user=self.request.user, note=obj)
