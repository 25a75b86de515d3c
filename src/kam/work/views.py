"""Pages of 工作管理: 任务管理, 工作制定, 未完成工作查询 (执行 / 注销), the execution page with the call
bar (签入 / 外呼), 加入免打扰 and 预约, 已完成工作查询 and the work item's details."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from kam.core.views import (
    ModuleViewMixin,
    ObjectDeleteView,
    ObjectDetailView,
    ObjectListView,
    ObjectMixin,
    apply_service_error,
)

from . import selectors, services
from .filtersets import DndFilterSet, DoneWorkItemFilterSet, OpenWorkItemFilterSet, TaskFilterSet
from .forms import (
    AppointmentForm,
    CancelForm,
    DndForm,
    ExecuteForm,
    TaskEditForm,
    TaskForm,
    WorkItemForm,
    default_window,
)
from .models import Channel, DoNotDisturb, SkipOutcome, State, Task, TaskStatus, WorkItem
from .tables import DndTable, DoneWorkItemTable, TaskTable, WorkItemTable


def _errors(exc: ValidationError | PermissionDenied) -> str:
    if isinstance(exc, PermissionDenied):
        return str(exc) or _("You have no permission for this record.")
    return " ".join(exc.messages)


# --- lists -----------------------------------------------------------------------------------------


class _WorkItemListView(ObjectListView):
    model = WorkItem
    template_name = "work/item_list.html"
    select_related = ("customer", "manager", "task")
    export_spec = "work.items"

    def get_table(self, page):
        table = super().get_table(page)
        table.dnd = selectors.dnd_windows({r.customer_id for r in page.rows})
        return table


class OpenListView(_WorkItemListView):
    """未完成工作查询: select several → 执行 or 注销."""

    title = gettext_lazy("Incomplete work")
    filterset_class = OpenWorkItemFilterSet
    table_class = WorkItemTable
    default_sort = "due_at"
    list_id = "work.open_items"

    def get_queryset(self):
        return super().get_queryset().filter(state=State.OPEN)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(bulk=True, cancel_form=CancelForm(), create_url=self.url("work:item_create")
                       if self.can_change else "")
        return context


class DoneListView(_WorkItemListView):
    """已完成工作查询."""

    title = gettext_lazy("Completed work")
    filterset_class = DoneWorkItemFilterSet
    table_class = DoneWorkItemTable
    default_sort = "-completed_at"
    list_id = "work.done_items"

    def get_queryset(self):
        return super().get_queryset().exclude(state=State.OPEN)


class BulkActionView(ModuleViewMixin, TemplateView):
    """The buttons of 未完成工作查询: 执行 (one after another) or 注销 (with a reason)."""

    model = WorkItem
    action = "change"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        ids = [int(i) for i in request.POST.getlist("ids") if str(i).isdigit()]
        back = reverse("work:open_list")
        if not ids:
            messages.error(request, _("Choose at least one work item."))
            return HttpResponseRedirect(back)
        items = list(self.get_queryset().filter(pk__in=ids, state=State.OPEN).order_by("due_at", "pk"))
        if not items:
            messages.error(request, _("None of the chosen work items is open and yours to change."))
            return HttpResponseRedirect(back)
        if request.POST.get("op") == "cancel":
            form = CancelForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("Enter the reason for cancelling."))
                return HttpResponseRedirect(back)
            try:
                n = services.work_items_cancel(user=request.user, items=items, reason=form.cleaned_data["reason"])
            except (ValidationError, PermissionDenied) as exc:
                messages.error(request, _errors(exc))
            else:
                messages.success(request, _("%(n)d work items have been cancelled.") % {"n": n})
            return HttpResponseRedirect(back)
        first, rest = items[0], items[1:]
        url = reverse("work:execute", args=[first.pk])
        if rest:
            url += "?" + urlencode({"queue": ",".join(str(i.pk) for i in rest)})
        return HttpResponseRedirect(url)


# --- execution -------------------------------------------------------------------------------------


class ExecuteView(ObjectMixin, TemplateView):
    """工作执行: customer, work details, the call bar (签入 → 外呼), the result, 加入免打扰, 预约."""

    model = WorkItem
    template_name = "work/execute.html"
    select_related = ("customer", "manager", "task")

    def queue(self) -> list[int]:
        raw = self.request.POST.get("queue") if self.request.method == "POST" else self.request.GET.get("queue")
        return [int(i) for i in (raw or "").split(",") if i.isdigit()]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        item: WorkItem = self.get_object()  # type: ignore[assignment]
        start, end = default_window()
        context.update(
            title=_("Execute work: %(title)s") % {"title": item.title},
            object=item, item=item, customer=item.customer,
            can_execute=item.state == State.OPEN and self.object_can_change(item),
            session=selectors.open_session(self.request.user),
            dnd=selectors.dnd_active(item.customer_id),
            dnd_windows=selectors.dnd_current_and_future(item.customer),
            executions=list(item.executions.select_related("executed_by")),
            appointments=list(item.appointments.all()),
            form=kwargs.get("form") or ExecuteForm(channel=item.channel),
            dnd_form=kwargs.get("dnd_form") or DndForm(initial={"starts_at": start, "ends_at": end}),
            appointment_form=kwargs.get("appointment_form") or AppointmentForm(),
            queue=",".join(str(i) for i in self.queue()),
            dialled=kwargs.get("dialled", ""),
            is_call=item.channel == Channel.CALL,
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        item: WorkItem = self.get_object()  # type: ignore[assignment]
        op = request.POST.get("op", "")
        here = request.path + (f"?queue={','.join(str(i) for i in self.queue())}" if self.queue() else "")
        user = request.user
        try:
            if op == "checkin":
                services.checkin_start(user=user)
                messages.success(request, _("Checked in: the call bar is ready."))
            elif op == "checkout":
                services.checkin_end(user=user)
                messages.success(request, _("Checked out."))
            elif op == "dial":
                number = services.work_item_dial(user=user, item=item)
                return self.render_to_response(self.get_context_data(dialled=number or _("(no phone number)")))
            elif op == "execute":
                form = ExecuteForm(request.POST, channel=item.channel)
                if not form.is_valid():
                    return self.render_to_response(self.get_context_data(form=form))
                try:
                    services.work_item_execute(user=user, item=item, **form.cleaned_data)
                except ValidationError as exc:
                    apply_service_error(form, exc)
                    return self.render_to_response(self.get_context_data(form=form))
                messages.success(request, _("The execution record has been saved."))
                return HttpResponseRedirect(self.next_url(item))
            elif op == "dnd":
                form = DndForm(request.POST)
                if form.is_valid():
                    try:
                        services.dnd_add(user=user, customer=item.customer, **form.cleaned_data)
                    except ValidationError as exc:
                        apply_service_error(form, exc)
                if form.errors:
                    return self.render_to_response(self.get_context_data(dnd_form=form))
                messages.success(request, _("The customer has been put on do-not-disturb."))
            elif op == "appoint":
                form = AppointmentForm(request.POST)
                if form.is_valid():
                    try:
                        services.appointment_make(user=user, item=item, **form.cleaned_data)
                    except ValidationError as exc:
                        apply_service_error(form, exc)
                if form.errors:
                    return self.render_to_response(self.get_context_data(appointment_form=form))
                messages.success(request, _("The appointment has been saved; it comes back on your task list."))
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, _errors(exc))
        return HttpResponseRedirect(here)

    def next_url(self, item: WorkItem) -> str:
        queue = self.queue()
        if queue:
            url = reverse("work:execute", args=[queue[0]])
            return url + ("?" + urlencode({"queue": ",".join(map(str, queue[1:]))}) if queue[1:] else "")
        item.refresh_from_db()
        if item.state == State.OPEN:
            return reverse("work:execute", args=[item.pk])
        return reverse("work:item_detail", args=[item.pk])


class ItemDetailView(ObjectDetailView):
    """工作更多信息 / 执行记录详情: the work item and its executions and appointments."""

    model = WorkItem
    template_name = "work/item_detail.html"
    select_related = ("customer", "manager", "task", "org_unit", "created_by", "cancelled_by")

    def get_field_rows(self, obj) -> list[tuple[str, Any]]:
        item: WorkItem = obj
        rows = [
            (_("Work name"), item.title), (_("Work source"), item.get_source_display()),
            (_("Task"), item.task.name if item.task else ""), (_("Work type"), item.get_channel_display()),
            (_("Customer"), item.customer.name), (_("Key-customer number"), item.customer.key_number or ""),
            (_("Phone"), item.customer.phone), (_("Account manager"), item.manager.name),
            (_("Start at"), item.planned_at), (_("Due at"), item.due_at), (_("State"), item.get_state_display()),
            (_("Result"), item.get_result_display() if item.result else ""), (_("Attempts"), item.attempts),
            (_("Completed at"), item.completed_at), (_("Content"), item.content),
        ]
        if item.state == State.CANCELLED:
            rows += [(_("Cancel reason"), item.cancel_reason),
                     (_("Cancelled by"), item.cancelled_by.name if item.cancelled_by else "")]
        if item.created_by:
            rows.append((_("Created by"), item.created_by.name))
        return rows

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        item = context["object"]
        context.update(
            title=_("Work item: %(title)s") % {"title": item.title},
            executions=list(item.executions.select_related("executed_by", "session")),
            appointments=list(item.appointments.select_related("created_by")),
            dnd_windows=selectors.dnd_current_and_future(item.customer),
            execute_url=reverse("work:execute", args=[item.pk]) if item.state == State.OPEN else "",
            list_url=reverse("work:open_list" if item.state == State.OPEN else "work:done_list"),
        )
        return context


# --- 工作制定 ---------------------------------------------------------------------------------------


class ItemCreateView(ModuleViewMixin, TemplateView):
    model = WorkItem
    action = "change"
    template_name = "work/item_form.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        initial = {"customer": request.GET.get("customer", "")}
        return self.show(WorkItemForm(user=request.user, initial=initial))

    def show(self, form) -> HttpResponse:
        return render(self.request, self.template_name, {"form": form, "title": _("Make a work item"),
                                                         "cancel_url": reverse("work:open_list")})

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = WorkItemForm(request.POST, user=request.user)
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                item = services.work_item_create(user=request.user, **data)
            except ValidationError as exc:
                apply_service_error(form, exc)
            except PermissionDenied as exc:
                form.add_error("manager", _errors(exc))
            else:
                messages.success(request, _("The work item “%(title)s” has been made.") % {"title": item.title})
                return HttpResponseRedirect(reverse("work:item_detail", args=[item.pk]))
        return self.show(form)


# --- 任务管理 ---------------------------------------------------------------------------------------


class TaskListView(ObjectListView):
    model = Task
    title = gettext_lazy("Task management")
    filterset_class = TaskFilterSet
    table_class = TaskTable
    select_related = ("created_by",)
    default_sort = "-start_on"
    create_url_name = "work:task_create"
    export_spec = "work.tasks"


class TaskCreateView(ModuleViewMixin, TemplateView):
    model = Task
    action = "change"
    template_name = "work/task_form.html"

    def show(self, form, error_report: bytes | None = None) -> HttpResponse:
        import base64

        report = base64.b64encode(error_report).decode() if error_report else ""
        return render(self.request, self.template_name, {
            "form": form, "title": _("New task"), "cancel_url": reverse("work:task_list"),
            "template_url": reverse("exchange:template", args=["work.task_customers"]),
            "error_report": report, "submit_label": _("Create and generate")})

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.show(TaskForm(user=request.user))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = TaskForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            try:
                data = {k: form.cleaned_data[k] for k in ("name", "channel", "start_on", "due_on", "dnd_policy",
                                                          "description")}
                task = services.task_create(user=request.user, criteria=form.criteria(),
                                            customer_file=form.uploaded_list(), **data)
            except services.TaskImportError as exc:
                apply_service_error(form, exc)
                return self.show(form, error_report=exc.result.report)
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                job = services.task_start_generation(user=request.user, task=task)
                task.refresh_from_db()
                if task.status == TaskStatus.GENERATING:
                    messages.info(request, _("The work items are being generated in the background (job %(job)s).")
                                  % {"job": job.pk})
                elif task.status == TaskStatus.GENERATED:
                    messages.success(request, _("%(n)d work items have been generated.") % {"n": task.generated_count})
                else:
                    messages.error(request, task.message or _("Generation failed."))
                return HttpResponseRedirect(reverse("work:task_detail", args=[task.pk]))
        return self.show(form)


class TaskDetailView(ObjectDetailView):
    model = Task
    template_name = "work/task_detail.html"
    select_related = ("created_by", "org_unit", "closed_by")
    list_url_name = "work:task_list"
    edit_url_name = "work:task_edit"
    delete_url_name = "work:task_delete"

    def get_field_rows(self, obj) -> list[tuple[str, Any]]:
        t: Task = obj
        criteria = selectors.describe_criteria(t)
        return [
            (_("Task name"), t.name), (_("Work type"), t.get_channel_display()), (_("Start date"), t.start_on),
            (_("Due date"), t.due_on), (_("Customers"), criteria),
            (_("Do-not-disturb customers"), t.get_dnd_policy_display()), (_("Status"), t.get_status_display()),
            (_("Work items generated"), t.generated_count), (_("Customers skipped"), t.skipped_count),
            (_("Customers deferred"), t.deferred_count), (_("Customers without a manager"), t.no_manager_count),
            (_("Created by"), t.created_by.name), (_("Created at"), t.created_at), (_("Content"), t.description),
            (_("Message"), t.message),
        ] + ([(_("Closed at"), t.closed_at), (_("Closed by"), t.closed_by.name if t.closed_by else "")]
             if t.status == TaskStatus.CLOSED else [])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        task = context["object"]
        skips = task.skips.select_related("customer").order_by("outcome", "pk")
        context.update(
            skips=list(skips[:200]), skips_more=skips[200:201].exists(),
            outcome_labels=dict(SkipOutcome.choices),
            items_url=reverse("work:open_list") + "?" + urlencode({"task": task.pk}),
            done_url=reverse("work:done_list") + "?" + urlencode({"task": task.pk}),
            can_generate=context["can_change"] and task.status in (TaskStatus.PENDING, TaskStatus.FAILED),
            can_close=context["can_change"] and task.status not in (TaskStatus.CLOSED, TaskStatus.GENERATING),
            close_url=reverse("work:task_close", args=[task.pk]),
        )
        if task.status == TaskStatus.CLOSED:
            context["edit_url"] = ""
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        task = self.get_object()
        if not self.object_can_change(task):
            raise PermissionDenied(_("You have no permission for this record."))
        if task.status not in (TaskStatus.PENDING, TaskStatus.FAILED):
            messages.error(request, _("The work items of this task have been generated already."))
        else:
            services.task_start_generation(user=request.user, task=task)
        return HttpResponseRedirect(request.path)


class TaskEditView(ObjectMixin, TemplateView):
    """Edit a task (name and content always; work type, dates and DND choice before generation)."""

    model = Task
    action = "change"
    template_name = "work/task_form.html"

    def form(self, task: Task, data=None) -> TaskEditForm:
        locked = task.status in (TaskStatus.GENERATED, TaskStatus.GENERATING)
        return TaskEditForm(data, task=task, locked=locked, user=self.request.user)

    def show(self, task: Task, form) -> HttpResponse:
        return render(self.request, self.template_name, {
            "form": form, "title": _("Edit task: %(name)s") % {"name": task.name}, "object": task,
            "cancel_url": reverse("work:task_detail", args=[task.pk]), "submit_label": _("Save")})

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        task = self.get_object()
        return self.show(task, self.form(task))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        task = self.get_object()
        form = self.form(task, request.POST)
        if form.is_valid():
            changes = {k: v for k, v in form.cleaned_data.items() if not form.fields[k].disabled}
            try:
                services.task_update(user=request.user, task=task, **changes)
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("The task has been saved."))
                return HttpResponseRedirect(reverse("work:task_detail", args=[task.pk]))
        return self.show(task, form)


class TaskCloseView(ObjectMixin, TemplateView):
    """关闭 (POST): the task ends and its open work items are cancelled ("任务关闭")."""

    model = Task
    action = "change"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        task = self.get_object()
        try:
            n = services.task_close(user=request.user, task=task)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(request, _("The task has been closed; %(n)d open work items were cancelled.") % {"n": n})
        return HttpResponseRedirect(reverse("work:task_detail", args=[task.pk]))


class TaskDeleteView(ObjectDeleteView):
    model = Task
    list_url_name = "work:task_list"

    def delete(self, obj) -> None:
        services.task_delete(user=self.request.user, task=obj)


# --- 免打扰 ------------------------------------------------------------------------------------------


class DndListView(ObjectListView):
    model = DoNotDisturb
    title = gettext_lazy("Do-not-disturb customers")
    filterset_class = DndFilterSet
    table_class = DndTable
    select_related = ("customer", "created_by")
    default_sort = "-starts_at"
    export_spec = "work.dnd"


class DndDeleteView(ObjectDeleteView):
    model = DoNotDisturb
    list_url_name = "work:dnd_list"

    def delete(self, obj) -> None:
        services.dnd_remove(user=self.request.user, window=obj)

    def get_success_url(self) -> str:
        nxt = self.request.GET.get("next") or self.request.POST.get("next")
        if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={self.request.get_host()}):
            return nxt
        return reverse("work:dnd_list")
