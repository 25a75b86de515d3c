"""Generic pages every app configures instead of writing its own (NetBox style).

``ObjectListView``, ``ObjectDetailView``, ``ObjectEditView`` and ``ObjectDeleteView`` each declare
``model``, ``module`` (the permission module, default ``model.kam_scope.module``) and the
``action`` they need. The queryset always starts from ``model.objects.restrict(user, action)``:

- no effective grant of the module for the action ⇒ 403 page;
- a record outside the user's data scope ⇒ 404 page (it does not exist for them).

Writes never happen here: edit and delete views call a service (``create`` / ``update`` /
``delete`` hooks); a ``ValidationError`` from the service is shown on the field it names, a
``PermissionDenied`` as a form error, and nothing is saved (services are atomic).

A list page::

    class UserListView(ObjectListView):
        model = User
        filterset_class = UserFilterSet
        table_class = UserTable
        select_related = ("org_unit", "superior")
        prefetch_related = ("roles",)
        default_sort = "username"
        create_url_name = "org:user_create"

Hooks for features added later to every list:

- ``get_filtered_queryset()`` — what the list's current filter shows, within scope, sorted;
  an export or a saved view reads exactly this.
- ``LIST_RESPONSE_HOOKS`` (:func:`register_list_response_hook`) — callables ``hook(view)``
  asked before the page renders; the first that returns an ``HttpResponse`` answers instead
  (e.g. ``?export=xlsx``).
- ``LIST_TOOLBAR_HOOKS`` (:func:`register_list_toolbar_hook`) — callables ``hook(view)``
  returning :class:`ToolbarButton` lists shown in the list's toolbar (export, import, saved
  views); a view adds its own through ``get_toolbar_buttons()``.
- ``list_id`` — a stable key of the list (default ``"<app_label>.<model_name>"``) for saved views.

Detail pages show the registered panels of other apps
(``kam.core.registry.register_detail_panel``) plus the view's own ``get_panels()``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template import Context
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from kam.core.forms import restrict_choices
from kam.core.pagination import COUNT_CAP, Page, paginate
from kam.core.registry import DETAIL_PANELS, MODULES

MAX_PER_PAGE = 500
PER_PAGE_CHOICES = (20, 50, 100, 200, 500)


@dataclass
class ToolbarButton:
    label: str
    url: str
    icon: str = ""  # a bootstrap-icons name, e.g. "file-earmark-excel"
    style: str = "outline-secondary"
    method: str = "get"  # "post" renders a small form


ListHook = Callable[["ObjectListView"], Any]
LIST_RESPONSE_HOOKS: list[ListHook] = []
LIST_TOOLBAR_HOOKS: list[ListHook] = []


def register_list_response_hook(hook: ListHook) -> None:
    if hook not in LIST_RESPONSE_HOOKS:
        LIST_RESPONSE_HOOKS.append(hook)


def register_list_toolbar_hook(hook: ListHook) -> None:
    if hook not in LIST_TOOLBAR_HOOKS:
        LIST_TOOLBAR_HOOKS.append(hook)


def has_module_perm(user: Any, module: str, action: str = "view") -> bool:
    from kam.org.permissions import has_perm

    return has_perm(user, module, action)


def apply_service_error(form, exc: ValidationError) -> None:
    """Put a service's ``ValidationError`` on the form: on the named field when the form has
    it, otherwise as a form-wide error (prefixed with the field's label when known)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            if field in form.fields:
                form.add_error(field, errors)
            else:
                label = _field_label(form, field)
                for error in errors:
                    for message in error.messages:
                        form.add_error(None, f"{label}: {message}" if label else message)
    else:
        form.add_error(None, exc)


def _field_label(form, field: str) -> str:
    model = getattr(getattr(form, "_meta", None), "model", None)
    if field in ("__all__", None) or model is None:
        return ""
    try:
        return str(model._meta.get_field(field).verbose_name)
    except Exception:  # noqa: BLE001 - not a model field
        return ""


class ModuleViewMixin(LoginRequiredMixin):
    """Login, the module grant for ``action`` (403) and the scoped base queryset."""

    model: type[models.Model] | None = None
    module: str | None = None
    action: str = "view"
    title: str | None = None
    select_related: tuple[str, ...] = ()
    prefetch_related: tuple[Any, ...] = ()

    def get_module(self) -> str:
        if self.module:
            return self.module
        spec = getattr(self.model, "kam_scope", None)
        if spec is None:
            raise ImproperlyConfigured(f"{type(self).__name__} needs a module or a scoped model.")
        return spec.module

    def get_action(self) -> str:
        return self.action

    def check_permission(self) -> None:
        if not has_module_perm(self.request.user, self.get_module(), self.get_action()):
            raise PermissionDenied(_("You have no permission for this page."))

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.check_permission()
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self) -> models.QuerySet:
        """Always from ``.restrict(user, action)``; with the view's select/prefetch."""
        qs = self.model._default_manager.restrict(self.request.user, self.get_action())  # type: ignore[union-attr]
        if self.select_related:
            qs = qs.select_related(*self.select_related)
        if self.prefetch_related:
            qs = qs.prefetch_related(*self.prefetch_related)
        return qs

    @cached_property
    def can_change(self) -> bool:
        return has_module_perm(self.request.user, self.get_module(), "change")

    def get_title(self) -> str:
        if self.title:
            return str(self.title)
        return str(self.model._meta.verbose_name_plural)  # type: ignore[union-attr]

    def url(self, name: str | None, *args: Any) -> str:
        return reverse(name, args=args) if name else ""


