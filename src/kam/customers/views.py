"""Pages of 客户管理: 客户注册申报 / 审批 / 维护, 客户信息维护, 客户360视图, 客户资料调取申请,
共享客户信息查看 and the number segments."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
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
    ObjectMixin,
)
from kam.org.models import BusinessLine, OrgLevel, OrgUnit, User

from . import selectors, services
from .filtersets import AccessRequestFilterSet, CustomerFilterSet, NumberSegmentFilterSet, RegistrationFilterSet
from .forms import (
    AccessApproveForm,
    AccessRejectForm,
    AccessRequestForm,
    ContactForm,
    CustomerDataForm,
    CustomerEditForm,
    NumberForm,
    OpinionForm,
    RejectForm,
    RelationshipForm,
    SegmentForm,
)
from .models import (
    ACCESS_MODULE,
    ACCESS_REVIEW_MODULE,
    REGISTRATION_MODULE,
    REVIEW_MODULE,
    AccessContent,
    AccessRequest,
    AccessStatus,
    Contact,
    Customer,
    NumberSegment,
    Registration,
    Relationship,
    Stage,
    granted_content,
)
from .tables import AccessRequestTable, AccessReviewTable, CustomerTable, NumberSegmentTable, RegistrationTable

WIZARD_SALT = "kam.customers.wizard"


def _dict_label(type_code: str, value: Any) -> str:
    from kam.system.selectors import dict_label

    return dict_label(type_code, value) if value else ""


def customer_rows(data: dict[str, Any]) -> list[tuple[str, Any]]:
    """Basic customer information (a customer or a registration's snapshot) as labelled rows."""
    county = OrgUnit.objects.filter(pk=data.get("county")).first() if data.get("county") else None
    return [
        (_("Customer name"), data.get("name")),
        (_("Short name"), data.get("short_name")),
        (_("Industry"), _dict_label("industry", data.get("industry"))),
        (_("Customer level"), _dict_label("customer_level", data.get("level"))),
        (_("Headquarters customer"), bool(data.get("is_headquarters"))),
        (_("County"), county.name if county else ""),
        (_("Address"), data.get("address")),
        (_("Phone"), data.get("phone")),
        (_("Remarks"), data.get("remarks")),
    ]


def known_customer_rows(customer: Customer, user: Any = None) -> list[tuple[str, Any]]:
    """A stored customer's basic information as labelled rows. For a ``user`` outside whose scope
    the customer lies (客户注册申报, case 2: a known customer of the own city) only what identifies
    and classifies it — name, short name, industry, level, headquarters flag, county, key-customer
    number — not its address, phone and remarks (see docs/decisions/0050)."""
    rows = customer_rows({**customer.__dict__, "county": customer.county_id})
    if user is None or Customer.objects.restrict(user, "view").filter(pk=customer.pk).exists():
        return rows
    return [*rows[:6], (_("Key-customer number"), customer.key_number or "")]


def _int_param(value: Any) -> int | None:
    """A primary key from a query or form parameter, or None when it is not a number."""
    return int(value) if str(value or "").isdigit() else None


def relationship_rows(data: dict[str, Any]) -> list[tuple[str, Any]]:
    department = OrgUnit.objects.filter(pk=data.get("department")).first() if data.get("department") else None
    manager = User.objects.filter(pk=data.get("manager")).first() if data.get("manager") else None
    lines = BusinessLine.objects.filter(pk__in=data.get("business_lines") or [])
    return [
        (_("Provider department"), department.name if department else ""),
        (_("Account manager"), manager.name if manager else ""),
        (_("Contact name"), data.get("contact_name")),
        (_("Contact title"), data.get("contact_title")),
        (_("Contact phone"), data.get("contact_phone")),
        (_("Contact e-mail"), data.get("contact_email")),
        (_("Business lines"), "、".join(b.name for b in lines)),
    ]


def _put_errors(forms_by_field: list, exc: ValidationError | PermissionDenied) -> None:
    """Show a service's errors on whichever form has the named field (else on the first form)."""
    if not isinstance(exc, ValidationError):
        exc = ValidationError(str(exc))
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    for field, msgs in errors.items():
        target = next((f for f in forms_by_field if field in f.fields), forms_by_field[0])
        for msg in msgs:
            target.add_error(field if field in target.fields else None, msg)


# --- 客户信息维护 and the 360 view -------------------------------------------------------------


class CustomerListView(ObjectListView):
    """客户信息维护: the customers of the user's scope — by default a manager's own (R-PERM-3)."""

    model = Customer
    title = gettext_lazy("Customer information maintenance")
    filterset_class = CustomerFilterSet
    table_class = CustomerTable
    select_related = ("city", "county", "org_unit")
    default_sort = "name"
    export_spec = "customers.customers"

    def get_page(self):
        page = super().get_page()
        dnd = selectors.dnd_customer_ids([c.pk for c in page.rows])
        for c in page.rows:
            c.is_dnd = c.pk in dnd
        return page


class CustomerDetailView(ObjectDetailView):
    """客户360视图: the customer's information and the panels every app registers for it."""

    model = Customer
    template_name = "customers/customer_detail.html"
    select_related = ("city", "county", "org_unit", "created_by")
    list_url_name = "customers:customer_list"
    edit_url_name = "customers:customer_edit"

    def get_field_rows(self, obj: models.Model) -> list[tuple[str, Any]]:
        c: Customer = obj  # type: ignore[assignment]
        rows = known_customer_rows(c)
        rows.insert(1, (_("Key-customer number"), c.key_number or ""))
        rows.insert(6, (_("City"), c.city.name))
        rows += [(_("Status"), c.status_label), (_("Owning unit"), c.org_unit.full_name)]
        return rows

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        obj = context["object"]
        user = self.request.user
        context["merge_url"] = (reverse("customers:customer_merge", args=[obj.pk])
                                if context["can_change"] and self.has_merge(user) else "")
        context["title"] = _("Customer 360 view: %(name)s") % {"name": obj.name}
        context["is_dnd"] = obj.pk in selectors.dnd_customer_ids([obj.pk])
        return context

    @staticmethod
    def has_merge(user: Any) -> bool:
        from kam.org.permissions import has_perm

        return has_perm(user, "customer_merge", "change")


class CustomerEditView(ObjectEditView):
    model = Customer
    form_class = CustomerEditForm
    list_url_name = "customers:customer_list"
    success_url_name = "customers:customer_detail"

    def form_accepts_instance(self) -> bool:
        return False

    def get_form(self):
        obj = self.get_object()
        kwargs = self.get_form_kwargs()
        kwargs.pop("user", None)
        if self.request.method != "POST":
            kwargs["initial"] = {f: getattr(obj, f) for f in services.CUSTOMER_FIELDS if f != "county"}
            kwargs["initial"]["county"] = obj.county_id
        return self.form_class(city=obj.city, **kwargs)

    def update(self, form, obj):
        return services.customer_update(user=self.request.user, customer=obj, **form.service_data())


class _CustomerChildMixin:
    """Pages of a customer's contacts and relationships: the customer must be in the change scope."""

    def get_customer(self) -> Customer:
        if not hasattr(self, "_customer"):
            pk = self.kwargs.get("customer_pk")
            customer = Customer.objects.restrict(self.request.user, "change").filter(pk=pk).first()
            if customer is None:
                raise Http404(_("No such record, or it lies outside your data scope."))
            self._customer = customer
        return self._customer

    def get_success_url(self, obj=None) -> str:
        return reverse("customers:customer_detail", args=[self.get_customer().pk])


class ContactCreateView(_CustomerChildMixin, ObjectEditView):
    model = Contact
    form_class = ContactForm
    module = "customers"

    def get_title(self) -> str:
        return _("New contact of %(customer)s") % {"customer": self.get_customer()}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["cancel_url"] = self.get_success_url()
        return context

    def create(self, form):
        return services.contact_add(user=self.request.user, customer=self.get_customer(), **form.cleaned_data)


class ContactDeleteView(ObjectDeleteView):
    model = Contact
    module = "customers"

    def delete(self, obj):
        services.contact_remove(user=self.request.user, contact=obj)

    def get_success_url(self) -> str:
        return reverse("customers:customer_detail", args=[self.get_object().customer_id])


class RelationshipEditView(_CustomerChildMixin, ObjectEditView):
    model = Relationship
    form_class = RelationshipForm
    module = "customers"

    def get_customer(self) -> Customer:
        if not self.is_create() and "customer_pk" not in self.kwargs:
            self.kwargs["customer_pk"] = self.get_object().customer_id
        return super().get_customer()

    def form_accepts_instance(self) -> bool:
        return False

    def get_form(self):
        customer = self.get_customer()
        kwargs = self.get_form_kwargs()
        user = kwargs.pop("user", None) or self.request.user
        if not self.is_create() and self.request.method != "POST":
            rel = self.get_object()
            kwargs["initial"] = {
                "department": rel.department_id, "manager": rel.manager_id, "contact": rel.contact_id,
                "contact_name": rel.contact_name, "contact_title": rel.contact_title,
                "contact_phone": rel.contact_phone, "contact_email": rel.contact_email,
                "business_lines": list(rel.business_lines.all()),
            }
        return self.form_class(city=customer.city, user=user, customer_pk=customer.pk, **kwargs)

    def get_title(self) -> str:
        if self.is_create():
            return _("New business relationship of %(customer)s") % {"customer": self.get_customer()}
        return _("Edit business relationship of %(customer)s") % {"customer": self.get_customer()}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["cancel_url"] = self.get_success_url()
        return context

    def create(self, form):
        return services.relationship_add(user=self.request.user, customer=self.get_customer(), **form.service_data())

    def update(self, form, obj):
        return services.relationship_update(user=self.request.user, relationship=obj, **form.service_data())


class RelationshipDeleteView(ObjectDeleteView):
    model = Relationship
    module = "customers"

    def delete(self, obj):
        services.relationship_remove(user=self.request.user, relationship=obj)

    def get_success_url(self) -> str:
        return reverse("customers:customer_detail", args=[self.get_object().customer_id])


class CustomerMergeView(ObjectMixin, TemplateView):
    """Merge a duplicate into this customer (administrators)."""

    model = Customer
    module = "customer_merge"
    action = "change"
    template_name = "customers/customer_merge.html"

    def get_queryset(self):
        return Customer.objects.restrict(self.request.user, "change").select_related("city", "county")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        obj = self.get_object()
        dupes = selectors.similar_customers(obj.name, exclude_pk=obj.pk, threshold=0.6)
        allowed = set(self.get_queryset().filter(pk__in=[d.customer.pk for d in dupes]).values_list("pk", flat=True))
        context.update(object=obj, title=_("Merge duplicates into %(name)s") % {"name": obj.name},
                       duplicates=[d for d in dupes if d.customer.pk in allowed])
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        keep = self.get_object()
        remove = self.get_queryset().filter(pk=request.POST.get("remove") or 0).first()
        if remove is None:
            messages.error(request, _("Choose the duplicate to merge."))
            return HttpResponseRedirect(request.path)
        try:
            services.customer_merge(user=request.user, keep=keep, remove=remove)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
            return HttpResponseRedirect(request.path)
        messages.success(request, _("“%(remove)s” has been merged into “%(keep)s”.") % {
            "remove": remove.name, "keep": keep.name})
        return HttpResponseRedirect(reverse("customers:customer_detail", args=[keep.pk]))


# --- 客户注册申报 ---------------------------------------------------------------------------------


class _WizardMixin:
    """Steps that carry the data entered so far in a signed hidden field: nothing is saved until
    the final submit."""

    def load_wizard(self) -> dict[str, Any]:
        token = self.request.POST.get("wizard", "")
        if not token:
            return {}
        try:
            return signing.loads(token, salt=WIZARD_SALT, max_age=6 * 3600)
        except signing.BadSignature as exc:
            raise PermissionDenied(_("The form has expired; start again.")) from exc

    @staticmethod
    def dump_wizard(data: dict[str, Any]) -> str:
        return signing.dumps(data, salt=WIZARD_SALT)


class RegistrationApplyView(_WizardMixin, ModuleViewMixin, TemplateView):
    """客户注册申报: look the customer up; a new customer (details → relationship) or a known one
    (basic information read-only → relationship)."""

    model = Registration
    module = REGISTRATION_MODULE
    action = "change"
    template_name = "customers/registration_apply.html"

    def city(self) -> OrgUnit:
        city = selectors.region_of(self.request.user.org_unit, OrgLevel.CITY)
        if city is None:
            raise PermissionDenied(_("Your organisation unit lies in no city: you cannot register customers."))
        return city

    def known_customer(self, pk: Any) -> Customer | None:
        if _int_param(pk) is None:
            return None
        return Customer.objects.filter(pk=pk, city=self.city()).select_related("city", "county").first()

    def render_step(self, step: str, **context: Any) -> HttpResponse:
        context.update(step=step, title=_("Customer registration application"), city=self.city())
        return render(self.request, self.template_name, context)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        city = self.city()
        customer = self.known_customer(request.GET.get("customer"))
        if customer is not None:
            form = RelationshipForm(city=city, user=request.user, customer_pk=customer.pk)
            return self.render_step("relationship", customer=customer,
                                    customer_rows=known_customer_rows(customer, request.user),
                                    form=form, wizard=self.dump_wizard({"customer": customer.pk}))
        if request.GET.get("new"):
            form = CustomerDataForm(city=city, initial={"name": request.GET.get("name", "")})
            return self.render_step("customer", form=form)
        name = request.GET.get("name", "").strip()
        candidates = selectors.registration_candidates(request.user, name) if name else []
        return self.render_step("lookup", name=name, candidates=candidates, searched=bool(name))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        city = self.city()
        step = request.POST.get("step")
        if step == "customer":
            form = CustomerDataForm(request.POST, city=city)
            if form.is_valid():
                data = form.service_data()
                try:
                    services.clean_customer_data(data, city=city)
                except ValidationError as exc:
                    _put_errors([form], exc)
                else:
                    return self.render_step(
                        "relationship", customer_rows=customer_rows(data),
                        form=RelationshipForm(city=city, user=request.user),
                        duplicates=selectors.similar_customers(data["name"], city=city),
                        wizard=self.dump_wizard({"customer_data": data}))
            return self.render_step("customer", form=form)
        wizard = self.load_wizard()
        customer = self.known_customer(wizard.get("customer"))
        form = RelationshipForm(request.POST, city=city, user=request.user,
                                customer_pk=customer.pk if customer else None)
        context = {"customer": customer, "wizard": request.POST.get("wizard", ""), "form": form,
                   "customer_rows": (customer_rows(wizard.get("customer_data")) if wizard.get("customer_data")
                                     else known_customer_rows(customer, request.user) if customer
                                     else customer_rows({}))}
        if form.is_valid():
            try:
                registration = services.registration_submit(
                    user=request.user, customer=customer, customer_data=wizard.get("customer_data"),
                    relationship_data=form.service_data())
            except ValidationError as exc:
                _put_errors([form], exc)
            else:
                messages.success(request, _("The registration of “%(name)s” has been submitted for review.")
                                 % {"name": registration.name})
                return HttpResponseRedirect(reverse("customers:registration_detail", args=[registration.pk]))
        return self.render_step("relationship", **context)


# --- 客户注册维护 --------------------------------------------------------------------------------


def _with_department_names(rows: list[Registration]) -> list[Registration]:
    ids = {r.relationship_data.get("department") for r in rows if r.relationship_data.get("department")}
    names = dict(OrgUnit.objects.filter(pk__in=ids).values_list("pk", "name"))
    for r in rows:
        r.department_name = names.get(r.relationship_data.get("department"), "")
    return rows


class RegistrationListView(ObjectListView):
    """客户注册维护: the applications of the user's scope — a manager's own (fuzzy name, industry,
    application date range)."""

    model = Registration
    title = gettext_lazy("Customer registration maintenance")
    filterset_class = RegistrationFilterSet
    table_class = RegistrationTable
    select_related = ("applicant", "customer")
    default_sort = "-submitted_at"

    def get_page(self):
        page = super().get_page()
        _with_department_names(page.rows)
        return page

    def get_create_url(self) -> str:
        return reverse("customers:registration_apply") if self.can_change else ""


class RegistrationDetailView(ObjectDetailView):
    """An application: the proposed data, the review history, the last opinions, and the actions
    the user may take (edit, 重新申请, review)."""

    model = Registration
    template_name = "customers/registration_detail.html"
    select_related = ("applicant", "applicant_unit", "city", "bureau", "customer")
    list_url_name = "customers:registration_list"

    def get_title(self) -> str:
        return _("Customer registration: %(name)s") % {"name": self.get_object().name}

    def get_field_rows(self, obj):
        return customer_rows(obj.customer_data)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        reg: Registration = context["object"]
        user = self.request.user
        is_applicant = reg.applicant_id == user.pk
        actions = selectors.allowed_actions(user, reg)
        context.update(
            relationship_rows=relationship_rows(reg.relationship_data),
            history=list(reg.actions.select_related("actor")),
            last_opinions=reg.last_opinions() if reg.stage == Stage.REJECTED else [],
            review_actions=actions,
            opinion_form=OpinionForm(), reject_form=RejectForm(), number_form=NumberForm(),
            edit_url=(reverse("customers:registration_edit", args=[reg.pk])
                      if is_applicant and reg.is_open and reg.is_new_customer else ""),
            reapply_url=reverse("customers:registration_reapply", args=[reg.pk]) if is_applicant and reg.can_reapply
            else "",
            withdraw_url=reverse("customers:registration_withdraw", args=[reg.pk])
            if is_applicant and reg.is_open and reg.process_id else "",
            duplicates=(selectors.similar_customers(reg.name) if reg.is_new_customer and reg.is_open and actions
                        else []),
            stage_label=reg.get_outcome_display() if reg.stage == Stage.REJECTED and reg.outcome
            else reg.get_stage_display(),
        )
        return context


class RegistrationActionView(ObjectMixin, TemplateView):
    """POST one review action (approve / take / reject / assign a number) and go back."""

    model = Registration
    module = REVIEW_MODULE
    action = "change"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        reg = self.get_object()
        name = kwargs["name"]
        back = HttpResponseRedirect(reverse("customers:registration_detail", args=[reg.pk]))
        try:
            if name == "approve":
                form = OpinionForm(request.POST)
                form.is_valid()
                reg = services.registration_approve(user=request.user, registration=reg,
                                                    opinion=form.cleaned_data.get("opinion", ""))
                done = _("Approved: the application is now at “%(stage)s”.") % {"stage": reg.get_stage_display()}
                if reg.stage == Stage.APPROVED:
                    done = _("Approved: key-customer number %(number)s.") % {"number": reg.key_number}
            elif name == "take":
                form = OpinionForm(request.POST)
                form.is_valid()
                services.registration_take(user=request.user, registration=reg,
                                           opinion=form.cleaned_data.get("opinion", ""))
                done = _("The application has been taken into city first review.")
            elif name == "reject":
                form = RejectForm(request.POST)
                form.is_valid()
                services.registration_reject(user=request.user, registration=reg,
                                             reason=request.POST.get("reason", ""),
                                             failed=bool(form.cleaned_data.get("failed")))
                done = _("The application has been rejected.")
            elif name == "assign_number":
                services.registration_assign_number(user=request.user, registration=reg,
                                                    key_number=request.POST.get("key_number", ""))
                done = _("The key-customer number has been assigned.")
            else:
                raise Http404
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return back
        except PermissionDenied as exc:
            messages.error(request, str(exc))
            return back
        messages.success(request, done)
        return back


class RegistrationWithdrawView(ObjectMixin, TemplateView):
    """POST 撤回: the applicant takes back an application under review."""

    model = Registration
    module = REGISTRATION_MODULE
    action = "change"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        reg = self.get_object()
        try:
            services.registration_withdraw(user=request.user, registration=reg, opinion=request.POST.get("opinion", ""))
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(request, _("The application has been withdrawn: you may edit it and apply again."))
        return HttpResponseRedirect(reverse("customers:registration_detail", args=[reg.pk]))


class RegistrationEditView(ObjectEditView):
    """客户注册维护: edit the basic information entered by hand while not yet approved."""

    model = Registration
    module = REGISTRATION_MODULE
    form_class = CustomerDataForm
    list_url_name = "customers:registration_list"
    success_url_name = "customers:registration_detail"

    def form_accepts_instance(self) -> bool:
        return False

    def get_form(self):
        reg = self.get_object()
        kwargs = self.get_form_kwargs()
        kwargs.pop("user", None)
        if self.request.method != "POST":
            kwargs["initial"] = dict(reg.customer_data)
        return self.form_class(city=reg.city, **kwargs)

    def get_title(self) -> str:
        return _("Edit customer information: %(name)s") % {"name": self.get_object().name}

    def update(self, form, obj):
        return services.registration_update(user=self.request.user, registration=obj,
                                            customer_data=form.service_data())


class RegistrationReapplyView(_WizardMixin, ObjectMixin, TemplateView):
    """重新申请: 1 edit customer information → 2 edit the business relationship → 3 confirm, with
    the last review opinions shown; nothing is saved until the confirmation."""

    model = Registration
    module = REGISTRATION_MODULE
    action = "change"
    template_name = "customers/registration_reapply.html"

    def get_object(self):
        reg = super().get_object()
        if reg.applicant_id != self.request.user.pk or not reg.can_reapply:
            raise PermissionDenied(_("Only the applicant may re-apply a rejected application."))
        return reg

    def render_step(self, step: int, **context: Any) -> HttpResponse:
        reg = self.get_object()
        context.update(step=step, object=reg, title=_("Re-apply: %(name)s") % {"name": reg.name},
                       last_opinions=reg.last_opinions(), steps=[
                           (1, _("Edit customer information")), (2, _("Edit business relationship")),
                           (3, _("Confirm"))])
        return render(self.request, self.template_name, context)

    def customer_form(self, data=None) -> CustomerDataForm | None:
        reg = self.get_object()
        if not reg.is_new_customer:
            return None
        return CustomerDataForm(data, city=reg.city, initial=dict(reg.customer_data))

    def relationship_form(self, data=None, initial=None) -> RelationshipForm:
        reg = self.get_object()
        initial = initial or dict(reg.relationship_data)
        return RelationshipForm(data, city=reg.city, user=self.request.user, customer_pk=reg.customer_id,
                                initial=initial)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        reg = self.get_object()
        return self.render_step(1, form=self.customer_form(), customer_rows=customer_rows(reg.customer_data))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        reg = self.get_object()
        step = request.POST.get("step")
        wizard = self.load_wizard()
        if step == "1":
            form = self.customer_form(request.POST)
            data = dict(reg.customer_data)
            if form is not None:
                if not form.is_valid():
                    return self.render_step(1, form=form)
                data = form.service_data()
                try:
                    services.clean_customer_data(data, city=reg.city)
                except ValidationError as exc:
                    _put_errors([form], exc)
                    return self.render_step(1, form=form)
            return self.render_step(2, form=self.relationship_form(), wizard=self.dump_wizard({"customer_data": data}))
        if step == "2":
            form = self.relationship_form(request.POST)
            if not form.is_valid():
                return self.render_step(2, form=form, wizard=request.POST.get("wizard", ""))
            wizard["relationship_data"] = form.service_data()
            return self.render_step(3, wizard=self.dump_wizard(wizard),
                                    customer_rows=customer_rows(wizard.get("customer_data") or {}),
                                    relationship_rows=relationship_rows(wizard["relationship_data"]))
        if step == "3":
            try:
                services.registration_reapply(
                    user=request.user, registration=reg, relationship_data=wizard.get("relationship_data") or {},
                    customer_data=wizard.get("customer_data") if reg.is_new_customer else None)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
                return self.render_step(1, form=self.customer_form(), customer_rows=customer_rows(reg.customer_data))
            messages.success(request, _("The application has been submitted again."))
            return HttpResponseRedirect(reverse("customers:registration_detail", args=[reg.pk]))
        return self.render_step(1, form=self.customer_form(), customer_rows=customer_rows(reg.customer_data))


# --- 客户注册审批 --------------------------------------------------------------------------------


class ReviewHomeView(ModuleViewMixin, TemplateView):
    """客户注册审批: the applications waiting for the user per stage (pending, pre-review passed,
    first review passed)."""

    module = REVIEW_MODULE
    action = "change"
    template_name = "customers/review_home.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(title=_("Customer registration review"), counts=selectors.review_counts(self.request.user))
        return context


class ReviewListView(ObjectListView):
    """One stage's review list: the applications the user may act on there (R-CUST-4)."""

    model = Registration
    module = REVIEW_MODULE
    action = "change"
    filterset_class = RegistrationFilterSet
    table_class = RegistrationTable
    select_related = ("applicant", "customer")
    default_sort = "submitted_at"

    def get_stage(self) -> Stage:
        try:
            return Stage(self.kwargs["stage"])
        except ValueError as exc:
            raise Http404 from exc

    def get_title(self) -> str:
        return _("Review: %(stage)s") % {"stage": self.get_stage().label}

    def get_queryset(self):
        stage = self.get_stage()
        return super().get_queryset().filter(selectors.review_q(self.request.user, stage=stage), stage=stage)

    def get_page(self):
        page = super().get_page()
        _with_department_names(page.rows)
        return page


# --- 客户资料调取申请 / 共享客户信息查看 ---------------------------------------------------------


class AccessRequestCreateView(ModuleViewMixin, TemplateView):
    """客户资料调取申请: find the customer by name, choose the content, give the reason."""

    model = AccessRequest
    module = ACCESS_MODULE
    action = "change"
    template_name = "customers/access_request_create.html"

    def found(self, name: str) -> list[Customer]:
        # The request exists to reach customers outside the user's scope: the search shows names
        # and regions only.
        name = name.strip()
        if len(name) < 2:
            return []
        found = Customer.objects.filter(name__icontains=name).select_related("city", "county").order_by("name")
        return list(found[:20])

    def render_page(self, **context: Any) -> HttpResponse:
        context.setdefault("title", _("Customer data-access request"))
        return render(self.request, self.template_name, context)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        name = request.GET.get("name", "")
        pk = _int_param(request.GET.get("customer"))
        customer = Customer.objects.filter(pk=pk).first() if pk is not None else None
        form = AccessRequestForm(initial={"customer": customer.pk, "content": AccessContent.ALL}) if customer else None
        return self.render_page(name=name, found=self.found(name), customer=customer, form=form)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = AccessRequestForm(request.POST)
        customer = None
        if form.is_valid():
            customer = Customer.objects.filter(pk=form.cleaned_data["customer"]).first()
            if customer is None:
                form.add_error(None, _("Choose the customer."))
            else:
                try:
                    services.access_request_create(user=request.user, customer=customer,
                                                   content=form.cleaned_data["content"],
                                                   reason=form.cleaned_data["reason"])
                except ValidationError as exc:
                    _put_errors([form], exc)
                else:
                    messages.success(request, _("Your request has been sent for approval."))
                    return HttpResponseRedirect(reverse("customers:shared_list"))
        return self.render_page(customer=customer, form=form, found=[])


class _OwnRequestsMixin:
    """共享客户信息查看 pages: the user's own data-access requests only."""

    def get_queryset(self):
        return super().get_queryset().filter(applicant=self.request.user)  # type: ignore[misc]


class _AccessReviewMixin:
    """Data-access approval pages: the requests the user may decide, and those they decided."""

    def get_queryset(self):
        user = self.request.user  # type: ignore[attr-defined]
        return super().get_queryset().filter(  # type: ignore[misc]
            selectors.access_review_q(user) | models.Q(approver_id=user.pk))


class SharedListView(_OwnRequestsMixin, ObjectListView):
    """共享客户信息查看: the user's own data-access requests with their status."""

    model = AccessRequest
    module = ACCESS_MODULE
    title = gettext_lazy("Shared customer information")
    filterset_class = AccessRequestFilterSet
    table_class = AccessRequestTable
    select_related = ("customer", "applicant")
    default_sort = "-requested_at"
    create_url_name = "customers:access_request_create"


class SharedDetailView(_OwnRequestsMixin, ObjectDetailView):
    """One request: its status and — only once approved and while valid — exactly the granted
    content (basic information, business information, or both) (R-CUST-5)."""

    model = AccessRequest
    module = ACCESS_MODULE
    template_name = "customers/shared_detail.html"
    select_related = ("customer", "customer__city", "customer__county", "applicant", "approver")
    list_url_name = "customers:shared_list"

    def get_title(self) -> str:
        return _("Shared customer information: %(name)s") % {"name": self.get_object().customer.name}

    def get_field_rows(self, obj):
        return [
            (_("Customer"), obj.customer.name),
            (_("Requested content"), obj.get_content_display()),
            (_("Reason"), obj.reason),
            (_("Requested at"), clock.local_text(obj.requested_at)),
            (_("Granted content"), obj.get_granted_content_display() if obj.granted_content else ""),
            (_("Access until"), clock.local_text(obj.expires_at)
             if obj.expires_at else ""),
            (_("Opinion"), obj.opinion),
        ]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        req: AccessRequest = context["object"]
        opened: set[str] = set()
        if req.effective_status == AccessStatus.APPROVED:
            opened = granted_content(self.request.user, req.customer) & {
                AccessContent.BASIC, AccessContent.BUSINESS} & _covers(req.granted_content)
        customer = req.customer
        context.update(
            status=req.effective_status,
            status_label=_("Expired") if req.effective_status == "expired" else req.get_status_display(),
            show_basic=AccessContent.BASIC in opened,
            show_business=AccessContent.BUSINESS in opened,
            basic_rows=[(_("Key-customer number"), customer.key_number or ""), (_("City"), customer.city.name),
                        *known_customer_rows(customer)]
            if AccessContent.BASIC in opened else [],
            relationships=list(Relationship.objects.restrict(self.request.user, "view").filter(customer=customer)
                               .select_related("department", "manager").prefetch_related("business_lines"))
            if AccessContent.BUSINESS in opened else [],
            contacts=list(Contact.objects.restrict(self.request.user, "view").filter(customer=customer))
            if AccessContent.BUSINESS in opened else [],
        )
        return context


def _covers(content: str) -> set[str]:
    if content == AccessContent.ALL:
        return {AccessContent.BASIC, AccessContent.BUSINESS}
    return {content} if content else set()


class AccessReviewListView(_AccessReviewMixin, ObjectListView):
    """Data-access approval: the pending requests the user decides, and those decided."""

    model = AccessRequest
    module = ACCESS_REVIEW_MODULE
    action = "change"
    title = gettext_lazy("Data-access approval")
    filterset_class = AccessRequestFilterSet
    table_class = AccessReviewTable
    select_related = ("customer", "applicant")
    default_sort = "-requested_at"


class AccessReviewView(_AccessReviewMixin, ObjectMixin, TemplateView):
    model = AccessRequest
    module = ACCESS_REVIEW_MODULE
    action = "change"
    template_name = "customers/access_review.html"

    def get_queryset(self):
        return super().get_queryset().select_related("customer", "applicant")

    def render_page(self, approve_form=None, reject_form=None) -> HttpResponse:
        obj = self.get_object()
        context = {
            "object": obj, "title": _("Data-access request: %(name)s") % {"name": obj.customer.name},
            "approve_form": approve_form or AccessApproveForm(initial={
                "granted_content": obj.content, "expires_on": (timezone.localdate() + dt.timedelta(days=30))}),
            "reject_form": reject_form or AccessRejectForm(),
            "pending": obj.status == AccessStatus.PENDING,
        }
        return render(self.request, self.template_name, context)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.render_page()

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        obj = self.get_object()
        if request.POST.get("decision") == "reject":
            form = AccessRejectForm(request.POST)
            if form.is_valid():
                try:
                    services.access_request_reject(user=request.user, request=obj, **form.cleaned_data)
                except (ValidationError, PermissionDenied) as exc:
                    _put_errors([form], exc)
                else:
                    messages.success(request, _("The request has been rejected."))
                    return HttpResponseRedirect(reverse("customers:access_review_list"))
            return self.render_page(reject_form=form)
        form = AccessApproveForm(request.POST)
        if form.is_valid():
            day = form.cleaned_data.get("expires_on")
            expires = (timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))
                       if day else None)
            try:
                services.access_request_approve(user=request.user, request=obj,
                                                granted_content=form.cleaned_data["granted_content"],
                                                expires_at=expires, opinion=form.cleaned_data.get("opinion", ""))
            except (ValidationError, PermissionDenied) as exc:
                _put_errors([form], exc)
            else:
                messages.success(request, _("The request has been approved."))
                return HttpResponseRedirect(reverse("customers:access_review_list"))
        return self.render_page(approve_form=form)


