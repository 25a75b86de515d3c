"""Pages of the org app: login and password (R-AUTH-1) and 系统管理 — 组织管理, 用户管理,
角色管理 (with the grants editor of R-PERM-1) and 专业类型. All configured generic views of
``kam.core.views``; writes go through ``kam.org.services``."""

from __future__ import annotations

from typing import Any

import django_filters as df
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.generic import TemplateView

from kam.core.pagination import Page
from kam.core.registry import MODULES, SUBSYSTEMS, HomePanelData
from kam.core.views import (
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
    ObjectMixin,
    apply_service_error,
    has_module_perm,
)

from . import services
from .filtersets import BusinessLineFilterSet, OrgUnitFilterSet, RoleFilterSet, UserFilterSet
from .forms import (
    BusinessLineForm,
    BusinessTypeForm,
    GrantRowForm,
    LoginForm,
    OrgUnitForm,
    OrgUnitMoveForm,
    PasswordChangeForm,
    RoleForm,
    UserCreateForm,
    UserForm,
    UserPasswordResetForm,
    generate_password,
)
from .models import BusinessLine, BusinessType, DataScope, Grant, OrgKind, OrgLevel, OrgUnit, Role, User

# --- login, logout, password (R-AUTH-1) ---------------------------------------------------------


class LoginView(auth_views.LoginView):
    """Account number + password; failures are throttled by django-axes (the form is built with
    the request, so axes sees every attempt)."""

    form_class = LoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """POST only."""


class PasswordChangeView(LoginRequiredMixin, TemplateView):
    """Change one's own password (``services.user_change_password``); the session stays logged
    in. A user still holding the one-time initial password is sent here by
    ``PasswordChangeRequiredMiddleware`` and sees why."""

    template_name = "registration/password_change.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("form", PasswordChangeForm())
        context["must_change"] = self.request.user.must_change_password
        context["title"] = _("Change password")
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = PasswordChangeForm(request.POST)
        if form.is_valid():
            try:
                user = services.user_change_password(
                    user=request.user, old_password=form.cleaned_data["old_password"],
                    new_password=form.cleaned_data["new_password"],
                )
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                update_session_auth_hash(request, user)
                messages.success(request, _("Your password has been changed."))
                return HttpResponseRedirect(reverse("home"))
        return self.render_to_response(self.get_context_data(form=form))


# --- 组织管理: org units ------------------------------------------------------------------------


def render_unit_tree(units: list[OrgUnit], *, can_change: bool, open_depth: int = 2) -> SafeString:
    """The visible units as nested ``<details>`` lists, built in one pass (no query per node;
    ~5000 units render in a fraction of a second).

    A unit whose parent the user cannot see is shown as a root.
    """
    visible = {u.pk for u in units}
    children: dict[int | None, list[OrgUnit]] = {}
    for unit in units:
        key = unit.parent_id if unit.parent_id in visible else None
        children.setdefault(key, []).append(unit)
    for siblings in children.values():
        siblings.sort(key=lambda u: (u.sort_order, u.path))
    # URL templates: reverse once, then fill in the id.
    detail = reverse("org:unit_detail", args=[0]).replace("/0/", "/{}/")
    edit = reverse("org:unit_edit", args=[0]).replace("/0/", "/{}/")
    move = reverse("org:unit_move", args=[0]).replace("/0/", "/{}/")
    create = reverse("org:unit_create") + "?parent={}"
    level_labels = {**dict(OrgLevel.choices), **{f"kind:{k}": v for k, v in OrgKind.choices}}
    level_labels = {k: escape(v) for k, v in level_labels.items()}
    centre = f' <span class="badge text-bg-info">{escape(_("key-account centre"))}</span>'
    disabled = f' <span class="badge text-bg-secondary">{escape(_("disabled"))}</span>'
    actions = (
        f' <span class="kam-tree-actions small">'
        f'<a href="{edit}" title="{escape(_("Edit"))}"><i class="bi bi-pencil"></i></a> '
        f'<a href="{move}" title="{escape(_("Move"))}"><i class="bi bi-arrows-move"></i></a> '
        f'<a href="{create}" title="{escape(_("Add sub-unit"))}"><i class="bi bi-plus-circle"></i></a></span>'
    ) if can_change else ""
    out: list[str] = []

    def node(unit: OrgUnit, rel_depth: int) -> None:
        pk = unit.pk
        badge = level_labels.get(unit.level) if unit.level else level_labels.get(f"kind:{unit.kind}", "")
        label = (f'<a href="{detail.format(pk)}" data-unit="{pk}">{escape(unit.name)}</a> '
                 f'<span class="text-body-secondary small">{escape(unit.code)}</span> '
                 f'<span class="badge text-bg-light border">{badge}</span>'
                 f'{centre if unit.is_key_account_centre else ""}{"" if unit.enabled else disabled}'
                 f'{actions.format(pk, pk, pk) if actions else ""}')
        kids = children.get(pk)
        if not kids:
            out.append(f'<li class="kam-leaf">{label}</li>')
            return
        out.append(f'<li><details{" open" if rel_depth < open_depth else ""}><summary>{label} '
                   f'<span class="badge rounded-pill text-bg-light">{len(kids)}</span></summary><ul>')
        for kid in kids:
            node(kid, rel_depth + 1)
        out.append("</ul></details></li>")

    for root in children.get(None, []):
        node(root, 0)
    return mark_safe('<div class="kam-tree"><ul>' + "".join(out) + "</ul></div>")  # noqa: S308 - escaped above