class ObjectListView(ModuleViewMixin, TemplateView):
    """Filter (django-filter), sort (whitelisted columns), paginate (capped count) a scoped list."""

    template_name = "core/object_list.html"
    filterset_class = None
    table_class = None
    default_sort: str = ""
    per_page: int = 20
    count_cap: int = COUNT_CAP  # the total is counted up to here, then shown as "10000+"
    create_url_name: str | None = None
    list_id: str | None = None

    # --- the rows ---------------------------------------------------------------------------

    def get_filterset(self):
        if not hasattr(self, "_filterset"):
            if self.filterset_class is None:
                self._filterset = None
            else:
                self._filterset = self.filterset_class(
                    self.request.GET or None, queryset=self.get_queryset(), request=self.request
                )
                restrict_choices(self._filterset.form, self.request.user)
                self._bootstrap_filter_form(self._filterset.form)
        return self._filterset

    def _bootstrap_filter_form(self, form) -> None:
        from django import forms

        for field in form.fields.values():
            widget = field.widget
            if isinstance(widget, forms.NullBooleanSelect):
                widget.choices = (("unknown", _("All")), ("true", _("Yes")), ("false", _("No")))
            elif getattr(field, "empty_label", None) is not None:
                field.empty_label = _("All")
            if isinstance(widget, (forms.Select, forms.SelectMultiple)) and not isinstance(
                widget, forms.CheckboxSelectMultiple
            ):
                widget.attrs.setdefault("class", "form-select form-select-sm")
            else:
                widget.attrs.setdefault("class", "form-control form-control-sm")

    def get_sort_fields(self) -> dict[str, tuple[str, ...]]:
        """The whitelist of ``?sort=`` values: the table's sortable columns."""
        table_class = self.get_table_class()
        if table_class is None:
            return {}
        return table_class([]).sort_fields()

    def get_sort(self) -> str:
        sort = self.request.GET.get("sort", "") or self.default_sort
        name = sort.lstrip("-")
        return sort if name in self.get_sort_fields() else self.default_sort

    def sort_queryset(self, qs: models.QuerySet, sort: str) -> models.QuerySet:
        fields = self.get_sort_fields()
        name = sort.lstrip("-")
        if name not in fields:
            return qs.order_by(*(qs.query.order_by or qs.model._meta.ordering or ()), "pk")
        desc = sort.startswith("-")
        ordering = [f"-{f}" if desc and not f.startswith("-") else f for f in fields[name]]
        return qs.order_by(*ordering, "-pk" if desc else "pk")

    def get_filtered_queryset(self) -> models.QuerySet:
        """What the current filter and sort show, within the user's scope (hook for exports,
        saved views and charts)."""
        filterset = self.get_filterset()
        qs = filterset.qs if filterset is not None else self.get_queryset()
        return self.sort_queryset(qs, self.get_sort())

    def get_per_page(self) -> int:
        try:
            value = int(self.request.GET.get("per_page", self.per_page))
        except (TypeError, ValueError):
            value = self.per_page
        return max(1, min(value, MAX_PER_PAGE))

    def get_page(self) -> Page:
        return paginate(self.get_filtered_queryset(), self.request.GET.get("page"), self.get_per_page(),
                        cap=self.count_cap)

    # --- presentation -----------------------------------------------------------------------

    def get_table_class(self):
        return self.table_class

    def get_table(self, page: Page):
        table_class = self.get_table_class()
        if table_class is None:
            return None
        table = table_class(page.rows)
        table.request = self.request
        table.context = Context({"can_change": self.can_change, "request": self.request})
        return table

    def get_list_id(self) -> str:
        return self.list_id or f"{self.model._meta.app_label}.{self.model._meta.model_name}"  # type: ignore[union-attr]

    def get_create_url(self) -> str:
        return self.url(self.create_url_name) if self.create_url_name and self.can_change else ""

    def get_toolbar_buttons(self) -> list[ToolbarButton]:
        buttons: list[ToolbarButton] = []
        for hook in LIST_TOOLBAR_HOOKS:
            buttons.extend(hook(self) or [])
        return buttons

    def is_filtered(self) -> bool:
        filterset = self.get_filterset()
        if filterset is None:
            return False
        return any(self.request.GET.get(name) not in (None, "", "unknown") for name in filterset.form.fields)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        for hook in LIST_RESPONSE_HOOKS:
            response = hook(self)
            if response is not None:
                return response
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        page = self.get_page()
        sort = self.get_sort()
        context.update(
            title=self.get_title(),
            page=page,
            table=self.get_table(page),
            filterset=self.get_filterset(),
            filter_form=self.get_filterset().form if self.get_filterset() is not None else None,
            is_filtered=self.is_filtered(),
            sort=sort,
            sort_fields=self.get_sort_fields(),
            per_page=page.per_page,
            per_page_choices=PER_PAGE_CHOICES,
            create_url=self.get_create_url(),
            can_change=self.can_change,
            toolbar_buttons=self.get_toolbar_buttons(),
            list_id=self.get_list_id(),
            module=self.get_module(),
            view=self,
        )
        return context


