"""Pages of 客户经理管理: list with fuzzy query, detail with tabs, the step-wise creation, edit,
enable/disable, training and experience rows, import and export."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.generic import TemplateView

from kam.core.views import (
    ModuleViewMixin,
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
    ObjectMixin,
    apply_service_error,
)
from kam.org.models import User

from . import selectors, services
from .exchange import AccountManagerSpec
from .filtersets import AccountManagerFilterSet
from .forms import BasicInfoForm, ConfirmForm, DisableForm, ExperienceForm, ProfileForm, TrainingForm
from .models import AccountManager, Training, WorkExperience
from .tables import AccountManagerTable

# --- list, detail, edit, delete -------------------------------------------------------------------


class ManagerListView(ObjectListView):
    """客户经理信息查询: one fuzzy-query box plus unit, business line and status; the exchange app adds
    the export (what the list shows) and import buttons for ``export_spec``."""

    model = AccountManager
    title = gettext_lazy("Account managers")
    filterset_class = AccountManagerFilterSet
    table_class = AccountManagerTable
    select_related = ("user", "user__org_unit", "user__org_unit__parent")
    prefetch_related = ("business_lines",)
    default_sort = "employee_no"
    create_url_name = "managers:create"
    export_spec = AccountManagerSpec.code


class ManagerDetailView(ObjectDetailView):
    model = AccountManager
    template_name = "managers/detail.html"
    select_related = ("user", "user__org_unit", "user__superior")
    prefetch_related = ("business_lines",)
    list_url_name = "managers:list"
    edit_url_name = "managers:edit"
    delete_url_name = "managers:delete"

    def get_field_rows(self, obj: models.Model) -> list[tuple[str, Any]]:
        m: AccountManager = obj  # type: ignore[assignment]
        user = m.user
        return [
            (pgettext("person", "Name"), user.name),
            (_("Employee number"), m.employee_no),
            (_("Account"), user.username),
            (_("Organisation unit"), user.org_unit.full_name if user.org_unit else ""),
            (_("Direct superior"), user.superior.name if user.superior else ""),
            (_("Gender"), m.gender_label),
            (_("Birth date"), m.birth_date),
            (_("Phone"), user.phone),
            (_("E-mail"), user.email),
            (_("Education"), m.get_education_display()),
            (_("Position"), m.title),
            (_("Hire date"), m.hire_date),
            (_("Business lines served"), "、".join(b.name for b in m.business_lines.all())),
            (_("Remarks"), m.remarks),
        ]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        manager = context["object"]
        context.update(_rows_context(self.request, manager, context["can_change"]))
        context["tab"] = self.request.GET.get("tab", "basic")
        return context


def _rows_context(request: HttpRequest, manager: AccountManager, can_change: bool, **forms: Any) -> dict[str, Any]:
    return {
        "object": manager,
        "can_change": can_change,
        "trainings": list(selectors.manager_trainings(request.user, manager)),
        "experiences": list(selectors.manager_experiences(request.user, manager)),
        "training_form": forms.get("training_form") or TrainingForm(prefix="training"),
        "experience_form": forms.get("experience_form") or ExperienceForm(prefix="experience"),
    }


class ManagerEditView(ObjectEditView):
    model = AccountManager
    form_class = ProfileForm
    select_related = ("user",)
    list_url_name = "managers:list"
    success_url_name = "managers:detail"

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = self.get_object()
        return kwargs

    def update(self, form, obj: AccountManager) -> AccountManager:
        return services.manager_update(actor=self.request.user, manager=obj, **form.cleaned_data)


class ManagerDeleteView(ObjectDeleteView):
    model = AccountManager
    select_related = ("user",)
    list_url_name = "managers:list"

    def delete(self, obj: AccountManager) -> None:
        services.manager_delete(actor=self.request.user, manager=obj)


# --- enable / disable ------------------------------------------------------------------------------


class ManagerDisableView(ObjectMixin, TemplateView):
    """停用 with a reason; the login is not touched (the page says so)."""

    model = AccountManager
    action = "change"
    template_name = "managers/disable.html"
    select_related = ("user",)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        obj = self.get_object()
        context.update(object=obj, title=_("Disable account manager: %(name)s") % {"name": obj},
                       cancel_url=reverse("managers:detail", args=[obj.pk]))
        context.setdefault("form", DisableForm())
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        obj = self.get_object()
        form = DisableForm(request.POST)
        if form.is_valid():
            try:
                services.manager_disable(actor=request.user, manager=obj, reason=form.cleaned_data["reason"])
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("“%(object)s” has been disabled.") % {"object": obj})
                return HttpResponseRedirect(reverse("managers:detail", args=[obj.pk]))
        return self.render_to_response(self.get_context_data(form=form))


class ManagerEnableView(ObjectMixin, TemplateView):
    model = AccountManager
    action = "change"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        obj = self.get_object()
        try:
            services.manager_enable(actor=request.user, manager=obj)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("“%(object)s” has been enabled.") % {"object": obj})
        return HttpResponseRedirect(reverse("managers:detail", args=[obj.pk]))


# --- training and experience rows (htmx partials, plain POST as fallback) ------------------------


class _RowView(ObjectMixin, TemplateView):
    model = AccountManager
    action = "change"
    http_method_names = ["post"]
    kind = ""  # "training" | "experience"

    def respond(self, request: HttpRequest, manager: AccountManager, **forms: Any) -> HttpResponse:
        if request.headers.get("HX-Request"):
            context = _rows_context(request, manager, True, **forms)
            return render(request, f"managers/_{self.kind}s.html", context)
        for form in forms.values():
            for error in form.errors.values():
                messages.error(request, " ".join(error))
        tab = "trainings" if self.kind == "training" else "experiences"
        return HttpResponseRedirect(f"{reverse('managers:detail', args=[manager.pk])}?tab={tab}")


class TrainingAddView(_RowView):
    kind = "training"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        manager = self.get_object()
        form = TrainingForm(request.POST, prefix="training")
        if form.is_valid():
            try:
                services.training_add(actor=request.user, manager=manager, **form.cleaned_data)
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                return self.respond(request, manager)
        return self.respond(request, manager, training_form=form)


class TrainingRemoveView(_RowView):
    kind = "training"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        manager = self.get_object()
        row = Training.objects.restrict(request.user, "change").filter(manager=manager, pk=kwargs["row"]).first()
        if row is None:
            raise Http404
        services.training_remove(actor=request.user, training=row)
        return self.respond(request, manager)


class ExperienceAddView(_RowView):
    kind = "experience"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        manager = self.get_object()
        form = ExperienceForm(request.POST, prefix="experience")
        if form.is_valid():
            try:
                services.experience_add(actor=request.user, manager=manager, **form.cleaned_data)
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                return self.respond(request, manager)
        return self.respond(request, manager, experience_form=form)


class ExperienceRemoveView(_RowView):
    kind = "experience"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        manager = self.get_object()
        row = WorkExperience.objects.restrict(request.user, "change").filter(manager=manager,
                                                                             pk=kwargs["row"]).first()
        if row is None:
            raise Http404
        services.experience_remove(actor=request.user, experience=row)
        return self.respond(request, manager)


# --- the step-wise creation (基本信息 → 培训经历 → 工作经验 → 确认) ------------------------------------

DRAFT_KEY = "kam_managers_draft"
LOGIN_FIELDS = ("login_mode", "username", "org_unit", "superior", "user")
STEPS = (
    (1, gettext_lazy("Basic information")),
    (2, gettext_lazy("Training history")),
    (3, gettext_lazy("Work experience")),
    (4, gettext_lazy("Confirm")),
)


def _jsonable(value: Any) -> Any:
    if isinstance(value, User):
        return value.username
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple, models.QuerySet)):
        return [_jsonable(v) for v in value]
    return value


def _draft_of(form) -> dict[str, Any]:
    return {k: _jsonable(v) for k, v in form.cleaned_data.items()}


class ManagerCreateView(ModuleViewMixin, TemplateView):
    """客户经理新增: a wizard that keeps the draft in the session and saves nothing until the final
    submit, which creates the login (or attaches the existing user), the profile and its rows in
    one transaction."""

    model = AccountManager
    action = "change"
    template_name = "managers/create.html"

    # --- the draft ----------------------------------------------------------------------------
    def draft(self) -> dict[str, Any]:
        return self.request.session.get(DRAFT_KEY) or {"basic": None, "trainings": [], "experiences": []}

    def save_draft(self, draft: dict[str, Any]) -> None:
        self.request.session[DRAFT_KEY] = draft
        self.request.session.modified = True

    def step(self) -> int:
        try:
            step = int(self.request.GET.get("step", 1))
        except ValueError:
            step = 1
        step = min(max(step, 1), 4)
        if step > 1 and not self.draft()["basic"]:
            step = 1
        return step

    def go(self, step: int) -> HttpResponse:
        return HttpResponseRedirect(f"{reverse('managers:create')}?step={step}")

    def basic_form(self, data: Any = None) -> BasicInfoForm:
        draft = self.draft()
        return BasicInfoForm(data, user=self.request.user, initial=draft["basic"] or {})

    # --- pages --------------------------------------------------------------------------------
    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.GET.get("restart"):
            request.session.pop(DRAFT_KEY, None)
            return self.go(1)
        return self.render_step(self.step())

    def render_step(self, step: int, **forms: Any) -> HttpResponse:
        draft = self.draft()
        context: dict[str, Any] = {
            "title": _("New account manager"), "step": step, "steps": STEPS, "draft": draft,
            "cancel_url": reverse("managers:list"), "module": "managers",
        }
        if step == 1:
            form = context["form"] = forms.get("form") or self.basic_form()
            context["profile_fields"] = [form[name] for name in form.fields if name not in LOGIN_FIELDS]
        elif step == 2:
            context["form"] = forms.get("form") or TrainingForm(user=self.request.user)
            context["rows"] = draft["trainings"]
        elif step == 3:
            context["form"] = forms.get("form") or ExperienceForm(user=self.request.user)
            context["rows"] = draft["experiences"]
        else:
            context["form"] = forms.get("form") or ConfirmForm(user=self.request.user)
            context["summary"] = self.summary(draft)
            context["errors"] = forms.get("errors", [])
        return render(self.request, self.template_name, context)

    def summary(self, draft: dict[str, Any]) -> list[tuple[str, Any]]:
        form = self.basic_form(draft["basic"])
        if not form.is_valid():
            return []
        data = form.cleaned_data
        new_login = data["login_mode"] == BasicInfoForm.MODE_NEW
        rows = [
            (form.fields["login_mode"].label, dict(form.fields["login_mode"].choices)[data["login_mode"]]),
            (_("Account number"), data["username"] if new_login else data["user"].username),
            (pgettext("person", "Name"), data["name"] or (data["user"].name if data["user"] else "")),
        ]
        if new_login:
            rows += [(_("Organisation unit"), data["org_unit"]), (_("Direct superior"), data["superior"] or "")]
        rows += [(form.fields[f].label, self._display(form, f, data[f])) for f in (
            "employee_no", "gender", "birth_date", "phone", "email", "education", "title", "hire_date",
            "business_lines", "remarks")]
        return rows

    @staticmethod
    def _display(form, name: str, value: Any) -> Any:
        field = form.fields[name]
        if name == "business_lines":
            return "、".join(str(v) for v in value)
        if getattr(field, "choices", None) and name in ("gender", "education"):
            return dict(field.choices).get(value, value) if value else ""
        return value if value not in (None, "") else ""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        step = self.step()
        op = request.POST.get("op", "next")
        draft = self.draft()
        if step == 1:
            form = self.basic_form(request.POST)
            if not form.is_valid():
                return self.render_step(1, form=form)
            draft["basic"] = _draft_of(form)
            self.save_draft(draft)
            return self.go(2)
        if step in (2, 3):
            key, form_class = ("trainings", TrainingForm) if step == 2 else ("experiences", ExperienceForm)
            if op == "back":
                return self.go(step - 1)
            if op == "remove":
                try:
                    del draft[key][int(request.POST.get("index", -1))]
                except (ValueError, IndexError):
                    pass
                self.save_draft(draft)
                return self.go(step)
            form = form_class(request.POST, user=request.user)
            filled = any(v for k, v in request.POST.items() if k in form.fields)
            if op == "add" or filled:
                if not form.is_valid():
                    return self.render_step(step, form=form)
                draft[key].append(_draft_of(form))
                self.save_draft(draft)
            return self.go(step if op == "add" else step + 1)
        # step 4: confirm
        if op == "back":
            return self.go(3)
        return self.submit(draft)

    def submit(self, draft: dict[str, Any]) -> HttpResponse:
        request = self.request
        confirm = ConfirmForm(request.POST, user=request.user)
        basic = self.basic_form(draft["basic"])
        if not confirm.is_valid() or not basic.is_valid():
            errors = [f"{basic.fields[f].label if f in basic.fields else ''}: {' '.join(e)}".lstrip(": ")
                      for f, e in basic.errors.items()]
            return self.render_step(4, form=confirm, errors=errors)
        data = dict(basic.cleaned_data)
        new_login = data.pop("login_mode") == BasicInfoForm.MODE_NEW
        password = ""
        generated = False
        if new_login:
            data.pop("user")
            password = confirm.cleaned_data["password"]
            if not password:
                from kam.exchange.org_specs import generate_password

                password, generated = generate_password(), True
            data["password"] = password
        else:
            for key in ("username", "org_unit", "superior"):
                data.pop(key)
        trainings = [self._row(TrainingForm, r) for r in draft["trainings"]]
        experiences = [self._row(ExperienceForm, r) for r in draft["experiences"]]
        try:
            manager = services.manager_create(actor=request.user, trainings=trainings, experiences=experiences,
                                              **data)
        except ValidationError as exc:
            return self.render_step(4, form=confirm, errors=self._messages(exc, basic))
        except PermissionDenied as exc:
            confirm.add_error(None, str(exc))
            return self.render_step(4, form=confirm, errors=[])
        request.session.pop(DRAFT_KEY, None)
        messages.success(request, _("“%(object)s” has been created.") % {"object": manager})
        if generated:
            messages.warning(request, _("Initial password of %(account)s: %(password)s — it is shown only "
                                        "once.") % {"account": manager.user.username, "password": password})
        return HttpResponseRedirect(reverse("managers:detail", args=[manager.pk]))

    @staticmethod
    def _messages(exc: ValidationError, basic: BasicInfoForm) -> list[str]:
        """A service's errors with the label of the step and field they belong to."""
        if not hasattr(exc, "error_dict"):
            return list(exc.messages)
        result = []
        for key, errors in exc.message_dict.items():
            label = ""
            if key.startswith(("trainings[", "experiences[")):
                group, _sep, rest = key.partition("[")
                number, _sep, field = rest.partition("].")
                form_class = TrainingForm if group == "trainings" else ExperienceForm
                step_label = STEPS[1][1] if group == "trainings" else STEPS[2][1]
                field_label = form_class.base_fields[field].label if field in form_class.base_fields else ""
                label = _("%(step)s, row %(row)s, %(field)s") % {"step": step_label, "row": number,
                                                                 "field": field_label}
            elif key in basic.fields:
                label = str(basic.fields[key].label)
            elif key == "password":
                label = str(ConfirmForm.base_fields["password"].label)
            result += [f"{label}: {e}" if label else e for e in errors]
        return result

    def _row(self, form_class, row: dict[str, Any]) -> dict[str, Any]:
        form = form_class(row, user=self.request.user)
        form.is_valid()
        return dict(form.cleaned_data)