class OrgUnitListFilterSet(OrgUnitFilterSet):
    """The page's filter: "within unit" as a (scoped) choice instead of an id."""

    within = df.ModelChoiceFilter(label=gettext_lazy("Within unit"), queryset=OrgUnit.objects.order_by("path"),
                                  method="filter_within")

    class Meta(OrgUnitFilterSet.Meta):
        fields = ["q", "kind", "level", "within", "is_key_account_centre", "enabled"]

    def filter_within(self, qs, name, value):
        return qs.filter(path__startswith=value.path) if value else qs


class OrgUnitListView(ObjectListView):
    """组织管理: the tree of the units in scope; with a filter or a sort, a flat table."""

    model = OrgUnit
    filterset_class = OrgUnitListFilterSet
    table_class = None
    select_related = ("parent", "business_line")
    default_sort = ""
    create_url_name = "org:unit_create"
    title = gettext_lazy("Organisation")
    template_name = "org/unit_list.html"

    def get_table_class(self):
        from .tables import OrgUnitTable

        return OrgUnitTable

    def tree_mode(self) -> bool:
        return not self.is_filtered() and not self.request.GET.get("sort") and self.request.GET.get("view") != "table"

    def get_page(self) -> Page:
        if not self.tree_mode():
            return super().get_page()
        rows = list(
            self.get_queryset().select_related(None).only(
                "id", "name", "code", "parent_id", "kind", "level", "is_key_account_centre", "enabled",
                "sort_order", "path", "depth",
            ).order_by("path")
        )
        return Page(rows=rows, number=1, per_page=max(1, len(rows)), has_next=False, total=len(rows),
                    total_capped=False)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["tree_mode"] = self.tree_mode()
        if context["tree_mode"]:
            context["tree"] = render_unit_tree(context["page"].rows, can_change=self.can_change)
            context["table"] = None
        return context


class OrgUnitDetailView(ObjectDetailView):
    model = OrgUnit
    select_related = ("parent", "business_line", "head")
    fields = ("name", "code", "parent", "kind", "level", "is_key_account_centre", "business_line", "head",
              "phone", "sort_order", "enabled")
    list_url_name = "org:unit_list"
    edit_url_name = "org:unit_edit"
    delete_url_name = "org:unit_delete"
    template_name = "org/unit_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        unit = self.object_for_context = context["object"]
        user = self.request.user
        ids = [int(p) for p in unit.path.split(".") if p]
        context["ancestors"] = list(OrgUnit.objects.restrict(user, "view").filter(pk__in=ids).exclude(pk=unit.pk)
                                    .order_by("depth"))
        context["children"] = list(OrgUnit.objects.restrict(user, "view").filter(parent=unit)
                                   .order_by("sort_order", "path"))
        if has_module_perm(user, "users", "view"):
            users = User.objects.restrict(user, "view").filter(org_unit=unit).order_by("username")
            context["unit_users"] = list(users[:50])
            context["users_url"] = f"{reverse('org:user_list')}?org_unit={unit.pk}"
        context["move_url"] = reverse("org:unit_move", args=[unit.pk]) if context["can_change"] else ""
        context["add_child_url"] = (f"{reverse('org:unit_create')}?parent={unit.pk}"
                                    if context["can_change"] else "")
        return context