class ObjectMixin(ModuleViewMixin):
    """One record, looked up in the restricted queryset (outside the scope ⇒ 404)."""

    pk_url_kwarg = "pk"

    def get_object(self) -> models.Model:
        if not hasattr(self, "_object"):
            try:
                self._object = self.get_queryset().get(pk=self.kwargs[self.pk_url_kwarg])
            except (self.model.DoesNotExist, ValueError, TypeError) as exc:  # type: ignore[union-attr]
                raise Http404(_("No such record, or it lies outside your data scope.")) from exc
        return self._object

    def object_can_change(self, obj: models.Model) -> bool:
        if not self.can_change:
            return False
        return self.model._default_manager.restrict(self.request.user, "change").filter(pk=obj.pk).exists()  # type: ignore[union-attr]


class ObjectDetailView(ObjectMixin, TemplateView):
    """A record's page: ``fields`` shown as a definition list, then panels of other apps."""

    template_name = "core/object_detail.html"
    fields: tuple[str, ...] = ()
    field_labels: dict[str, str] = {}  # labels replacing the model fields' verbose names
    list_url_name: str | None = None
    edit_url_name: str | None = None
    delete_url_name: str | None = None

    def get_title(self) -> str:
        return str(self.get_object())

    def get_field_rows(self, obj: models.Model) -> list[tuple[str, Any]]:
        rows = []
        for name in self.fields:
            field = obj._meta.get_field(name)
            if field.many_to_many:
                value = "、".join(str(o) for o in getattr(obj, name).all())
            elif field.choices:
                value = getattr(obj, f"get_{name}_display")()
            else:
                value = getattr(obj, name)
            rows.append((str(self.field_labels.get(name, field.verbose_name)), value))
        return rows

    def get_panels(self, obj: models.Model) -> list[dict[str, Any]]:
        """Panels of other apps registered for this model (``register_detail_panel``)."""
        panels = []
        label = f"{obj._meta.app_label}.{obj._meta.model_name}"
        for panel in DETAIL_PANELS.get(label, []):
            if panel.module and not has_module_perm(self.request.user, panel.module, panel.action):
                continue
            extra = panel.context(self.request, obj) if callable(panel.context) else {}
            panels.append({"name": panel.name, "template": panel.template, "context": extra or {}})
        return panels

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        obj = self.get_object()
        can_change = self.object_can_change(obj)
        context.update(
            object=obj,
            title=self.get_title(),
            field_rows=self.get_field_rows(obj),
            panels=self.get_panels(obj),
            can_change=can_change,
            list_url=self.url(self.list_url_name),
            edit_url=self.url(self.edit_url_name, obj.pk) if can_change and self.edit_url_name else "",
            delete_url=self.url(self.delete_url_name, obj.pk) if can_change and self.delete_url_name else "",
            module=self.get_module(),
            view=self,
        )
        return context


