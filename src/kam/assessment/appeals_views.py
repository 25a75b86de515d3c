"""Pages of result confirmation and appeals (decision 0026): 发布考核结果, 考核结果确认, 申诉管理.

Every write goes through :mod:`kam.assessment.appeals`; every list and detail starts from
``.restrict(user, action)``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from kam.core.views import ObjectDetailView, ObjectEditView, ObjectListView, ObjectMixin

from . import appeals
from . import calendar as cal
from .filtersets import AppealFilterSet, ConfirmationFilterSet, PublicationFilterSet
from .forms import AppealForm, ReasonForm
from .models import (
    MODULE_RESULTS,
    MODULE_RUN,
    Appeal,
    AppealStatus,
    ConfirmationState,
    Publication,
    Result,
    ResultConfirmation,
)
from .tables import AppealTable, ConfirmationTable, PublicationTable
from .views import MonthActionView

# --- 发布考核结果 ---------------------------------------------------------------------------------------------------


class PublicationListView(ObjectListView):
    model = Publication
    module = MODULE_RUN
    title = gettext_lazy("Publish results")
    filterset_class = PublicationFilterSet
    table_class = PublicationTable
    select_related = ("published_by",)
    default_sort = "-published_at"
    create_url_name = "assessment:publication_create"


class PublicationCreateView(MonthActionView):
    model = Publication
    module = MODULE_RUN
    list_url_name = "assessment:publication_list"
    template_name = "assessment/appeals/publish.html"

    def get_title(self) -> str:
        return _("Publish the results of a month for confirmation")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        period = cal.previous_month()
        context["deadline"] = appeals.confirmation_deadline(period)
        context["period"] = period
        return context

    def success_message(self, obj, created: bool) -> str:
        return _("The results of %(month)s have been published: %(count)s to confirm by %(day)s.") % {
            "month": obj.period, "count": obj.result_count, "day": obj.deadline.isoformat()}

    def get_success_url(self, obj) -> str:
        return reverse("assessment:publication_list")

    def create(self, form):
        return appeals.publication_create(user=self.request.user, period=form.cleaned_data["period"])


class PublicationWithdrawView(ObjectEditView):
    model = Publication
    module = MODULE_RUN
    form_class = ReasonForm
    list_url_name = "assessment:publication_list"

    def get_title(self) -> str:
        return _("Withdraw the publication of %(month)s") % {"month": self.get_object().period}

    def form_accepts_instance(self) -> bool:
        return False

    def success_message(self, obj, created: bool) -> str:
        return _("The publication of %(month)s has been withdrawn.") % {"month": obj.period}

    def get_success_url(self, obj) -> str:
        return reverse("assessment:publication_list")

    def update(self, form, obj):
        return appeals.publication_withdraw(user=self.request.user, publication=obj,
                                            reason=form.cleaned_data["reason"])


# --- 考核结果确认 -----------------------------------------------------------------------------------------------------


class ConfirmationListView(ObjectListView):
    """The user's own published results: confirm or appeal each within the window."""

    model = ResultConfirmation
    module = MODULE_RESULTS
    title = gettext_lazy("Confirm my results")
    filterset_class = ConfirmationFilterSet
    table_class = ConfirmationTable
    default_sort = "-period"

    def get_queryset(self):
        return appeals.my_confirmations(self.request.user)


class _OwnConfirmationMixin(ObjectMixin):
    model = ResultConfirmation
    module = MODULE_RESULTS
    action = "view"  # the service checks that the user is the assessed manager

    def get_queryset(self):
        return appeals.my_confirmations(self.request.user)