class OrgUnitEditView(ObjectEditView):
    model = OrgUnit
    form_class = OrgUnitForm
    list_url_name = "org:unit_list"
    success_url_name = "org:unit_detail"

    def get_initial(self) -> dict[str, Any]:
        initial = {}
        if self.is_create() and self.request.GET.get("parent"):
            initial["parent"] = self.request.GET["parent"]
        return initial

    def create(self, form) -> OrgUnit:
        return services.org_unit_create(user=self.request.user, **form.cleaned_data)

    def update(self, form, obj: OrgUnit) -> OrgUnit:
        return services.org_unit_update(user=self.request.user, unit=obj, **form.cleaned_data)


class OrgUnitMoveView(ObjectMixin, TemplateView):
    """Move a unit and its whole subtree under another parent (``services.org_unit_move``)."""

    model = OrgUnit
    action = "change"
    template_name = "org/unit_move.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        unit = self.get_object()
        context.setdefault("form", OrgUnitMoveForm(user=self.request.user, unit=unit))
        context.update(object=unit, title=_("Move unit: %(unit)s") % {"unit": unit},
                       subtree_size=unit.descendants().count() - 1,
                       cancel_url=reverse("org:unit_detail", args=[unit.pk]))
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        unit = self.get_object()
        form = OrgUnitMoveForm(request.POST, user=request.user, unit=unit)
        if form.is_valid():
            try:
                unit = services.org_unit_move(user=request.user, unit=unit, new_parent=form.cleaned_data["parent"])
            except ValidationError as exc:
                apply_service_error(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("“%(unit)s” has been moved.") % {"unit": unit})
                return HttpResponseRedirect(reverse("org:unit_detail", args=[unit.pk]))
        return self.render_to_response(self.get_context_data(form=form))


class OrgUnitDeleteView(ObjectDeleteView):
    model = OrgUnit
    list_url_name = "org:unit_list"

    def delete(self, obj: OrgUnit) -> None:
        services.org_unit_delete(user=self.request.user, unit=obj)


# --- 用户管理: users ----------------------------------------------------------------------------


class UserListFilterSet(UserFilterSet):
    """The page's filter: the unit as a (scoped) choice, plus "must change password"."""

    org_unit = df.ModelChoiceFilter(label=gettext_lazy("Organisation unit"), queryset=OrgUnit.objects.order_by("path"),
                                    method="filter_unit")
    must_change_password = df.BooleanFilter(label=gettext_lazy("Must change password"))

    class Meta(UserFilterSet.Meta):
        fields = ["q", "org_unit", "role", "is_active", "must_change_password"]

    def filter_unit(self, qs, name, value):
        return qs.filter(org_unit__path__startswith=value.path) if value else qs


class UserListView(ObjectListView):
    model = User
    filterset_class = UserListFilterSet
    select_related = ("org_unit", "superior")
    prefetch_related = ("roles",)
    default_sort = "username"
    create_url_name = "org:user_create"
    title = gettext_lazy("Users")

    def get_table_class(self):
        from .tables import UserTable

        return UserTable


