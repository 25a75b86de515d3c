"""Pages of 流程管理: my tasks (待办 / 已办), instances with history and diagram, definitions,
versions and the graphical designer (bpmn-js)."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from kam.core.views import ModuleViewMixin, ObjectDetailView, ObjectListView, has_module_perm
from kam.org.models import User

from . import services
from .filtersets import DefinitionFilterSet, InstanceFilterSet
from .models import (
    DESIGN_MODULE,
    MODULE,
    HumanTask,
    InstanceStatus,
    ProcessDefinition,
    ProcessInstance,
    ProcessVersion,
    TaskEvent,
    TaskStatus,
    VersionStatus,
)
from .selectors import (
    INSTANCE_LIST_DEFER,
    OPEN,
    TASK_LIST_DEFER,
    copied_to,
    instances_visible,
    tasks_done,
    tasks_todo,
    tasks_visible,
)
from .tables import CopyTable, DefinitionTable, InstanceTable, TaskTable


def _messages_of(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _active_user(username: str) -> User:
    """The active user with this account number (the target of 转办 / 委派 / 抄送 / 加签)."""
    to_user = User.objects.filter(username=username.strip(), is_active=True).first()
    if to_user is None:
        raise ValidationError({"to_user": _("No active user with this account number.")})
    return to_user


class AnyUserMixin:
    """Pages every logged-in user may open: what they show is their own tasks (plus their scope)."""

    def check_permission(self) -> None:
        return None


# --- my tasks ------------------------------------------------------------------------------------


class TaskListView(AnyUserMixin, ObjectListView):
    """我的待办 / 我的已办."""

    model = HumanTask
    module = MODULE
    table_class = TaskTable
    template_name = "processes/task_list.html"
    default_sort = "due_at"

    def get_tab(self) -> str:
        return "done" if self.request.GET.get("tab") == "done" else "todo"

    def get_title(self) -> str:
        return _("My done tasks") if self.get_tab() == "done" else _("My to-do tasks")

    def get_queryset(self):
        return tasks_done(self.request.user) if self.get_tab() == "done" else tasks_todo(self.request.user)

    def get_sort(self) -> str:
        sort = super().get_sort()
        if self.get_tab() == "done" and not self.request.GET.get("sort"):
            return "-completed_at"
        return sort

    def get_table(self, page):
        table = super().get_table(page)
        if self.get_tab() == "done":
            table.exclude = ("due_at", "status")
        else:
            table.exclude = ("outcome", "completed_at")
        return table

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["tab"] = self.get_tab()
        return context


class TaskDetailView(AnyUserMixin, ObjectDetailView):
    """One task: the instance, its history, and the act form for the assignee."""

    model = HumanTask
    module = MODULE
    template_name = "processes/task_detail.html"

    def get_queryset(self):
        return tasks_visible(self.request.user).select_related(
            "instance__version__definition", "instance__starter", "assignee").defer(*TASK_LIST_DEFER)

    def get_title(self) -> str:
        task = self.get_object()
        return f"{task.node_name} · {task.instance}"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        task = self.get_object()
        can_act = task.is_open and task.assignee_id == self.request.user.pk and (
            task.instance.status == InstanceStatus.RUNNING)
        earlier = (HumanTask.objects.filter(instance=task.instance, status=TaskStatus.DONE)
                   .exclude(node_id=task.node_id).values_list("node_id", "node_name").distinct())
        context.update(
            task=task, instance=task.instance, can_act=can_act, earlier_nodes=sorted(set(earlier)),
            events=task.instance.events.select_related("actor", "target"),
            data_rows=_data_rows(task.instance.data),
            step_others=(HumanTask.objects.filter(instance=task.instance, engine_task_id=task.engine_task_id,
                                                  status__in=(*OPEN, TaskStatus.PENDING))
                         .exclude(pk=task.pk).select_related("assignee").order_by("seq"))
            if can_act else [],
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        task = self.get_object()
        action = request.POST.get("action", "")
        opinion = request.POST.get("opinion", "")
        try:
            version = int(request.POST.get("version", ""))
        except ValueError:
            version = None
        try:
            if action == "remove_signer":
                removed = HumanTask.objects.filter(pk=request.POST.get("removed") or 0,
                                                   instance_id=task.instance_id).first()
                if removed is None:
                    raise ValidationError(_("Only another approver still waiting at this step can be removed."))
                services.task_remove_signer(user=request.user, task=task, removed=removed, opinion=opinion)
                messages.success(request, _("Approver removed."))
                return HttpResponseRedirect(reverse("processes:task_detail", args=[task.pk]))
            if action in ("add_before", "add_after"):
                to_user = _active_user(request.POST.get("to_user", ""))
                services.task_add_signer(user=request.user, task=task, to_user=to_user,
                                         position=action.removeprefix("add_"), opinion=opinion)
                messages.success(request, _("%(name)s was added as an approver.") % {"name": to_user.name})
                return HttpResponseRedirect(reverse("processes:task_detail", args=[task.pk]))
            if action in ("transfer", "delegate", "cc"):
                to_user = _active_user(request.POST.get("to_user", ""))
                if action == "transfer":
                    services.task_transfer(user=request.user, task=task, to_user=to_user, opinion=opinion,
                                           expected_version=version)
                    messages.success(request, _("The task was transferred to %(name)s.") % {"name": to_user.name})
                elif action == "delegate":
                    services.task_delegate(user=request.user, task=task, to_user=to_user, opinion=opinion,
                                           expected_version=version)
                    messages.success(request, _("The task was delegated to %(name)s.") % {"name": to_user.name})
                else:
                    services.task_copy(user=request.user, task=task, to_users=[to_user], opinion=opinion)
                    messages.success(request, _("Copied to %(name)s.") % {"name": to_user.name})
                    return HttpResponseRedirect(reverse("processes:task_detail", args=[task.pk]))
            else:
                services.task_complete(user=request.user, task=task, action=action, opinion=opinion,
                                       target_node=request.POST.get("target_node") or None,
                                       expected_version=version)
                messages.success(request, _("Approved.") if action == "approve" else _("Rejected."))
        except ValidationError as exc:
            messages.error(request, _messages_of(exc))
            return HttpResponseRedirect(reverse("processes:task_detail", args=[task.pk]))
        except PermissionDenied as exc:
            messages.error(request, str(exc))
            return HttpResponseRedirect(reverse("processes:task_detail", args=[task.pk]))
        return HttpResponseRedirect(reverse("processes:task_list"))


class CopiedListView(AnyUserMixin, ObjectListView):
    """抄送我的: the copies the user received."""

    model = TaskEvent
    module = MODULE
    table_class = CopyTable
    template_name = "processes/task_list.html"
    title = gettext_lazy("Copied to me")

    def get_queryset(self):
        return copied_to(self.request.user)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["tab"] = "cc"
        return context


def _data_rows(data: dict) -> list[tuple[str, str]]:
    return [(str(k), v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))
            for k, v in (data or {}).items() if k != "approvers"]


# --- instances -----------------------------------------------------------------------------------


class InstanceListView(ObjectListView):
    """流程实例: the instances in the user's scope and those they took part in."""

    model = ProcessInstance
    module = MODULE
    table_class = InstanceTable
    filterset_class = InstanceFilterSet
    default_sort = "-started_at"
    title = gettext_lazy("Process instances")

    def get_queryset(self):
        return instances_visible(self.request.user).select_related("version__definition", "starter").defer(
            *INSTANCE_LIST_DEFER)


