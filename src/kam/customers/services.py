"""Writes of the customers app. Pages, API and imports call these.

The registration review and the data-access approval run on the process engine (definitions
``customer_registration`` and ``data_access``): submitting starts an instance; each review action
(:func:`registration_approve`, :func:`registration_take`, :func:`registration_reject`,
:func:`access_request_approve`, :func:`access_request_reject`) checks the reviewer holds an open
task (R-CUST-4) and completes it through :mod:`kam.processes.services`. The business effect
follows the process (:func:`on_process_advanced`, :func:`on_process_ended`, connected to the
engine's signals): the application's stage and history, the customer and its number on final
approval, the mark for re-application on rejection, the grant on approval of a request — so an
action taken on the generic task pages has the same effect.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kam.core import clock
from kam.core.querysets import check_in_scope
from kam.org.models import BusinessLine, OrgLevel, OrgUnit, User
from kam.org.permissions import has_perm

from . import selectors
from .models import (
    ACCESS_MODULE,
    ACCESS_PROCESS,
    MODULE,
    OPEN_STAGES,
    REGISTRATION_MODULE,
    REGISTRATION_PROCESS,
    SEGMENT_MODULE,
    AccessContent,
    AccessGrant,
    AccessRequest,
    AccessStatus,
    Contact,
    Customer,
    CustomerMerge,
    NumberSegment,
    Outcome,
    Registration,
    Relationship,
    ReviewAction,
    Stage,
)

DIAMOND = "diamond"  # dictionary customer_level: 钻石级客户
CUSTOMER_FIELDS = ("name", "short_name", "industry", "level", "is_headquarters", "county", "address", "phone",
                   "remarks", "status")
CONTACT_FIELDS = ("name", "title", "phone", "email")
PHONE_RE = re.compile(r"^[0-9+\-() ]{3,40}$")


def _require(user: Any, module: str, action: str = "change") -> None:
    if not has_perm(user, module, action):
        raise PermissionDenied(_("You have no permission for this action."))


def _dict_codes(type_code: str) -> set[str]:
    from kam.system.selectors import dict_values

    return {v for v, _label in dict_values(type_code)}


def _raise(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


def _add(errors: dict[str, list[str]], field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _unit(value: Any) -> OrgUnit | None:
    if value in (None, ""):
        return None
    if isinstance(value, OrgUnit):
        return value
    return OrgUnit.objects.filter(pk=value).first()


# --- customers ---------------------------------------------------------------------------------


def clean_customer_data(data: Mapping[str, Any], *, city: OrgUnit) -> dict[str, Any]:
    """Validate basic customer information; return it cleaned (county as an ``OrgUnit``).

    R-CUST-1: a headquarters customer is a diamond customer. R-CUST-3: the county lies in
    ``city`` (the city itself is fixed).
    """
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    name = str(data.get("name") or "").strip()
    if not name:
        _add(errors, "name", _("Enter the customer name."))
    out["name"] = name[:200]
    out["short_name"] = str(data.get("short_name") or "").strip()[:100]
    industry = str(data.get("industry") or "").strip()
    if industry and industry not in _dict_codes("industry"):
        _add(errors, "industry", _("Unknown industry: %(value)s") % {"value": industry})
    out["industry"] = industry
    out["is_headquarters"] = bool(data.get("is_headquarters"))
    level = str(data.get("level") or "").strip()
    if out["is_headquarters"]:
        level = DIAMOND  # R-CUST-1
    if level and level not in _dict_codes("customer_level"):
        _add(errors, "level", _("Unknown customer level: %(value)s") % {"value": level})
    out["level"] = level
    county = _unit(data.get("county"))
    if data.get("county") not in (None, "") and county is None:
        _add(errors, "county", _("Unknown county."))
    elif county is not None and (county.level != OrgLevel.COUNTY or county.parent_id != city.pk):
        _add(errors, "county", _("Choose a county of %(city)s: registering in another city is not allowed.")
             % {"city": city.name})
    out["county"] = county
    out["address"] = str(data.get("address") or "").strip()[:300]
    phone = str(data.get("phone") or "").strip()
    if phone and not PHONE_RE.match(phone):
        _add(errors, "phone", _("Enter a phone number of digits (with - or + where needed)."))
    out["phone"] = phone
    out["remarks"] = str(data.get("remarks") or "").strip()[:2000]
    status = str(data.get("status") or "active").strip()
    if status not in _dict_codes("customer_status"):
        _add(errors, "status", _("Unknown customer status: %(value)s") % {"value": status})
    out["status"] = status
    _raise(errors)
    return out


def _customer_snapshot(customer: Customer) -> dict[str, Any]:
    return {
        "name": customer.name, "short_name": customer.short_name, "industry": customer.industry,
        "level": customer.level, "is_headquarters": customer.is_headquarters, "county": customer.county_id,
        "address": customer.address, "phone": customer.phone, "remarks": customer.remarks,
        "status": customer.status,
    }


def _check_key_number(number: str, *, exclude_pk: int | None = None) -> str:
    number = (number or "").strip()
    if not number or not re.match(r"^[0-9A-Za-z-]{1,40}$", number):
        raise ValidationError({"key_number": _("Enter a key-customer number of digits and letters.")})
    clash = Customer.objects.filter(key_number=number)
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"key_number": _("The key-customer number %(number)s is already used.")
                               % {"number": number}})
    return number


@transaction.atomic
def customer_create(*, user: Any, city: OrgUnit, org_unit: OrgUnit | None = None,
                    key_number: str | None = None, **data: Any) -> Customer:
    """Create a customer directly (maintenance, import); registrations create theirs on approval."""
    _require(user, MODULE)
    if city is None or city.level != OrgLevel.CITY:
        raise ValidationError({"city": _("Choose a city.")})
    clean = clean_customer_data(data, city=city)
    customer = Customer(city=city, org_unit=org_unit or user.org_unit or city, created_by=user, **clean)
    if key_number:
        customer.key_number = _check_key_number(key_number)
    customer.name_key = selectors.normalise_name(customer.name)
    customer.save()
    check_in_scope(user, customer, "change")
    return customer


@transaction.atomic
def customer_update(*, user: Any, customer: Customer, **data: Any) -> Customer:
    """Edit basic information (客户信息维护); R-CUST-1 applies."""
    check_in_scope(user, customer, "change")
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    merged = {**_customer_snapshot(customer), **{k: v for k, v in data.items() if k in CUSTOMER_FIELDS}}
    clean = clean_customer_data(merged, city=customer.city)
    for field, value in clean.items():
        setattr(customer, field, value)
    customer.name_key = selectors.normalise_name(customer.name)
    customer.save()
    check_in_scope(user, customer, "change")
    return customer


@transaction.atomic
def customer_assign_number(*, user: Any, customer: Customer, key_number: str) -> Customer:
    """The city key-account department gives a customer without a number one by hand."""
    check_in_scope(user, customer, "change")
    if "reviewer_city" not in selectors.role_codes(user) and not user.is_superuser:
        raise PermissionDenied(_("Only the city key-account department assigns key-customer numbers by hand."))
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.key_number:
        raise ValidationError({"key_number": _("The customer already has the key-customer number %(number)s.")
                               % {"number": customer.key_number}})
    customer.key_number = _check_key_number(key_number, exclude_pk=customer.pk)
    customer.save(update_fields=["key_number", "updated_at"])
    return customer


@transaction.atomic
def customer_merge(*, user: Any, keep: Customer, remove: Customer) -> Customer:
    """Merge ``remove`` into ``keep``: relationships, contacts, registrations, access requests and
    grants move over; ``keep`` takes ``remove``'s key-customer number when it has none; a
    :class:`CustomerMerge` row keeps ``remove``'s identity so its history shows on ``keep``."""
    _require(user, "customer_merge")
    if keep.pk == remove.pk:
        raise ValidationError({"remove": _("Choose two different customers.")})
    check_in_scope(user, keep, "change")
    check_in_scope(user, remove, "change")
    keep = Customer.objects.select_for_update().get(pk=keep.pk)
    remove = Customer.objects.select_for_update().get(pk=remove.pk)
    Relationship.objects.filter(customer=remove).update(customer=keep)
    Contact.objects.filter(customer=remove).update(customer=keep)
    Registration.objects.filter(customer=remove).update(customer=keep)
    AccessRequest.objects.filter(customer=remove).update(customer=keep)
    AccessGrant.objects.filter(customer=remove).update(customer=keep)
    CustomerMerge.objects.filter(kept=remove).update(kept=keep)  # earlier merges into the removed one
    CustomerMerge.objects.create(kept=keep, removed_id=remove.pk, removed_name=remove.name,
                                 removed_key_number=remove.key_number or "", merged_by=user, merged_at=clock.now())
    number = remove.key_number
    for field in ("short_name", "industry", "level", "address", "phone"):
        if not getattr(keep, field) and getattr(remove, field):
            setattr(keep, field, getattr(remove, field))
    remove.delete()
    if not keep.key_number and number:
        keep.key_number = number
    keep.save()
    return keep