class UserDetailView(ObjectDetailView):
    model = User
    select_related = ("org_unit", "superior")
    prefetch_related = ("roles",)
    fields = ("username", "name", "org_unit", "superior", "roles", "phone", "email", "is_active",
              "must_change_password", "password_changed_at", "last_login", "date_joined")
    field_labels = {"username": gettext_lazy("Account number")}
    list_url_name = "org:user_list"
    edit_url_name = "org:user_edit"
    delete_url_name = "org:user_delete"
    template_name = "org/user_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        obj = context["object"]
        context["reset_url"] = reverse("org:user_password", args=[obj.pk]) if context["can_change"] else ""
        if obj.org_unit_id:
            context["field_rows"] = [
                (label, obj.org_unit.full_name if label == str(User._meta.get_field("org_unit").verbose_name)
                 else value) for label, value in context["field_rows"]
            ]
        return context


def _show_password_once(request: HttpRequest, user: User, password: str) -> None:
    messages.warning(
        request,
        _("The one-time password of %(account)s is: %(password)s — hand it over now; it is not shown again.")
        % {"account": user.username, "password": password},
    )


class UserEditView(ObjectEditView):
    model = User
    list_url_name = "org:user_list"
    success_url_name = "org:user_detail"

    def get_form_class(self):
        return UserCreateForm if self.is_create() else UserForm

    @property
    def form_class(self):  # type: ignore[override]
        return self.get_form_class()

    def create(self, form) -> User:
        data = dict(form.cleaned_data)
        if form.fields["roles"].disabled:
            data["roles"] = []
        password = data.pop("password", "") or generate_password()
        user = services.user_create(actor=self.request.user, password=password, must_change_password=True, **data)
        _show_password_once(self.request, user, password)
        return user

    def update(self, form, obj: User) -> User:
        data = dict(form.cleaned_data)
        roles = data.pop("roles", None)
        if form.fields["roles"].disabled:
            roles = None  # unchanged
        return services.user_update(actor=self.request.user, user=obj, roles=roles, **data)


class UserPasswordResetView(ObjectMixin, TemplateView):
    """An administrator sets a new one-time password (``services.user_reset_password``)."""

    model = User
    action = "change"
    template_name = "org/user_password.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        obj = self.get_object()
        context.setdefault("form", UserPasswordResetForm())
        context.update(object=obj, title=_("Reset password: %(user)s") % {"user": obj},
                       cancel_url=reverse("org:user_detail", args=[obj.pk]))
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        obj = self.get_object()
        form = UserPasswordResetForm(request.POST)
        if form.is_valid():
            password = form.cleaned_data["password"] or generate_password()
            try:
                services.user_reset_password(actor=request.user, user=obj, password=password)
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                _show_password_once(request, obj, password)
                return HttpResponseRedirect(reverse("org:user_detail", args=[obj.pk]))
        return self.render_to_response(self.get_context_data(form=form))


class UserDeleteView(ObjectDeleteView):
    model = User
    list_url_name = "org:user_list"

    def delete(self, obj: User) -> None:
        services.user_delete(actor=self.request.user, user=obj)


# --- 角色管理: roles and grants -----------------------------------------------------------------


class RoleListView(ObjectListView):
    model = Role
    filterset_class = RoleFilterSet
    default_sort = ""
    create_url_name = "org:role_create"
    title = gettext_lazy("Roles and permissions")

    def get_table_class(self):
        from .tables import RoleTable

        return RoleTable


def _ordered_modules() -> list:
    order = {code: sub.order for code, sub in SUBSYSTEMS.items()}
    return sorted(MODULES.values(), key=lambda m: (order.get(m.subsystem, 999), str(m.code)))


class RoleDetailView(ObjectDetailView):
    model = Role
    fields = ("code", "name", "description", "builtin", "enabled", "sort_order")
    list_url_name = "org:role_list"
    edit_url_name = "org:role_edit"
    delete_url_name = "org:role_delete"
    template_name = "org/role_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        role = context["object"]
        if role.builtin:
            context["delete_url"] = ""
        grants = {g.module: g for g in Grant.objects.restrict(self.request.user, "view").filter(role=role)
                  .prefetch_related("custom_units")}
        context["grant_rows"] = [(m, SUBSYSTEMS[m.subsystem].label if m.subsystem in SUBSYSTEMS else "",
                                  grants.get(m.code)) for m in _ordered_modules()]
        context["grants_url"] = reverse("org:role_grants", args=[role.pk]) if context["can_change"] else ""
        context["user_count"] = role.users.count()
        return context


