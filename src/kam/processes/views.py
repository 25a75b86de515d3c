"""Pages of 流程管理: my tasks (待办 / 已办), instances with history and diagram, definitions,
versions and the graphical designer (bpmn-js)."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views import View
from django.views.generic import TemplateView

from kam.core.views import ModuleViewMixin, ObjectDetailView, ObjectListView, has_module_perm
from kam.org.models import Role, User

from . import assignees, services, stepdata
from .connectors import CONNECTORS
from .filtersets import DefinitionFilterSet, InstanceFilterSet
from .forms import RerouteForm, StartForm, StatisticsForm, StepDataForm
from .models import (
    DESIGN_MODULE,
    MODULE,
    HumanTask,
    InstanceStatus,
    ProcessDefinition,
    ProcessInstance,
    ProcessVersion,
    ServiceCall,
    ServiceCallStatus,
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
    node_statistics,
    tasks_claimable,
    tasks_claimed,
    tasks_done,
    tasks_todo,
    tasks_visible,
)
from .tables import CopyTable, DefinitionTable, InstanceTable, TaskTable

# The labels of a step's allowed actions (同意 驳回 退回 转办 委派 加签 减签 抄送).
ACTION_LABELS = {
    "approve": pgettext_lazy("process", "Approve"), "reject": gettext_lazy("Reject"),
    "send_back": gettext_lazy("Send back"),
    "transfer": gettext_lazy("Transfer"), "delegate": gettext_lazy("Delegate"),
    "add_signer": gettext_lazy("Add approver"), "remove_signer": gettext_lazy("Remove approver"),
    "cc": gettext_lazy("Copy to"),
}


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

    TABS = {"todo": (gettext_lazy("My to-do tasks"), tasks_todo),
            "claimable": (gettext_lazy("Tasks to claim"), tasks_claimable),
            "claimed": (gettext_lazy("My claimed tasks"), tasks_claimed),
            "done": (gettext_lazy("My done tasks"), tasks_done)}

    def get_tab(self) -> str:
        tab = self.request.GET.get("tab", "")
        return tab if tab in self.TABS else "todo"

    def get_title(self) -> str:
        return str(self.TABS[self.get_tab()][0])

    def get_queryset(self):
        return self.TABS[self.get_tab()][1](self.request.user)

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
        running = task.is_open and task.instance.status == InstanceStatus.RUNNING
        can_act = running and task.assignee_id == self.request.user.pk
        is_candidate = running and task.candidates.filter(pk=self.request.user.pk).exists()
        earlier = (HumanTask.objects.filter(instance=task.instance, status=TaskStatus.DONE)
                   .exclude(node_id=task.node_id).values_list("node_id", "node_name").distinct())
        cfg = services.node_config(task.instance, task.node_id)
        allowed = assignees.allowed_actions(cfg)
        context.update(
            step_form=StepDataForm(fields=cfg.get("fields") or []) if can_act and cfg.get("fields") else None,
            task=task, instance=task.instance, can_act=can_act, earlier_nodes=sorted(set(earlier)),
            allowed=allowed, previous_node=services.previous_node(task) if can_act else None,
            can_claim=is_candidate and task.assignee_id is None,
            can_release=can_act and is_candidate and task.status == TaskStatus.CLAIMED,
            events=_with_data_rows(task.instance, task.instance.events.select_related("actor", "target")),
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
            if action == "claim":
                services.task_claim(user=request.user, task=task)
                messages.success(request, _("You claimed the task."))
                return HttpResponseRedirect(reverse("processes:task_detail", args=[task.pk]))
            if action == "release":
                services.task_release(user=request.user, task=task, opinion=opinion)
                messages.success(request, _("The task went back to the pool."))
                return HttpResponseRedirect(reverse("processes:task_list"))
            if action == "send_back":
                services.task_send_back(user=request.user, task=task, opinion=opinion, expected_version=version)
                messages.success(request, _("Sent back to the previous step."))
                return HttpResponseRedirect(reverse("processes:task_list"))
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
                fields = services.node_config(task.instance, task.node_id).get("fields") or []
                services.task_complete(user=request.user, task=task, action=action, opinion=opinion,
                                       target_node=request.POST.get("target_node") or None,
                                       expected_version=version,
                                       data={f["name"]: request.POST.get(f"step-{f['name']}", "") for f in fields})
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


def _with_data_rows(instance: ProcessInstance, events) -> list:
    """The history, each answer with the step data it recorded (labels from the step's fields)."""
    rows = list(events)
    for event in rows:
        event.data_rows = (stepdata.display(services.node_config(instance, event.node_id).get("fields"), event.data)
                           if event.data else [])
    return rows


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
            events=_with_data_rows(inst, inst.events.select_related("actor", "target")),
            tasks=inst.tasks.select_related("assignee").order_by("created_at", "seq", "id"),
            data_rows=_data_rows(inst.data),
            can_withdraw=inst.status == InstanceStatus.RUNNING and inst.starter_id == self.request.user.pk,
            done_nodes=sorted(set(inst.tasks.filter(status=TaskStatus.DONE).values_list("node_id", flat=True))),
            service_calls=inst.service_calls.order_by("created_at", "id"),
        )
        admin = has_module_perm(self.request.user, DESIGN_MODULE, "change") and ProcessInstance.objects.restrict(
            self.request.user, "change").filter(pk=inst.pk).exists()
        context["can_admin"] = admin
        if admin and inst.status == InstanceStatus.RUNNING:
            context["reroute_form"] = kwargs.get("reroute_form") or RerouteForm(steps=_reroute_steps(inst))
        return context