class InstanceDetailView(ObjectDetailView):
    model = ProcessInstance
    module = MODULE
    template_name = "processes/instance_detail.html"
    list_url_name = "processes:instance_list"

    def check_permission(self) -> None:
        return None  # participants see the instances they took part in (instances_visible)

    def get_queryset(self):
        return instances_visible(self.request.user).select_related(
            "version__definition", "starter", "starter_unit").defer(*INSTANCE_LIST_DEFER)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        inst = self.get_object()
        context.update(
            instance=inst,
            events=inst.events.select_related("actor", "target"),
            tasks=inst.tasks.select_related("assignee").order_by("created_at", "seq", "id"),
            data_rows=_data_rows(inst.data),
            can_withdraw=inst.status == InstanceStatus.RUNNING and inst.starter_id == self.request.user.pk,
            done_nodes=sorted(set(inst.tasks.filter(status=TaskStatus.DONE).values_list("node_id", flat=True))),
        )
        return context


class InstanceDiagramView(ModuleViewMixin, View):
    """The BPMN XML of an instance's version (for the viewer on the instance page)."""

    model = ProcessInstance
    module = MODULE

    def check_permission(self) -> None:
        return None

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        inst = instances_visible(request.user).select_related("version").filter(pk=pk).first()
        if inst is None:
            raise Http404(_("No such record, or it lies outside your data scope."))
        return HttpResponse(inst.version.bpmn_xml, content_type="application/xml; charset=utf-8")