# --- number segments ---------------------------------------------------------------------------


class SegmentListView(ObjectListView):
    model = NumberSegment
    title = gettext_lazy("Key-customer number segments")
    filterset_class = NumberSegmentFilterSet
    table_class = NumberSegmentTable
    select_related = ("org_unit",)
    create_url_name = "customers:segment_create"


class SegmentCreateView(ObjectEditView):
    model = NumberSegment
    form_class = SegmentForm
    list_url_name = "customers:segment_list"

    def form_accepts_instance(self) -> bool:
        return False

    def create(self, form):
        return services.segment_create(user=self.request.user, **form.cleaned_data)



class ManagerOptionsView(ModuleViewMixin, TemplateView):
    """The account managers of the chosen provider department (htmx: replaces the manager
    select when the department changes)."""

    module = "customers"
    template_name = "customers/_manager_select.html"

    def check_permission(self) -> None:
        from kam.org.permissions import has_perm

        user = self.request.user
        if not (has_perm(user, "customers", "change") or has_perm(user, REGISTRATION_MODULE, "change")):
            raise PermissionDenied(_("You have no permission for this page."))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        city = selectors.region_of(self.request.user.org_unit, OrgLevel.CITY)
        pk = _int_param(self.request.GET.get("department"))
        department = OrgUnit.objects.filter(pk=pk).first() if pk is not None else None
        if city is None and department is not None:
            city = selectors.region_of(department, OrgLevel.CITY)
        form = RelationshipForm(self.request.GET, city=city, user=self.request.user) if city is not None else None
        context["field"] = form["manager"] if form is not None else None
        return context