def _reroute_steps(inst: ProcessInstance) -> list[tuple[str, str]]:
    """The steps an instance can be moved back to: those it passed (疏导)."""
    passed = (HumanTask.objects.filter(instance=inst, status=TaskStatus.DONE).exclude(node_id__in=inst.current_nodes)
              .values_list("node_id", "node_name").distinct())
    return sorted(set(passed))


class InstanceRerouteView(ModuleViewMixin, View):
    """疏导: a process administrator moves a stuck instance and/or re-assigns its open task."""

    model = ProcessInstance
    module = DESIGN_MODULE
    action = "change"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        inst = ProcessInstance.objects.restrict(request.user, "change").filter(pk=pk).first()
        if inst is None:
            raise Http404(_("No such record, or it lies outside your data scope."))
        form = RerouteForm(request.POST, steps=_reroute_steps(inst))
        if not form.is_valid():
            messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
            return HttpResponseRedirect(reverse("processes:instance_detail", args=[pk]))
        try:
            to_user = _active_user(form.cleaned_data["to_user"]) if form.cleaned_data["to_user"] else None
            services.instance_reroute(user=request.user, instance=inst, reason=form.cleaned_data["reason"],
                                      target_node=form.cleaned_data["target_node"], to_user=to_user)
            messages.success(request, _("The instance was re-routed."))
        except ValidationError as exc:
            messages.error(request, _messages_of(exc))
        except PermissionDenied as exc:
            messages.error(request, str(exc))
        return HttpResponseRedirect(reverse("processes:instance_detail", args=[pk]))


class ServiceCallRetryView(ModuleViewMixin, View):
    """Run a failed service call again (from monitoring)."""

    model = ServiceCall
    module = DESIGN_MODULE
    action = "change"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        call = ServiceCall.objects.restrict(request.user, "change").filter(pk=pk).select_related("instance").first()
        if call is None:
            raise Http404(_("No such record, or it lies outside your data scope."))
        try:
            call = services.service_call_retry(user=request.user, call=call)
            if call.status == ServiceCallStatus.DONE:
                messages.success(request, _("The service call succeeded."))
            else:
                messages.error(request, _("The service call failed again: %(error)s") % {"error": call.last_error})
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, _messages_of(exc) if isinstance(exc, ValidationError) else str(exc))
        return HttpResponseRedirect(reverse("processes:instance_detail", args=[call.instance_id]))