class ObjectEditView(ObjectMixin, TemplateView):
    """Create (no ``pk`` in the URL) or edit a record through a service.

    Subclasses implement ``create(form) -> obj`` and ``update(form, obj) -> obj``; both run the
    service with ``form.cleaned_data``.
    """

    template_name = "core/object_edit.html"
    action = "change"
    form_class = None
    success_url_name: str | None = None  # called with the object's pk; default: back to the list
    list_url_name: str | None = None

    def is_create(self) -> bool:
        return self.pk_url_kwarg not in self.kwargs

    def get_instance(self) -> models.Model | None:
        return None if self.is_create() else self.get_object()

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"user": self.request.user, "initial": self.get_initial()}
        if self.request.method == "POST":
            kwargs.update(data=self.request.POST, files=self.request.FILES)
        instance = self.get_instance()
        if instance is not None and self.form_accepts_instance():
            kwargs["instance"] = instance
        return kwargs

    def form_accepts_instance(self) -> bool:
        from django.forms import BaseModelForm

        return issubclass(self.form_class, BaseModelForm)  # type: ignore[arg-type]

    def get_initial(self) -> dict[str, Any]:
        return {}

    def get_form(self):
        return self.form_class(**self.get_form_kwargs())  # type: ignore[misc]

    def create(self, form) -> models.Model:
        raise NotImplementedError

    def update(self, form, obj: models.Model) -> models.Model:
        raise NotImplementedError

    def get_success_url(self, obj: models.Model) -> str:
        if self.success_url_name:
            return reverse(self.success_url_name, args=[obj.pk])
        return self.url(self.list_url_name) or "/"

    def success_message(self, obj: models.Model, created: bool) -> str:
        if created:
            return _("“%(object)s” has been created.") % {"object": obj}
        return _("“%(object)s” has been saved.") % {"object": obj}

    def get_title(self) -> str:
        name = str(self.model._meta.verbose_name)  # type: ignore[union-attr]
        if self.is_create():
            return _("New %(model)s") % {"model": name}
        return _("Edit %(model)s: %(object)s") % {"model": name, "object": self.get_object()}

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.render_form(self.get_form())

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = self.get_form()
        if form.is_valid():
            created = self.is_create()
            try:
                obj = self.create(form) if created else self.update(form, self.get_object())
            except ValidationError as exc:
                apply_service_error(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc) or _("You have no permission for this record."))
            else:
                messages.success(request, self.success_message(obj, created))
                return HttpResponseRedirect(self.get_success_url(obj))
        return self.render_form(form, status=200)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            title=self.get_title(),
            object=None if self.is_create() else self.get_object(),
            is_create=self.is_create(),
            cancel_url=self.url(self.list_url_name),
            module=self.get_module(),
            view=self,
        )
        return context

    def render_form(self, form, status: int = 200) -> HttpResponse:
        return render(self.request, self.template_name, self.get_context_data(form=form), status=status)


class ObjectDeleteView(ObjectMixin, TemplateView):
    """A confirmation page; POST calls ``delete(obj)`` (a service)."""

    template_name = "core/object_delete.html"
    action = "change"
    list_url_name: str | None = None

    def delete(self, obj: models.Model) -> None:
        raise NotImplementedError

    def get_success_url(self) -> str:
        return self.url(self.list_url_name) or "/"

    def get_title(self) -> str:
        return _("Delete %(model)s: %(object)s") % {
            "model": self.model._meta.verbose_name, "object": self.get_object()}  # type: ignore[union-attr]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(title=self.get_title(), object=self.get_object(), cancel_url=self.get_success_url(),
                       module=self.get_module(), view=self)
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        obj = self.get_object()
        label = str(obj)
        try:
            self.delete(obj)
        except ValidationError as exc:
            context = self.get_context_data(errors=exc.messages)
            return render(request, self.template_name, context, status=200)
        except PermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        messages.success(request, _("“%(object)s” has been deleted.") % {"object": label})
        return HttpResponseRedirect(self.get_success_url())


def module_label(code: str) -> str:
    module = MODULES.get(code)
    return str(module.label) if module else code


# --- home page ---------------------------------------------------------------------------------


class HomeView(LoginRequiredMixin, TemplateView):
    """The workbench: greeting, the user's unit and roles, the subsystems as tiles and the
    "pending items" panels registered by the apps (``kam.core.registry.register_home_panel``)."""

    template_name = "core/home.html"

    def get_panels(self) -> list[dict[str, Any]]:
        from kam.core.registry import HOME_PANELS

        user = self.request.user
        panels = []
        for panel in HOME_PANELS:
            if panel.module and not has_module_perm(user, panel.module, panel.action):
                continue
            data = panel.panel(self.request) if callable(panel.panel) else None
            if data is None:
                continue
            panels.append({"name": panel.name, "data": data, "template": panel.template})
        return panels

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(
            title=_("Home"),
            roles=list(user.roles.filter(enabled=True).order_by("sort_order")),
            unit=user.org_unit,
            panels=self.get_panels(),
        )
        return context