class RoleEditView(ObjectEditView):
    model = Role
    form_class = RoleForm
    list_url_name = "org:role_list"
    success_url_name = "org:role_detail"

    def create(self, form) -> Role:
        return services.role_create(user=self.request.user, **form.cleaned_data)

    def update(self, form, obj: Role) -> Role:
        return services.role_update(user=self.request.user, role=obj, **form.cleaned_data)


class RoleDeleteView(ObjectDeleteView):
    model = Role
    list_url_name = "org:role_list"

    def delete(self, obj: Role) -> None:
        services.role_delete(user=self.request.user, role=obj)


class RoleGrantsView(ObjectMixin, TemplateView):
    """The grants editor (R-PERM-1): one row per permission module — query, add/delete/modify,
    analysis & statistics, data scope, custom units, valid from / to."""

    model = Role
    action = "change"
    template_name = "org/role_grants.html"

    def unit_queryset(self, selected_ids: set[int]):
        """Custom units offered: provinces, cities, counties and their departments (depth ≤ 2),
        plus whatever is already chosen."""
        return (OrgUnit.objects.restrict(self.request.user, "view")
                .filter(Q(depth__lte=2) | Q(pk__in=selected_ids)).order_by("path"))

    def build_forms(self, data=None) -> list[GrantRowForm]:
        role = self.get_object()
        grants = {g.module: g for g in Grant.objects.restrict(self.request.user, "change").filter(role=role)
                  .prefetch_related("custom_units")}
        selected = {u.pk for g in grants.values() for u in g.custom_units.all()}
        forms = []
        for module in _ordered_modules():
            grant = grants.get(module.code)
            initial: dict[str, Any] = {"scope": DataScope.UNIT}
            if grant is not None:
                initial = {"can_view": grant.can_view, "can_change": grant.can_change,
                           "can_analyse": grant.can_analyse, "scope": grant.scope,
                           "custom_units": [u.pk for u in grant.custom_units.all()],
                           "valid_from": grant.valid_from, "valid_to": grant.valid_to}
            form = GrantRowForm(data, prefix=module.code, initial=initial, module=module,
                                unit_queryset=self.unit_queryset(selected))
            form.subsystem = SUBSYSTEMS[module.subsystem].label if module.subsystem in SUBSYSTEMS else ""
            forms.append(form)
        return forms

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        role = self.get_object()
        context.setdefault("forms", self.build_forms())
        context.update(object=role, title=_("Grants of role: %(role)s") % {"role": role},
                       cancel_url=reverse("org:role_detail", args=[role.pk]), custom=DataScope.CUSTOM.value)
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        role = self.get_object()
        forms = self.build_forms(request.POST)
        if all(f.is_valid() for f in forms):
            grants: dict[str, dict[str, Any] | None] = {}
            for form in forms:
                if not form.granted:
                    grants[form.module.code] = None
                    continue
                data = form.cleaned_data
                grants[form.module.code] = {
                    "can_view": data["can_view"], "can_change": data["can_change"],
                    "can_analyse": data["can_analyse"], "scope": data["scope"],
                    "custom_units": list(data["custom_units"]), "valid_from": data["valid_from"],
                    "valid_to": data["valid_to"],
                }
            try:
                services.role_grants_save(user=request.user, role=role, grants=grants)
            except ValidationError as exc:
                by_module = {f.module.code: f for f in forms}
                for key, msgs in exc.message_dict.items():
                    module, _sep, field = key.partition(".")
                    form = by_module.get(module)
                    if form is None:
                        messages.error(request, "; ".join(msgs))
                        continue
                    form.add_error(field if field in form.fields else None, msgs)
            else:
                messages.success(request, _("The grants of “%(role)s” have been saved.") % {"role": role})
                return HttpResponseRedirect(reverse("org:role_detail", args=[role.pk]))
        messages.error(request, _("Nothing was saved; please correct the rows marked below."))
        return render(request, self.template_name, self.get_context_data(forms=forms))


# --- 专业类型: business lines and types ---------------------------------------------------------


