"""Pages of 工作列表: the task list, leader-assigned items, subscriptions and reminders."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from kam.core.views import (
    ModuleViewMixin,
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
    has_module_perm,
)

from . import services
from .filtersets import TodoItemFilterSet
from .forms import SubscriptionForm, TodoItemForm
from .models import ITEMS_MODULE, MODULE, Reminder, Subscription, TodoItem
from .selectors import event_types, lead_split, todo_list, unread_reminders, visible_sources
from .tables import ReminderTable, SubscriptionTable, TodoItemTable


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or _("You have no permission for this action.")


def _back(request: HttpRequest, default: str) -> HttpResponseRedirect:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(default)


# --- 工作列表 ---------------------------------------------------------------------------------------


class TodoListView(LoginRequiredMixin, TemplateView):
    """The user's task list: every logged-in user has one; each source is gated by its own module."""

    template_name = "todo/list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        codes = {s.code for s in visible_sources(user)}
        source = self.request.GET.get("source") or ""
        if source not in codes:
            source = ""
        todo = todo_list(user, source=source or None)
        tabs = [{"code": s.code, "label": s.label, "count": todo.counts.get(s.code, 0)} for s in visible_sources(user)]
        can_todo = has_module_perm(user, MODULE, "view")
        context.update(
            title=_("Task list"),
            todo=todo,
            lines=todo.lines,
            tabs=tabs,
            total=sum(todo.counts.values()),
            source=source,
            reminders=list(unread_reminders(user)[:10]) if can_todo else [],
            can_subscribe=can_todo and bool(event_types(user)),
            can_assign=has_module_perm(user, ITEMS_MODULE, "change"),
        )
        return context


class DismissView(LoginRequiredMixin, View):
    """删除: remove a line from the list for good (htmx: the row disappears)."""

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            services.todo_dismiss(user=request.user, source=request.POST.get("source", ""),
                                  key=request.POST.get("key", ""))
        except ValidationError as exc:
            if request.htmx:
                return HttpResponse(_error_text(exc), status=400)
            messages.error(request, _error_text(exc))
        else:
            if request.htmx:
                return HttpResponse("")
            messages.success(request, _("The line was removed from your task list."))
        return _back(request, reverse("todo:list"))


# --- 领导交办 ---------------------------------------------------------------------------------------


class TodoItemListView(ObjectListView):
    model = TodoItem
    filterset_class = TodoItemFilterSet
    table_class = TodoItemTable
    select_related = ("assignee", "assigned_by")
    default_sort = "due_at"
    create_url_name = "todo:item_create"
    title = gettext_lazy("Assigned items")


class TodoItemDetailView(ObjectDetailView):
    model = TodoItem
    select_related = ("assignee", "assigned_by")
    template_name = "todo/item_detail.html"
    fields = ("title", "assignee", "assigned_by", "due_at", "detail", "done", "done_at", "created_at")
    list_url_name = "todo:item_list"
    edit_url_name = "todo:item_edit"
    delete_url_name = "todo:item_delete"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        item = context["object"]
        context["can_mark_done"] = not item.done and (item.assignee_id == self.request.user.pk
                                                      or context["can_change"])
        return context


class TodoItemEditView(ObjectEditView):
    model = TodoItem
    form_class = TodoItemForm
    success_url_name = "todo:item_detail"
    list_url_name = "todo:item_list"

    def create(self, form) -> TodoItem:
        return services.todo_item_create(user=self.request.user, **form.cleaned_data)

    def update(self, form, obj) -> TodoItem:
        return services.todo_item_update(user=self.request.user, item=obj, **form.cleaned_data)

    def success_message(self, obj, created: bool) -> str:
        if created:
            return _("“%(title)s” was assigned to %(name)s.") % {
                "title": obj.title, "name": obj.assignee.name or obj.assignee.username}
        return super().success_message(obj, created)


class TodoItemDeleteView(ObjectDeleteView):
    model = TodoItem
    list_url_name = "todo:item_list"

    def delete(self, obj) -> None:
        services.todo_item_delete(user=self.request.user, item=obj)