# --- contacts ----------------------------------------------------------------------------------


def _clean_contact(data: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    errors: dict[str, list[str]] = {}
    out = {f: str(data.get(f) or "").strip() for f in CONTACT_FIELDS}
    if not out["name"]:
        _add(errors, f"{prefix}name", _("Enter the contact's name."))
    if out["phone"] and not PHONE_RE.match(out["phone"]):
        _add(errors, f"{prefix}phone", _("Enter a phone number of digits (with - or + where needed)."))
    if out["email"]:
        try:
            validate_email(out["email"])
        except ValidationError:
            _add(errors, f"{prefix}email", _("Enter a valid e-mail address."))
    _raise(errors)
    return out


@transaction.atomic
def contact_add(*, user: Any, customer: Customer, **data: Any) -> Contact:
    check_in_scope(user, customer, "change")
    contact = Contact.objects.create(customer=customer, **_clean_contact(data))
    return contact


@transaction.atomic
def contact_update(*, user: Any, contact: Contact, **data: Any) -> Contact:
    check_in_scope(user, contact.customer, "change")
    current = {f: getattr(contact, f) for f in CONTACT_FIELDS}
    for f, v in _clean_contact({**current, **data}).items():
        setattr(contact, f, v)
    contact.save()
    return contact


@transaction.atomic
def contact_remove(*, user: Any, contact: Contact) -> None:
    check_in_scope(user, contact.customer, "change")
    contact.delete()


# --- business relationships --------------------------------------------------------------------


def _lines(values: Iterable[Any] | None) -> list[BusinessLine]:
    ids = [v.pk if isinstance(v, BusinessLine) else v for v in (values or [])]
    lines = list(BusinessLine.objects.filter(pk__in=[i for i in ids if str(i).isdigit()], enabled=True))
    if len(lines) != len(set(ids)):
        raise ValidationError({"business_lines": _("Unknown or disabled business line.")})
    return lines


def clean_relationship_data(data: Mapping[str, Any], *, city: OrgUnit, customer: Customer | None,
                            user: Any = None) -> dict[str, Any]:
    """Validate a business relationship: the department lies in ``city``, the manager is an
    assignable account manager of that department, the contact is picked (a contact of the
    customer the ``user`` may see: its fields are copied, read-only) or typed, at least one
    business line."""
    from kam.managers.models import AccountManager
    from kam.managers.services import ensure_assignable

    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    department = _unit(data.get("department"))
    if department is None:
        _add(errors, "department", _("Choose the provider department."))
    elif not department.path.startswith(city.path):
        _add(errors, "department", _("Choose a department of %(city)s.") % {"city": city.name})
    out["department"] = department
    manager = data.get("manager")
    if manager not in (None, "") and not isinstance(manager, User):
        manager = User.objects.filter(pk=manager).first()
    if not manager:
        _add(errors, "manager", _("Choose the account manager."))
    elif department is not None:
        profile = AccountManager.objects.filter(user=manager).first()
        if profile is None or not (manager.org_unit and manager.org_unit.path.startswith(department.path)):
            _add(errors, "manager", _("Choose an account manager of the department %(department)s.")
                 % {"department": department.name})
        else:
            try:
                ensure_assignable(profile, field="manager")
            except ValidationError as exc:
                for msg in exc.message_dict.get("manager", exc.messages):
                    _add(errors, "manager", msg)
    out["manager"] = manager or None
    contact = data.get("contact")
    if contact not in (None, "") and not isinstance(contact, Contact):
        contact = Contact.objects.filter(pk=contact).first() if str(contact).isdigit() else None
        if contact is None:
            _add(errors, "contact", _("Unknown contact."))
    contact = contact or None
    if contact is not None and (customer is None or contact.customer_id != customer.pk):
        _add(errors, "contact", _("The contact does not belong to this customer."))
        contact = None
    elif contact is not None and user is not None and not Contact.objects.restrict(user, "view").filter(
            pk=contact.pk).exists():
        _add(errors, "contact", _("Unknown contact."))
        contact = None
    out["contact"] = contact
    if contact is not None:
        out.update(contact_name=contact.name, contact_title=contact.title, contact_phone=contact.phone,
                   contact_email=contact.email)
    else:
        typed = {f: data.get(f"contact_{f}") for f in CONTACT_FIELDS}
        try:
            clean = _clean_contact(typed, prefix="contact_")
        except ValidationError as exc:
            for field, msgs in exc.message_dict.items():
                for msg in msgs:
                    _add(errors, field, msg)
            clean = {f: str(typed[f] or "") for f in CONTACT_FIELDS}
        out.update({f"contact_{f}": v for f, v in clean.items()})
    try:
        out["business_lines"] = _lines(data.get("business_lines"))
    except ValidationError as exc:
        errors.update(exc.message_dict)
        out["business_lines"] = []
    if not out["business_lines"] and "business_lines" not in errors:
        _add(errors, "business_lines", _("Choose at least one business line."))
    _raise(errors)
    return out


def _relationship_json(clean: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "department": clean["department"].pk, "manager": clean["manager"].pk,
        "contact": clean["contact"].pk if clean["contact"] else None,
        **{f"contact_{f}": clean[f"contact_{f}"] for f in CONTACT_FIELDS},
        "business_lines": [b.pk for b in clean["business_lines"]],
    }


def _create_relationship(customer: Customer, clean: Mapping[str, Any]) -> Relationship:
    lines = clean["business_lines"]
    fields = {k: v for k, v in clean.items() if k != "business_lines"}
    rel = Relationship.objects.create(customer=customer, **fields)
    rel.business_lines.set(lines)
    return rel


@transaction.atomic
def relationship_add(*, user: Any, customer: Customer, **data: Any) -> Relationship:
    check_in_scope(user, customer, "change")
    clean = clean_relationship_data(data, city=customer.city, customer=customer, user=user)
    return _create_relationship(customer, clean)


@transaction.atomic
def relationship_update(*, user: Any, relationship: Relationship, **data: Any) -> Relationship:
    check_in_scope(user, relationship.customer, "change")
    current = {
        "department": relationship.department_id, "manager": relationship.manager_id,
        "contact": relationship.contact_id,
        **{f"contact_{f}": getattr(relationship, f"contact_{f}") for f in CONTACT_FIELDS},
        "business_lines": list(relationship.business_lines.values_list("pk", flat=True)),
    }
    if data.get("contact") in (None, "") and any(k.startswith("contact_") for k in data):
        current["contact"] = None
    clean = clean_relationship_data({**current, **data}, city=relationship.customer.city,
                                    customer=relationship.customer, user=user)
    lines = clean.pop("business_lines")
    for field, value in clean.items():
        setattr(relationship, field, value)
    relationship.save()
    relationship.business_lines.set(lines)
    check_in_scope(user, relationship.customer, "change")
    return relationship


@transaction.atomic
def relationship_remove(*, user: Any, relationship: Relationship) -> None:
    check_in_scope(user, relationship.customer, "change")
    relationship.delete()


# --- number segments (R-CUST-2) ----------------------------------------------------------------


@transaction.atomic
def segment_create(*, user: Any, org_unit: OrgUnit, prefix: str = "", start: int, end: int,
                   enabled: bool = True) -> NumberSegment:
    _require(user, SEGMENT_MODULE)
    errors: dict[str, list[str]] = {}
    if start is None or end is None or start < 0 or end < start:
        _add(errors, "end", _("The last number must not be below the first number."))
    prefix = (prefix or "").strip()
    if prefix and not prefix.isalnum():
        _add(errors, "prefix", _("The prefix takes digits and letters only."))
    _raise(errors)
    for other in NumberSegment.objects.filter(prefix=prefix):
        if start <= other.end and other.start <= end and len(str(other.end)) == len(str(end)):
            raise ValidationError({"start": _("The segment overlaps the segment %(segment)s.") % {"segment": other}})
    segment = NumberSegment.objects.create(org_unit=org_unit, prefix=prefix, start=start, end=end,
                                           next_value=start, enabled=enabled)
    check_in_scope(user, segment, "change")
    return segment


@transaction.atomic
def segment_update(*, user: Any, segment: NumberSegment, end: int | None = None,
                   enabled: bool | None = None) -> NumberSegment:
    check_in_scope(user, segment, "change")
    segment = NumberSegment.objects.select_for_update().get(pk=segment.pk)
    if end is not None:
        if end < segment.next_value - 1 or end < segment.start:
            raise ValidationError({"end": _("The last number cannot go below the numbers already issued.")})
        segment.end = end
    if enabled is not None:
        segment.enabled = enabled
    segment.save()
    return segment


def number_issue(*, unit: OrgUnit) -> str:
    """Issue the next key-customer number from the segment of ``unit``'s nearest ancestor (or
    itself) that holds one (R-CUST-2). Call inside a transaction: the segment row is locked
    (``select_for_update``), so two approvals never get the same number."""
    ids = [int(p) for p in unit.path.split(".") if p]
    depth = {pk: i for i, pk in enumerate(ids)}
    segments = list(NumberSegment.objects.select_for_update().filter(org_unit_id__in=ids, enabled=True)
                    .order_by("start", "pk"))
    if not segments:
        raise ValidationError({"key_number": _("No number segment is allocated to %(unit)s or above it.")
                               % {"unit": unit.name}})
    nearest = max(depth[s.org_unit_id] for s in segments)
    own = [s for s in segments if depth[s.org_unit_id] == nearest]
    for segment in own:
        while segment.next_value <= segment.end:
            number = segment.format(segment.next_value)
            segment.next_value += 1
            if not Customer.objects.filter(key_number=number).exists():
                segment.save(update_fields=["next_value"])
                return number
        segment.save(update_fields=["next_value"])
    raise ValidationError({"key_number": _(
        "The number segment of %(unit)s is used up: ask for a new segment or assign the number by hand."
    ) % {"unit": own[0].org_unit.name}})


# --- registration (客户注册申报 / 审批) ------------------------------------------------------------


def _applicant_city(user: Any) -> OrgUnit:
    city = selectors.region_of(getattr(user, "org_unit", None), OrgLevel.CITY)
    if city is None:
        raise ValidationError({"city": _("Your organisation unit lies in no city: you cannot register customers.")})
    return city


def _first_stage(unit: OrgUnit) -> tuple[str, OrgUnit | None]:
    """Where an application starts: a bureau's → bureau pre-review, a county's → county
    pre-review, the city's own → city first review (R-CUST-4)."""
    bureau = selectors.bureau_of(unit)
    if bureau is not None:
        return Stage.BUREAU_REVIEW, bureau
    if selectors.region_of(unit, OrgLevel.COUNTY) is not None:
        return Stage.COUNTY_REVIEW, None
    return Stage.CITY_REVIEW, None


def _process_data(registration: Registration) -> dict[str, Any]:
    bureau = registration.bureau
    if bureau is not None:
        source = "bureau"
    elif selectors.region_of(registration.applicant_unit, OrgLevel.COUNTY) is not None:
        source = "county"
    else:
        source = "city"
    return {
        "source": source, "business_line": bureau.business_line.code if bureau and bureau.business_line_id else "",
        "applicant_unit": registration.applicant_unit_id, "city": registration.city_id,
        "registration": registration.pk, "new_customer": registration.customer_id is None,
    }


def _ensure_definition(code: str) -> None:
    from kam.processes.loader import load_shipped_definitions
    from kam.processes.models import ProcessDefinition

    if not ProcessDefinition.objects.filter(code=code).exists():
        load_shipped_definitions()


def _start_review(user: Any, registration: Registration) -> Registration:
    """Start the approval process of one round of ``registration`` (submit or re-apply)."""
    from kam.processes import services as process_services

    _ensure_definition(REGISTRATION_PROCESS)
    instance = process_services.instance_start(
        user=user, definition_code=REGISTRATION_PROCESS, business_key=f"{REGISTRATION_PROCESS}:{registration.pk}",
        data=_process_data(registration), title=registration.name, require_module=False,
        snapshot={"name": registration.name, "customer": registration.customer_id,
                  "customer_data": registration.customer_data, "relationship_data": registration.relationship_data})
    registration.refresh_from_db()
    registration.process = instance
    registration.save(update_fields=["process"])
    return registration


def registrations_resume_reviews(*, dry_run: bool = False) -> list[int]:
    """Open applications without an approval process (made before the review ran on the process
    engine) start their review again on it, from the first stage of the applicant's unit, each
    in its own transaction and with a log entry. Returns the ids (with ``dry_run`` only lists them)."""
    ids = list(Registration.objects.filter(stage__in=OPEN_STAGES, process__isnull=True)
               .order_by("pk").values_list("pk", flat=True))
    if dry_run:
        return ids
    for pk in ids:
        with transaction.atomic():
            registration = Registration.objects.select_for_update().get(pk=pk)
            if registration.process_id is not None or registration.stage not in OPEN_STAGES:
                continue
            registration.stage, _bureau = _first_stage(registration.applicant_unit)
            registration.save(update_fields=["stage"])
            _log(registration, registration.applicant, ReviewAction.Kind.SUBMIT,
                 opinion=_("The review started again on the process engine."))
            _start_review(registration.applicant, registration)
    return ids


def _log(registration: Registration, user: Any, action: str, opinion: str = "", stage: str | None = None) -> None:
    ReviewAction.objects.create(registration=registration, stage=stage or registration.stage, action=action,
                                opinion=opinion, actor=user, at=clock.now())


def _prepare(user: Any, *, customer: Customer | None, customer_data: Mapping[str, Any] | None,
             relationship_data: Mapping[str, Any]) -> tuple[OrgUnit, dict[str, Any], dict[str, Any]]:
    city = _applicant_city(user)
    errors: dict[str, list[str]] = {}
    cdata: dict[str, Any] = {}
    if customer is not None:
        if customer.city_id != city.pk:
            _add(errors, "customer", _("The customer lies in another city: register only in your own city."))
        cdata = _customer_snapshot(customer)
    else:
        data = dict(customer_data or {})
        if data.get("city") not in (None, "") and str(getattr(data["city"], "pk", data["city"])) != str(city.pk):
            _add(errors, "city", _("The city is fixed to your own: registering in another city is not allowed."))
        try:
            clean = clean_customer_data(data, city=city)
            cdata = {**clean, "county": clean["county"].pk if clean["county"] else None}
        except ValidationError as exc:
            for field, msgs in exc.message_dict.items():
                errors.setdefault(field, []).extend(msgs)
    try:
        rdata = _relationship_json(clean_relationship_data(relationship_data, city=city, customer=customer,
                                                           user=user))
    except ValidationError as exc:
        for field, msgs in exc.message_dict.items():
            errors.setdefault(field, []).extend(msgs)
        rdata = {}
    _raise(errors)
    return city, cdata, rdata


@transaction.atomic
def registration_submit(*, user: Any, relationship_data: Mapping[str, Any], customer: Customer | None = None,
                        customer_data: Mapping[str, Any] | None = None) -> Registration:
    """客户注册申报: a new customer (``customer_data``) or a known one (``customer``, its basic
    information read-only), with the business relationship to register."""
    _require(user, REGISTRATION_MODULE)
    city, cdata, rdata = _prepare(user, customer=customer, customer_data=customer_data,
                                  relationship_data=relationship_data)
    stage, bureau = _first_stage(user.org_unit)
    registration = Registration.objects.create(
        applicant=user, applicant_unit=user.org_unit, city=city, bureau=bureau, customer=customer,
        name=cdata["name"], industry=cdata.get("industry", ""), customer_data=cdata, relationship_data=rdata,
        stage=stage, submitted_at=clock.now(), created_at=clock.now(),
    )
    registration.business_lines.set(rdata["business_lines"])
    _log(registration, user, ReviewAction.Kind.SUBMIT)
    check_in_scope(user, registration, "change")
    return _start_review(user, registration)


def _lock(registration: Registration) -> Registration:
    return Registration.objects.select_for_update().get(pk=registration.pk)


def _check_action(user: Any, registration: Registration, action: str):
    """The user's open task in the application's process, when ``action`` is theirs to take now."""
    if action not in selectors.allowed_actions(user, registration):
        raise PermissionDenied(_("You may not take this action on the application at the stage “%(stage)s”.")
                               % {"stage": registration.get_stage_display()})
    return selectors.review_task(user, registration)


def _complete(user: Any, registration: Registration, task, action: str, opinion: str) -> Registration:
    from kam.processes import services as process_services

    process_services.task_complete(user=user, task=task, action=action, opinion=opinion)
    registration.refresh_from_db()
    return registration


@transaction.atomic
def registration_approve(*, user: Any, registration: Registration, opinion: str = "") -> Registration:
    """Pass the current stage: pre-review → first review → final review → approved. Final approval
    creates (or completes) the customer, issues or reuses its number and adds the relationship
    (in :func:`on_process_ended`, inside the same transaction: an error there undoes the approval)."""
    registration = _lock(registration)
    task = _check_action(user, registration, "approve")
    return _complete(user, registration, task, "approve", (opinion or "").strip())


def _finalise(registration: Registration) -> None:
    cdata = dict(registration.customer_data)
    rdata = dict(registration.relationship_data)
    if registration.customer_id:
        customer = Customer.objects.select_for_update().get(pk=registration.customer_id)
    else:
        city = registration.city
        clean = clean_customer_data(cdata, city=city)
        customer = Customer(city=city, org_unit=registration.applicant_unit, created_by=registration.applicant,
                            created_at=clock.now(), **clean)
        customer.name_key = selectors.normalise_name(customer.name)
    if not customer.key_number:  # an existing customer's number is reused
        if registration.key_number:
            customer.key_number = _check_key_number(registration.key_number, exclude_pk=customer.pk)
        else:
            customer.key_number = number_issue(unit=registration.applicant_unit)
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError as exc:
        raise ValidationError({"key_number": _("The key-customer number %(number)s is already used.")
                               % {"number": customer.key_number}}) from exc
    registration.key_number = customer.key_number
    registration.customer = customer
    contact = None
    if rdata.get("contact"):
        contact = Contact.objects.filter(pk=rdata["contact"], customer=customer).first()
    if contact is None and rdata.get("contact_name"):
        typed = {f: rdata.get(f"contact_{f}", "") for f in CONTACT_FIELDS}
        contact = Contact.objects.create(customer=customer, **typed)
    clean = clean_relationship_data({**rdata, "contact": contact}, city=registration.city, customer=customer)
    _create_relationship(customer, clean)


@transaction.atomic
def registration_take(*, user: Any, registration: Registration, opinion: str = "") -> Registration:
    """市局初审 takes an application at pre-review straight into first review (its pre-review task
    is completed by the city reviewer)."""
    registration = _lock(registration)
    task = _check_action(user, registration, "take")
    return _complete(user, registration, task, "approve", (opinion or "").strip())


@transaction.atomic
def registration_reject(*, user: Any, registration: Registration, reason: str,
                        failed: bool = False) -> Registration:
    """驳回 (the applicant may re-apply) or 开发失败 (closed for good), at any stage, with a reason.
    The process ends as rejected; :func:`on_process_ended` closes the application."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the rejection.")})
    registration = _lock(registration)
    task = _check_action(user, registration, "fail" if failed else "reject")
    if failed:  # read by on_process_ended
        registration.outcome = Outcome.FAILED
        registration.save(update_fields=["outcome"])
    return _complete(user, registration, task, "reject", reason)


@transaction.atomic
def registration_withdraw(*, user: Any, registration: Registration, opinion: str = "") -> Registration:
    """撤回: the applicant takes back an application under review; it may be re-applied."""
    from kam.processes import services as process_services
    from kam.processes.models import ProcessInstance

    registration = _lock(registration)
    _check_applicant(user, registration)
    if not registration.is_open or registration.process_id is None:
        raise ValidationError({"stage": _("The application is closed: it can no longer be withdrawn.")})
    instance = process_services.instance_withdraw(
        user=user, instance=ProcessInstance.objects.get(pk=registration.process_id), opinion=(opinion or "").strip())
    registration.refresh_from_db()
    _log_events(registration, instance)  # the 撤回 event is recorded after the process ended
    return registration


@transaction.atomic
def registration_assign_number(*, user: Any, registration: Registration, key_number: str) -> Registration:
    """The city key-account department assigns the number by hand (used at final approval)."""
    registration = _lock(registration)
    _check_action(user, registration, "assign_number")
    if registration.customer_id and registration.customer.key_number:
        raise ValidationError({"key_number": _(
            "The customer already has the key-customer number %(number)s: it is reused."
        ) % {"number": registration.customer.key_number}})
    number = _check_key_number(key_number)
    if Registration.objects.filter(key_number=number, stage__in=(Stage.CITY_REVIEW, Stage.FINAL_REVIEW)).exclude(
            pk=registration.pk).exists():
        raise ValidationError({"key_number": _("The key-customer number %(number)s is already used.")
                               % {"number": number}})
    registration.key_number = number
    registration.number_assigned_by_hand = True
    registration.save()
    _log(registration, user, ReviewAction.Kind.ASSIGN_NUMBER, number)
    return registration


def _check_applicant(user: Any, registration: Registration) -> None:
    if registration.applicant_id != user.pk:
        raise PermissionDenied(_("Only the applicant may change the application."))
    check_in_scope(user, registration, "change")


@transaction.atomic
def registration_update(*, user: Any, registration: Registration, customer_data: Mapping[str, Any]) -> Registration:
    """客户注册维护: the applicant edits basic information entered by hand, while not yet approved."""
    registration = _lock(registration)
    _check_applicant(user, registration)
    if not registration.is_open:
        raise ValidationError({"stage": _("The application is closed: it can no longer be edited.")})
    if not registration.is_new_customer:
        raise ValidationError({"customer": _(
            "The customer is already registered: change its basic information in customer information maintenance.")})
    clean = clean_customer_data({**registration.customer_data, **customer_data}, city=registration.city)
    registration.customer_data = {**clean, "county": clean["county"].pk if clean["county"] else None}
    registration.name = clean["name"]
    registration.industry = clean["industry"]
    registration.save()
    _log(registration, user, ReviewAction.Kind.EDIT)
    return registration


@transaction.atomic
def registration_reapply(*, user: Any, registration: Registration, relationship_data: Mapping[str, Any],
                         customer_data: Mapping[str, Any] | None = None) -> Registration:
    """重新申请 after 驳回: the edited customer and relationship data, submitted at once; the
    application starts again at its first stage."""
    registration = _lock(registration)
    _check_applicant(user, registration)
    if not registration.can_reapply:
        raise ValidationError({"stage": _("Only a rejected application can be re-applied.")})
    customer = registration.customer
    data = {**registration.customer_data, **(customer_data or {})} if customer is None else None
    city, cdata, rdata = _prepare(user, customer=customer, customer_data=data, relationship_data=relationship_data)
    stage, bureau = _first_stage(registration.applicant_unit)
    registration.customer_data = cdata
    registration.relationship_data = rdata
    registration.name = cdata["name"]
    registration.industry = cdata.get("industry", "")
    registration.stage, registration.bureau, registration.outcome = stage, bureau, ""
    registration.decided_at = None
    registration.key_number = ""
    registration.number_assigned_by_hand = False
    registration.submitted_at = clock.now()
    registration.process = None
    registration.save()
    registration.business_lines.set(rdata["business_lines"])
    _log(registration, user, ReviewAction.Kind.REAPPLY)
    return _start_review(user, registration)


# --- data-access requests (R-CUST-5) -----------------------------------------------------------

CONTENT_COVERS = {
    AccessContent.ALL: {AccessContent.ALL, AccessContent.BASIC, AccessContent.BUSINESS},
    AccessContent.BASIC: {AccessContent.BASIC},
    AccessContent.BUSINESS: {AccessContent.BUSINESS},
}


@transaction.atomic
def access_request_create(*, user: Any, customer: Customer, content: str, reason: str) -> AccessRequest:
    """客户资料调取申请: ask to see a customer outside one's scope."""
    _require(user, ACCESS_MODULE)
    errors: dict[str, list[str]] = {}
    if content not in AccessContent.values:
        _add(errors, "content", _("Choose basic, business or all information."))
    if not (reason or "").strip():
        _add(errors, "reason", _("Give the reason for the request."))
    _raise(errors)
    if content == AccessContent.BASIC and Customer.objects.restrict(user, "view").filter(pk=customer.pk).exists():
        raise ValidationError({"customer": _("You can already see this customer.")})
    if AccessRequest.objects.filter(applicant=user, customer=customer, status=AccessStatus.PENDING).exists():
        raise ValidationError({"customer": _("A request for this customer is already waiting for approval.")})
    request = AccessRequest.objects.create(customer=customer, applicant=user, content=content,
                                           reason=reason.strip(), requested_at=clock.now())
    return _start_access_review(user, request)


def _start_access_review(user: Any, request: AccessRequest) -> AccessRequest:
    from kam.processes import services as process_services

    _ensure_definition(ACCESS_PROCESS)
    instance = process_services.instance_start(
        user=user, definition_code=ACCESS_PROCESS, business_key=f"{ACCESS_PROCESS}:{request.pk}",
        data={"content": request.content, "customer": request.customer_id, "request": request.pk},
        snapshot={"content": request.content, "reason": request.reason, "customer": request.customer_id},
        title=f"{request.customer.name} · {request.get_content_display()}", require_module=False)
    request.process = instance
    request.save(update_fields=["process"])
    return request


def _check_approver(user: Any, request: AccessRequest):
    """Lock the request; the user's open task in its approval process."""
    request = AccessRequest.objects.select_for_update().get(pk=request.pk)
    if request.applicant_id == user.pk:
        raise PermissionDenied(_("You cannot approve your own request."))
    if request.status != AccessStatus.PENDING:
        raise ValidationError({"status": _("The request has already been decided.")})
    task = selectors.access_review_task(user, request)
    if task is None:
        raise PermissionDenied(_("You may not decide this request."))
    return request, task


@transaction.atomic
def access_request_approve(*, user: Any, request: AccessRequest, granted_content: str | None = None,
                           expires_at: dt.datetime | None = None, opinion: str = "") -> AccessRequest:
    """Approve, granting the content asked for or less (asked all, granted basic); the grant is
    made when the approval process ends (:func:`on_process_ended`)."""
    from kam.processes import services as process_services

    request, task = _check_approver(user, request)
    granted = granted_content or request.content
    if granted not in CONTENT_COVERS[AccessContent(request.content)]:
        raise ValidationError({"granted_content": _("You may grant the content asked for or less, not more.")})
    if expires_at is not None and expires_at <= clock.now():
        raise ValidationError({"expires_at": _("The end of the access must lie in the future.")})
    request.granted_content = granted
    request.expires_at = expires_at
    request.save(update_fields=["granted_content", "expires_at"])
    process_services.task_complete(user=user, task=task, action="approve", opinion=(opinion or "").strip())
    request.refresh_from_db()
    return request


@transaction.atomic
def access_request_reject(*, user: Any, request: AccessRequest, opinion: str) -> AccessRequest:
    from kam.processes import services as process_services

    if not (opinion or "").strip():
        raise ValidationError({"opinion": _("Give the reason for the rejection.")})
    request, task = _check_approver(user, request)
    process_services.task_complete(user=user, task=task, action="reject", opinion=opinion.strip())
    request.refresh_from_db()
    return request


# --- following the approval processes ---------------------------------------------------------


def _business_record(instance: Any, code: str, model):
    prefix = f"{code}:"
    if not instance.business_key.startswith(prefix) or not instance.business_key[len(prefix):].isdigit():
        return None
    record = model.objects.select_for_update().filter(pk=int(instance.business_key[len(prefix):])).first()
    if record is None or record.process_id not in (None, instance.pk):
        return None  # an earlier round's instance
    return record


def _log_events(registration: Registration, instance: Any) -> None:
    """The review history of the application from the process's events (one row per event)."""
    from kam.processes.models import EventAction, HumanTask, TaskEvent

    kinds = {EventAction.APPROVE: ReviewAction.Kind.APPROVE, EventAction.REJECT: ReviewAction.Kind.REJECT,
             EventAction.SEND_BACK: ReviewAction.Kind.SEND_BACK, EventAction.WITHDRAW: ReviewAction.Kind.WITHDRAW}
    logged = ReviewAction.objects.filter(registration=registration, event__isnull=False).values("event_id")
    events = (TaskEvent.objects.filter(instance=instance, action__in=list(kinds), actor__isnull=False)
              .exclude(pk__in=logged).select_related("actor", "task").order_by("at", "pk"))
    for event in events:
        kind = kinds[event.action]
        if kind == ReviewAction.Kind.APPROVE and event.task is not None and selectors.is_taker(
                event.actor, HumanTask.objects.select_related("instance__version", "instance__starter").get(
                    pk=event.task_id)):
            kind = ReviewAction.Kind.TAKE
        elif kind == ReviewAction.Kind.REJECT and registration.outcome == Outcome.FAILED:
            kind = ReviewAction.Kind.FAIL
        stage = event.node_id if event.node_id in Stage.values else registration.stage
        ReviewAction.objects.create(registration=registration, stage=stage, action=kind, opinion=event.opinion,
                                    actor=event.actor, at=event.at, event=event)


def on_process_advanced(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A registration's process moved: its stage follows the process's current step."""
    registration = _business_record(instance, REGISTRATION_PROCESS, Registration)
    if registration is None:
        return
    _log_events(registration, instance)
    stage = next((n for n in instance.current_nodes if n in OPEN_STAGES), None)
    if stage and registration.stage != stage:
        registration.stage = stage
        registration.save(update_fields=["stage"])


def on_process_ended(sender: Any, instance: Any, status: str, **kwargs: Any) -> None:
    """A registration's or a data-access request's process ended: apply the business effect."""
    from kam.processes.models import InstanceStatus

    registration = _business_record(instance, REGISTRATION_PROCESS, Registration)
    if registration is not None:
        _log_events(registration, instance)
        if status == InstanceStatus.COMPLETED:
            _finalise(registration)  # creates the customer, issues or reuses the number (R-CUST-2)
            registration.stage = Stage.APPROVED
        else:  # rejected, withdrawn or cancelled: closed; 驳回 / 撤回 may be re-applied
            registration.stage = Stage.REJECTED
            if status != InstanceStatus.REJECTED:
                registration.outcome = Outcome.WITHDRAWN
            elif registration.outcome != Outcome.FAILED:
                registration.outcome = Outcome.REJECTED
        registration.decided_at = clock.now()
        registration.save()
        return
    request = _business_record(instance, ACCESS_PROCESS, AccessRequest)
    if request is None or request.status != AccessStatus.PENDING:
        return
    _decide_access(request, instance, status)


def _decide_access(request: AccessRequest, instance: Any, status: str) -> None:
    from kam.processes.models import EventAction, InstanceStatus, TaskEvent

    decision = (TaskEvent.objects.filter(instance=instance, action__in=(EventAction.APPROVE, EventAction.REJECT))
                .order_by("-at", "-pk").first())
    request.approver = decision.actor if decision else None
    request.opinion = decision.opinion if decision else ""
    request.decided_at = clock.now()
    if status == InstanceStatus.COMPLETED:
        request.status = AccessStatus.APPROVED
        request.granted_content = request.granted_content or request.content
        request.save()
        AccessGrant.objects.create(request=request, user=request.applicant, customer=request.customer,
                                   content=request.granted_content, expires_at=request.expires_at,
                                   created_at=clock.now())
    else:
        request.status = AccessStatus.REJECTED
        request.granted_content, request.expires_at = "", None
        request.save()