class InstanceWithdrawView(ModuleViewMixin, View):
    model = ProcessInstance
    module = MODULE

    def check_permission(self) -> None:
        return None

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        inst = instances_visible(request.user).filter(pk=pk).first()
        if inst is None:
            raise Http404(_("No such record, or it lies outside your data scope."))
        try:
            services.instance_withdraw(user=request.user, instance=inst, opinion=request.POST.get("opinion", ""))
            messages.success(request, _("The application was withdrawn."))
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, _messages_of(exc) if isinstance(exc, ValidationError) else str(exc))
        return HttpResponseRedirect(reverse("processes:instance_detail", args=[pk]))


# --- definitions and the designer ---------------------------------------------------------------


class DefinitionListView(ObjectListView):
    model = ProcessDefinition
    module = DESIGN_MODULE
    table_class = DefinitionTable
    filterset_class = DefinitionFilterSet
    default_sort = "name"
    create_url_name = "processes:designer"
    title = gettext_lazy("Process definitions")


class DefinitionDetailView(ObjectDetailView):
    model = ProcessDefinition
    module = DESIGN_MODULE
    template_name = "processes/definition_detail.html"
    fields = ("code", "name", "category")
    list_url_name = "processes:definition_list"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["versions"] = (ProcessVersion.objects.restrict(self.request.user, "view")
                               .filter(definition=self.get_object()).select_related("created_by"))
        context["statuses"] = VersionStatus
        return context


class _VersionActionView(ModuleViewMixin, View):
    model = ProcessVersion
    module = DESIGN_MODULE
    action = "change"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        version = self.get_queryset().filter(pk=pk).select_related("definition").first()
        if version is None:
            raise Http404(_("No such record, or it lies outside your data scope."))
        self.apply(version)
        return HttpResponseRedirect(reverse("processes:definition_detail", args=[version.definition_id]))


class VersionActivateView(_VersionActionView):
    def apply(self, version: ProcessVersion) -> None:
        services.version_activate(user=self.request.user, version=version)
        messages.success(self.request, _("Version %(n)s is now active.") % {"n": version.number})


class VersionRetireView(_VersionActionView):
    def apply(self, version: ProcessVersion) -> None:
        services.version_retire(user=self.request.user, version=version)
        messages.success(self.request, _("Version %(n)s is retired.") % {"n": version.number})


class VersionXmlView(ModuleViewMixin, View):
    model = ProcessVersion
    module = DESIGN_MODULE

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        version = self.get_queryset().filter(pk=pk).first()
        if version is None:
            raise Http404(_("No such record, or it lies outside your data scope."))
        return HttpResponse(version.bpmn_xml, content_type="application/xml; charset=utf-8")


NEW_DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  id="Definitions_new" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="new_process" name="" isExecutable="true">
    <bpmn:startEvent id="start" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="Diagram_new">
    <bpmndi:BPMNPlane id="Plane_new" bpmnElement="new_process">
      <bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="152" y="102" width="36" height="36" />
      </bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


class DesignerView(ModuleViewMixin, TemplateView):
    """流程设计: the bpmn-js modeler; saving creates a new version."""

    model = ProcessVersion
    module = DESIGN_MODULE
    template_name = "processes/designer.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        version = None
        if "pk" in self.kwargs:
            version = self.get_queryset().filter(pk=self.kwargs["pk"]).select_related("definition").first()
            if version is None:
                raise Http404(_("No such record, or it lies outside your data scope."))
        context.update(
            title=_("Process designer"), version=version,
            xml=version.bpmn_xml if version else NEW_DIAGRAM,
            node_config=json.dumps(version.node_config if version else {}, ensure_ascii=False, indent=2),
            can_save=has_module_perm(self.request.user, DESIGN_MODULE, "change"),
        )
        return context


class DesignerSaveView(ModuleViewMixin, View):
    """POST JSON ``{xml, node_config, name, category}`` → a new version, or the errors (400)."""

    model = ProcessVersion
    module = DESIGN_MODULE
    action = "change"

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            body = json.loads(request.body or b"{}")
            node_config = body.get("node_config") or {}
            if isinstance(node_config, str):
                node_config = json.loads(node_config or "{}")
        except (ValueError, AttributeError):
            return JsonResponse({"errors": {"node_config": [_("The node configuration is not valid JSON.")]}},
                                status=400)
        try:
            version = services.definition_save(user=request.user, xml=str(body.get("xml") or ""),
                                               node_config=node_config, name=str(body.get("name") or ""),
                                               category=str(body.get("category") or ""))
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
            return JsonResponse({"errors": errors}, status=400)
        return JsonResponse({
            "id": version.pk, "number": version.number,
            "message": _("Saved as version %(n)s of %(name)s.") % {"n": version.number,
                                                                    "name": version.definition.name},
            "url": reverse("processes:definition_detail", args=[version.definition_id]),
        })