class TodoItemDoneView(ModuleViewMixin, View):
    """完成: the assignee (or the leader who may change it) marks an assigned item done."""

    model = TodoItem
    module = ITEMS_MODULE

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        item = self.get_queryset().filter(pk=pk).first()
        if item is None:
            raise Http404(_("No such record, or it lies outside your data scope."))
        try:
            services.todo_item_done(user=request.user, item=item)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, _("“%(title)s” is done.") % {"title": item.title})
        return _back(request, reverse("todo:item_detail", args=[pk]))


# --- 订阅 ------------------------------------------------------------------------------------------


class SubscriptionListView(ObjectListView):
    """订阅: the event types subscribed to, and the form to subscribe to one more."""

    model = Subscription
    table_class = SubscriptionTable
    template_name = "todo/subscription_list.html"
    select_related = ("user",)
    default_sort = "source"
    title = gettext_lazy("Subscriptions")

    def get_form(self) -> SubscriptionForm:
        form = getattr(self, "_form", None)
        if form is not None:
            return form
        # 修改: ?edit=<id> of one's own subscription fills the form with its event type and lead time.
        edit = self.request.GET.get("edit", "")
        sub = (Subscription.objects.filter(pk=int(edit), user_id=self.request.user.pk).first()
               if edit.isdigit() else None)
        if sub is None:
            return SubscriptionForm(user=self.request.user)
        value, unit = lead_split(sub.lead_minutes)
        return SubscriptionForm(user=self.request.user,
                                initial={"source": sub.source, "lead_value": value, "lead_unit": unit})

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["form"] = self.get_form()
        context["allowed_types"] = event_types(self.request.user)
        return context

    def post(self, request: HttpRequest) -> HttpResponse:
        if not has_module_perm(request.user, MODULE, "change"):
            raise PermissionDenied(_("You have no permission for this action."))
        form = SubscriptionForm(request.POST, user=request.user)
        if form.is_valid():
            # The same event type again changes the lead time of the existing subscription.
            existing = Subscription.objects.filter(user_id=request.user.pk,
                                                   source=form.cleaned_data["source"]).first()
            try:
                if existing is not None:
                    sub = services.subscription_update(user=request.user, subscription=existing,
                                                       lead_minutes=form.lead_minutes)
                else:
                    sub = services.subscription_create(user=request.user, source=form.cleaned_data["source"],
                                                       lead_minutes=form.lead_minutes)
            except ValidationError as exc:
                from kam.core.views import apply_service_error

                apply_service_error(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, _error_text(exc))
            else:
                if existing is not None:
                    messages.success(request, _("The reminder for “%(type)s” now comes %(lead)s.") % {
                        "type": sub, "lead": sub.lead_display})
                else:
                    messages.success(request, _("Subscribed to “%(type)s”.") % {"type": sub})
                return HttpResponseRedirect(reverse("todo:subscription_list"))
        self._form = form
        return render(request, self.template_name, self.get_context_data(), status=200)


class SubscriptionDeleteView(ModuleViewMixin, View):
    model = Subscription
    action = "change"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        sub = self.get_queryset().filter(pk=pk).first()
        if sub is None:
            raise Http404(_("No such record, or it lies outside your data scope."))
        label = str(sub)
        try:
            services.subscription_delete(user=request.user, subscription=sub)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, _("The subscription to “%(type)s” was cancelled.") % {"type": label})
        return HttpResponseRedirect(reverse("todo:subscription_list"))


# --- 提醒 ------------------------------------------------------------------------------------------


class ReminderListView(ObjectListView):
    model = Reminder
    table_class = ReminderTable
    template_name = "todo/reminder_list.html"
    select_related = ("user",)
    default_sort = "-remind_at"
    title = gettext_lazy("Reminders")

    def get_queryset(self):
        return super().get_queryset().filter(fired_at__isnull=False)


class ReminderReadView(ModuleViewMixin, View):
    model = Reminder

    def post(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        if pk is None:
            n = services.reminders_read_all(user=request.user)
            messages.success(request, _("%(n)s reminder(s) marked as read.") % {"n": n})
            return _back(request, reverse("todo:reminder_list"))
        reminder = self.get_queryset().filter(pk=pk).first()
        if reminder is None:
            raise Http404(_("No such record, or it lies outside your data scope."))
        try:
            services.reminder_read(user=request.user, reminder=reminder)
        except PermissionDenied as exc:
            messages.error(request, _error_text(exc))
        if request.htmx:
            return HttpResponse("")
        return _back(request, reverse("todo:reminder_list"))