class ConfirmationResultView(_OwnConfirmationMixin, TemplateView):
    """From a confirmation to its scorecard."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        confirmation = self.get_object()
        result = Result.objects.restrict(request.user, "view").filter(
            period=confirmation.period, subject_type=confirmation.subject_type,
            subject_id=confirmation.subject_id).first()
        if result is None:
            raise Http404(_("No such record, or it lies outside your data scope."))
        return HttpResponseRedirect(reverse("assessment:result_detail", args=[result.pk]))


class ConfirmationConfirmView(_OwnConfirmationMixin, TemplateView):
    template_name = "assessment/appeals/confirm.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(object=self.get_object(), title=_("Confirm the assessment result"),
                       cancel_url=reverse("assessment:confirmation_list"), module=MODULE_RESULTS)
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        confirmation = self.get_object()
        try:
            appeals.confirmation_confirm(user=request.user, confirmation=confirmation)
        except (ValidationError, PermissionDenied) as exc:
            errors = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            return render(request, self.template_name, self.get_context_data(errors=errors))
        messages.success(request, _("Your result of %(month)s has been confirmed.") % {"month": confirmation.period})
        nxt = request.POST.get("next") or ""
        if not url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
            nxt = reverse("assessment:confirmation_list")
        return HttpResponseRedirect(nxt)


class AppealCreateView(_OwnConfirmationMixin, ObjectEditView):
    form_class = AppealForm
    list_url_name = "assessment:confirmation_list"
    template_name = "assessment/appeals/appeal_form.html"

    def get_title(self) -> str:
        return _("Appeal the result of %(month)s") % {"month": self.get_object().period}

    def form_accepts_instance(self) -> bool:
        return False

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["indicators"] = appeals.indicator_choices(self.get_object())
        return kwargs

    def success_message(self, obj, created: bool) -> str:
        return _("Your appeal has been submitted to your supervisor.")

    def get_success_url(self, obj) -> str:
        return reverse("assessment:appeal_detail", args=[obj.pk])

    def update(self, form, obj):
        data = form.cleaned_data
        return appeals.appeal_create(user=self.request.user, confirmation=obj, reason=data["reason"],
                                     indicator_name=data["indicator_name"], expected_score=data["expected_score"])


# --- 申诉管理 ---------------------------------------------------------------------------------------------------------


class AppealListView(ObjectListView):
    """Appeals within the user's scope: a manager sees their own, a supervisor their subordinates'."""

    model = Appeal
    module = MODULE_RESULTS
    title = gettext_lazy("Appeals")
    filterset_class = AppealFilterSet
    table_class = AppealTable
    select_related = ("org_unit",)
    default_sort = "-created_at"


class AppealDetailView(ObjectDetailView):
    model = Appeal
    module = MODULE_RESULTS
    template_name = "assessment/appeals/appeal_detail.html"
    fields = ("period", "subject_label", "reason", "indicator_name", "expected_score", "status", "created_by",
              "created_at", "decision_delta", "decision_reason", "decided_by", "decided_at")
    list_url_name = "assessment:appeal_list"

    def get_queryset(self):
        return super().get_queryset().select_related("process", "confirmation", "created_by", "decided_by")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        from kam.processes.views import _with_data_rows  # the process page's history, step data included

        context = super().get_context_data(**kwargs)
        appeal = self.get_object()
        context.update(
            events=_with_data_rows(appeal.process, appeal.process.events.select_related("actor", "target")
                                   .order_by("at", "id")) if appeal.process_id else [],
            instance_url=reverse("processes:instance_detail", args=[appeal.process_id]) if appeal.process_id else "",
            can_withdraw=appeal.status == AppealStatus.OPEN and appeal.created_by_id == self.request.user.pk,
            confirmation_state=ConfirmationState(appeal.confirmation.state).label,
        )
        return context


class AppealWithdrawView(ObjectMixin, TemplateView):
    model = Appeal
    module = MODULE_RESULTS
    action = "view"  # the service checks that the user is the appellant

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        appeal = self.get_object()
        try:
            appeals.appeal_withdraw(user=request.user, appeal=appeal, reason=request.POST.get("reason", ""))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        except PermissionDenied as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The appeal has been withdrawn."))
        return HttpResponseRedirect(reverse("assessment:appeal_detail", args=[appeal.pk]))
