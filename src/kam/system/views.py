"""Pages of 系统管理: dictionaries, parameters, announcements, operation log, login log, online users.

Built on the generic views of ``kam.core.views``: every list and detail starts from
``Model.objects.restrict(user, action)``, every write goes through ``services``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views import View

from kam.core.registry import MODULES
from kam.core.views import (
    ModuleViewMixin,
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
    ToolbarButton,
)

from . import forms, services
from .filtersets import (
    AnnouncementFilterSet,
    DictTypeFilterSet,
    LoginLogFilterSet,
    OperationLogFilterSet,
    ParameterFilterSet,
    UserSessionFilterSet,
)
from .middleware import describe_operation, operation
from .models import Announcement, DictType, DictValue, LoginLog, OperationLog, Parameter, UserSession
from .selectors import announcements_for, online_sessions
from .tables import (
    AnnouncementTable,
    DictTypeTable,
    DictValueTable,
    LoginLogTable,
    OnlineTable,
    OperationLogTable,
    ParameterTable,
)


class DescribedEditView(ObjectEditView):
    """Names the operation-log entry of a create (新增) or an edit (修改) after the record."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        obj = None if self.is_create() else self.get_object()
        describe_operation(request, f"{self.model._meta.verbose_name} {obj or ''}".strip(),
                           action="create" if self.is_create() else "update")
        return response


class DescribedDeleteView(ObjectDeleteView):
    def post(self, request, *args, **kwargs):
        describe_operation(request, f"{self.model._meta.verbose_name} {self.get_object()}", action="delete")
        return super().post(request, *args, **kwargs)