class StatisticsView(ModuleViewMixin, TemplateView):
    """流程监控: per-step counts, average handling time and overdue counts for a period, with a chart."""

    model = HumanTask
    module = MODULE
    action = "analyse"
    template_name = "processes/statistics.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = StatisticsForm(self.request.GET or None)
        params = form.cleaned_data if form.is_valid() else form.defaults()
        rows = node_statistics(self.request.user, start=params["start"], end=params["end"],
                               definition_id=params["definition"].pk if params.get("definition") else None)
        context.update(
            title=_("Process monitoring"), form=form, rows=rows,
            chart={"labels": [f"{r['process']} · {r['node_name']}" for r in rows],
                   "tasks": [r["tasks"] for r in rows], "overdue": [r["overdue"] for r in rows],
                   "avg_hours": [r["avg_hours"] for r in rows],
                   "names": {"tasks": _("Task count"), "overdue": _("Overdue"), "avg_hours": _("Average hours")}},
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


class InstanceUrgeView(ModuleViewMixin, View):
    """催办: the submitter urges every open task of their running instance."""

    model = ProcessInstance
    module = MODULE

    def check_permission(self) -> None:
        return None

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        inst = instances_visible(request.user).filter(pk=pk).first()
        if inst is None:
            raise Http404(_("No such record, or it lies outside your data scope."))
        try:
            count = services.instance_urge(user=request.user, instance=inst)
            messages.success(request, _("%(n)s open task(s) urged.") % {"n": count})
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, _messages_of(exc) if isinstance(exc, ValidationError) else str(exc))
        return HttpResponseRedirect(reverse("processes:instance_detail", args=[pk]))


# --- manual start (人工调度) ------------------------------------------------------------------------


class StartListView(AnyUserMixin, ModuleViewMixin, TemplateView):
    """发起流程: the processes the user may start by hand."""

    model = ProcessDefinition
    module = MODULE
    template_name = "processes/start_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(title=_("Start a process"), definitions=services.manual_start_definitions(self.request.user))
        return context


class StartFormView(AnyUserMixin, ModuleViewMixin, TemplateView):
    """The start form of one process: business key, title and data."""

    model = ProcessDefinition
    module = MODULE
    template_name = "processes/start_form.html"

    def get_definition(self) -> ProcessDefinition:
        code = self.kwargs["code"]
        definition = next((d for d in services.manual_start_definitions(self.request.user) if d.code == code), None)
        if definition is None:
            raise Http404(_("No such record, or it lies outside your data scope."))
        return definition

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        definition = self.get_definition()
        context.update(title=_("Start %(name)s") % {"name": definition.name}, definition=definition,
                       form=kwargs.get("form") or StartForm(), cancel_url=reverse("processes:start_list"))
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        definition = self.get_definition()
        form = StartForm(request.POST)
        if form.is_valid():
            try:
                instance = services.instance_start(user=request.user, definition_code=definition.code,
                                                   business_key=form.cleaned_data["business_key"],
                                                   data=form.cleaned_data["data"], title=form.cleaned_data["title"])
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for field, errors in exc.message_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    form.add_error(None, exc.messages)
            else:
                messages.success(request, _("The process was started."))
                return HttpResponseRedirect(reverse("processes:instance_detail", args=[instance.pk]))
        return self.render_to_response(self.get_context_data(form=form))


# --- definitions and the designer ---------------------------------------------------------------


class DefinitionListView(ObjectListView):
    model = ProcessDefinition
    module = DESIGN_MODULE
    table_class = DefinitionTable
    filterset_class = DefinitionFilterSet
    default_sort = "name"
    create_url_name = "processes:designer"
    title = gettext_lazy("Process definitions")

    def get_queryset(self):
        active = ProcessVersion.objects.filter(definition=OuterRef("pk"), status=VersionStatus.ACTIVE).order_by(
            "-number").values("number")[:1]
        return super().get_queryset().annotate(active_number=Subquery(active))


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
            action_choices=[(code, ACTION_LABELS[code]) for code in assignees.ACTIONS],
            connectors=sorted(CONNECTORS),
            role_choices=list(Role.objects.filter(enabled=True).order_by("code").values_list("code", "name")),
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