class BusinessLineListView(ObjectListView):
    model = BusinessLine
    filterset_class = BusinessLineFilterSet
    prefetch_related = ("types",)
    create_url_name = "org:line_create"
    title = gettext_lazy("Business lines")

    def get_table_class(self):
        from .tables import BusinessLineTable

        return BusinessLineTable


class BusinessLineDetailView(ObjectDetailView):
    model = BusinessLine
    fields = ("code", "name", "sort_order", "enabled")
    list_url_name = "org:line_list"
    edit_url_name = "org:line_edit"
    delete_url_name = "org:line_delete"
    template_name = "org/line_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        line = context["object"]
        context["types"] = list(BusinessType.objects.restrict(self.request.user, "view").filter(line=line))
        context["type_create_url"] = (f"{reverse('org:type_create')}?line={line.pk}" if context["can_change"]
                                      else "")
        return context


class BusinessLineEditView(ObjectEditView):
    model = BusinessLine
    form_class = BusinessLineForm
    list_url_name = "org:line_list"
    success_url_name = "org:line_detail"

    def create(self, form) -> BusinessLine:
        return services.business_line_create(user=self.request.user, **form.cleaned_data)

    def update(self, form, obj: BusinessLine) -> BusinessLine:
        return services.business_line_update(user=self.request.user, line=obj, **form.cleaned_data)


class BusinessLineDeleteView(ObjectDeleteView):
    model = BusinessLine
    list_url_name = "org:line_list"

    def delete(self, obj: BusinessLine) -> None:
        services.business_line_delete(user=self.request.user, line=obj)


class BusinessTypeEditView(ObjectEditView):
    model = BusinessType
    form_class = BusinessTypeForm
    list_url_name = "org:line_list"

    def get_initial(self) -> dict[str, Any]:
        return {"line": self.request.GET.get("line")} if self.is_create() else {}

    def get_success_url(self, obj: BusinessType) -> str:
        return reverse("org:line_detail", args=[obj.line_id])

    def create(self, form) -> BusinessType:
        return services.business_type_create(user=self.request.user, **form.cleaned_data)

    def update(self, form, obj: BusinessType) -> BusinessType:
        return services.business_type_update(user=self.request.user, business_type=obj, **form.cleaned_data)


class BusinessTypeDeleteView(ObjectDeleteView):
    model = BusinessType
    list_url_name = "org:line_list"

    def get_success_url(self) -> str:
        return reverse("org:line_detail", args=[self.get_object().line_id])

    def delete(self, obj: BusinessType) -> None:
        services.business_type_delete(user=self.request.user, business_type=obj)


# --- home panels --------------------------------------------------------------------------------


def pending_password_panel(request: HttpRequest) -> HomePanelData | None:
    """For administrators: active users in scope who still hold a one-time initial password."""
    qs = User.objects.restrict(request.user, "change").filter(is_active=True, must_change_password=True)
    count = qs.count()
    if not count:
        return None
    rows = [(str(u), reverse("org:user_detail", args=[u.pk])) for u in qs.order_by("-date_joined")[:5]]
    return HomePanelData(
        title=_("Users who must still change their initial password"), count=count, rows=rows,
        url=f"{reverse('org:user_list')}?must_change_password=true&is_active=true",
        link_label=pgettext("panel", "Show all"), tone="warning",
    )


def my_grants_panel(request: HttpRequest) -> HomePanelData:
    """Everyone: the modules the user's roles grant, with their data scope."""
    from .permissions import active_grants

    user = request.user
    rows = []
    scope_labels = dict(DataScope.choices)
    for code, grants in sorted(active_grants(user).items()):
        module = MODULES.get(code)
        if module is None:
            continue
        scopes = "、".join(sorted({str(scope_labels.get(g.scope, g.scope)) for g in grants}))
        rows.append((f"{module.label} · {scopes}", ""))
    return HomePanelData(
        title=_("My permissions"), count=len(rows) if not user.is_superuser else _("all"),
        rows=rows[:8], url=reverse("password_change"), link_label=_("Change password"), tone="primary",
    )