class NoBuiltinDeleteMixin:
    """Built-in records cannot be deleted: no delete button on their page."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if getattr(context.get("object"), "builtin", False):
            context["delete_url"] = ""
        return context


class PostActionView(ModuleViewMixin, View):
    """A POST-only action on one record of the restricted queryset (``action = "change"``)."""

    action = "change"
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        obj = get_object_or_404(self.get_queryset(), pk=kwargs["pk"])
        try:
            message = self.perform(obj)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, message)
        return HttpResponseRedirect(self.next_url(obj))

    def perform(self, obj) -> str:  # pragma: no cover - each view implements it
        raise NotImplementedError

    def next_url(self, obj) -> str:
        return "/"


# ---------------------------------------------------------------------------------------------
# 字典管理


class DictTypeListView(ObjectListView):
    model = DictType
    filterset_class = DictTypeFilterSet
    table_class = DictTypeTable
    default_sort = "code"
    create_url_name = "system:dict_type_create"
    title = _lazy("Dictionaries")


class DictTypeDetailView(NoBuiltinDeleteMixin, ObjectDetailView):
    model = DictType
    fields = ("code", "name", "enabled", "builtin", "remark")
    list_url_name = "system:dict_type_list"
    edit_url_name = "system:dict_type_edit"
    delete_url_name = "system:dict_type_delete"

    def get_panels(self, obj):
        values = DictValue.objects.restrict(self.request.user, "view").filter(dict_type=obj)
        table = DictValueTable(list(values))
        table.request = self.request
        from django.template import Context

        can_change = self.object_can_change(obj)
        table.context = Context({"can_change": can_change, "request": self.request})
        panel = {"name": "dict_values", "template": "system/_dict_values_panel.html",
                 "context": {"values_table": table, "dict_type": obj, "can_change_values": can_change}}
        return [panel, *super().get_panels(obj)]


class DictTypeEditView(DescribedEditView):
    model = DictType
    form_class = forms.DictTypeForm
    success_url_name = "system:dict_type_detail"
    list_url_name = "system:dict_type_list"

    def create(self, form):
        return services.dict_type_create(actor=self.request.user, **form.cleaned_data)

    def update(self, form, obj):
        return services.dict_type_update(actor=self.request.user, dict_type=obj, **form.cleaned_data)


class DictTypeDeleteView(DescribedDeleteView):
    model = DictType
    list_url_name = "system:dict_type_list"

    def delete(self, obj):
        services.dict_type_delete(actor=self.request.user, dict_type=obj)


class DictValueEditView(DescribedEditView):
    model = DictValue
    form_class = forms.DictValueForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.check_permission()
            self.dict_type = get_object_or_404(DictType.objects.restrict(request.user, "change"),
                                               pk=kwargs["type_pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return super().get_queryset().filter(dict_type_id=self.kwargs["type_pk"])

    def create(self, form):
        return services.dict_value_create(actor=self.request.user, dict_type=self.dict_type, **form.cleaned_data)

    def update(self, form, obj):
        return services.dict_value_update(actor=self.request.user, item=obj, **form.cleaned_data)

    def get_success_url(self, obj):
        return reverse("system:dict_type_detail", args=[self.kwargs["type_pk"]])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["cancel_url"] = reverse("system:dict_type_detail", args=[self.kwargs["type_pk"]])
        return context


class DictValueDeleteView(PostActionView):
    model = DictValue

    @operation("删除")
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)

    def get_queryset(self):
        return super().get_queryset().filter(dict_type_id=self.kwargs["type_pk"])

    def perform(self, obj):
        describe_operation(self.request, f"{DictValue._meta.verbose_name} {obj.label}", action="delete")
        services.dict_value_delete(actor=self.request.user, item=obj)
        return _("“%(object)s” has been deleted.") % {"object": obj.label}

    def next_url(self, obj):
        return reverse("system:dict_type_detail", args=[self.kwargs["type_pk"]])


# ---------------------------------------------------------------------------------------------
# 参数设置


class ParameterListView(ObjectListView):
    model = Parameter
    filterset_class = ParameterFilterSet
    table_class = ParameterTable
    default_sort = "key"
    create_url_name = "system:parameter_create"
    title = _lazy("Parameters")


class ParameterEditView(DescribedEditView):
    model = Parameter
    list_url_name = "system:parameter_list"

    def get_form_class(self):
        return forms.ParameterCreateForm if self.is_create() else forms.ParameterForm

    def get_form(self):
        self.form_class = self.get_form_class()
        return super().get_form()

    def create(self, form):
        return services.parameter_create(actor=self.request.user, **form.cleaned_data)

    def update(self, form, obj):
        data = form.cleaned_data
        return services.parameter_update(actor=self.request.user, parameter=obj, value=data["value"],
                                         name=data["name"], remark=data["remark"])


class ParameterDeleteView(DescribedDeleteView):
    model = Parameter
    list_url_name = "system:parameter_list"

    def delete(self, obj):
        services.parameter_delete(actor=self.request.user, parameter=obj)


# ---------------------------------------------------------------------------------------------
# 通知公告


class AnnouncementListView(ObjectListView):
    model = Announcement
    filterset_class = AnnouncementFilterSet
    table_class = AnnouncementTable
    select_related = ("created_by",)
    default_sort = "-publish_at"
    create_url_name = "system:announcement_create"
    title = _lazy("Announcements")


class AnnouncementDetailView(LoginRequiredMixin, View):
    """Readers see an announcement addressed to them; managers any in their scope."""

    def get(self, request, pk):
        obj = (announcements_for(request.user).filter(pk=pk).first()
               or Announcement.objects.restrict(request.user, "view").filter(pk=pk).first())
        if obj is None:
            raise Http404(_("No such record, or it lies outside your data scope."))
        can_change = Announcement.objects.restrict(request.user, "change").filter(pk=pk).exists()
        return render(request, "system/announcement_detail.html",
                      {"title": obj.title, "object": obj, "can_change": can_change})


class AnnouncementEditView(DescribedEditView):
    model = Announcement
    form_class = forms.AnnouncementForm
    success_url_name = "system:announcement_detail"
    list_url_name = "system:announcement_list"
    template_name = "system/announcement_edit.html"

    def create(self, form):
        return services.announcement_create(actor=self.request.user, publish="publish" in self.request.POST,
                                            **form.cleaned_data)

    def update(self, form, obj):
        obj = services.announcement_update(actor=self.request.user, announcement=obj, **form.cleaned_data)
        if "publish" in self.request.POST:
            obj = services.announcement_publish(actor=self.request.user, announcement=obj)
        return obj


class AnnouncementDeleteView(DescribedDeleteView):
    model = Announcement
    list_url_name = "system:announcement_list"

    def delete(self, obj):
        services.announcement_delete(actor=self.request.user, announcement=obj)


class AnnouncementPublishView(PostActionView):
    model = Announcement
    verb = "publish"

    def perform(self, obj):
        describe_operation(self.request, f"{Announcement._meta.verbose_name} {obj}", action="update")
        if self.verb == "publish":
            services.announcement_publish(actor=self.request.user, announcement=obj)
            return _("Published.")
        services.announcement_withdraw(actor=self.request.user, announcement=obj)
        return _("Withdrawn.")

    def next_url(self, obj):
        return reverse("system:announcement_detail", args=[obj.pk])


def announcements_home_panel(request):
    """The home-page panel: shown when the user has current announcements."""
    from kam.core.registry import HomePanelData

    rows = list(announcements_for(request.user, limit=8))
    if not rows:
        return None
    return HomePanelData(title=_("Announcements"), count=len(rows),
                         rows=[(a.title, reverse("system:announcement_detail", args=[a.pk])) for a in rows])


# ---------------------------------------------------------------------------------------------
# 操作日志 / 登录日志


class LogListView(ObjectListView):
    default_sort = "-created_at"
    clear_url_name = ""

    def get_toolbar_buttons(self) -> list[ToolbarButton]:
        buttons = super().get_toolbar_buttons()
        if self.can_change:
            buttons.append(ToolbarButton(_("Clear entries past the retention days"), reverse(self.clear_url_name),
                                         icon="trash", style="outline-danger", method="post"))
        return buttons


class OperationLogListView(LogListView):
    model = OperationLog
    filterset_class = OperationLogFilterSet
    table_class = OperationLogTable
    clear_url_name = "system:operation_log_clear"
    title = _lazy("Operation log")


class OperationLogDetailView(ObjectDetailView):
    model = OperationLog
    fields = ("created_at", "username", "org_unit", "module", "action", "description", "ip", "method", "url",
              "duration_ms", "status_code", "result", "error_message")
    list_url_name = "system:operation_log_list"
    select_related = ("org_unit",)

    def get_title(self):
        return str(_("Operation log entry"))

    def get_field_rows(self, obj):
        rows = super().get_field_rows(obj)
        module = MODULES.get(obj.module)
        label = str(OperationLog._meta.get_field("module").verbose_name)
        return [(name, (module.label if module else value) if name == label else value) for name, value in rows]


class LoginLogListView(LogListView):
    model = LoginLog
    filterset_class = LoginLogFilterSet
    table_class = LoginLogTable
    clear_url_name = "system:login_log_clear"
    title = _lazy("Login log")


class LogClearView(ModuleViewMixin, View):
    """清空: delete the entries past the retention days (parameter ``log.retention_days``)."""

    action = "change"
    http_method_names = ["post"]

    def post(self, request):
        if self.module == "operation_log":
            count, url = services.operation_log_clear(actor=request.user), "system:operation_log_list"
        else:
            count, url = services.login_log_clear(actor=request.user), "system:login_log_list"
        messages.success(request, _("%(count)s entries deleted.") % {"count": count})
        return HttpResponseRedirect(reverse(url))


# ---------------------------------------------------------------------------------------------
# 在线用户


class OnlineListView(ObjectListView):
    model = UserSession
    filterset_class = UserSessionFilterSet
    table_class = OnlineTable
    default_sort = "-last_activity"
    title = _lazy("Online users")

    def get_queryset(self):
        return online_sessions(self.request.user, self.get_action())


class ForceLogoutView(PostActionView):
    model = UserSession

    def get_queryset(self):
        return online_sessions(self.request.user, "change")

    def perform(self, obj: Any):
        services.session_force_logout(actor=self.request.user, user_session=obj,
                                      revoke_tokens=bool(self.request.POST.get("revoke_tokens")),
                                      request=self.request)
        return _("%(user)s has been logged out.") % {"user": obj.user}

    def next_url(self, obj):
        return reverse("system:online_list")
