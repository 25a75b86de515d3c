"""Reads of the customers app: who may review what (R-CUST-4), the registration lookup, fuzzy
duplicate detection and the counts of the review entry page."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from django.db.models import Count, Q

from kam.org.models import OrgKind, OrgLevel, OrgUnit
from kam.org.permissions import has_perm

from .models import (
    OPEN_STAGES,
    PRE_REVIEW_STAGES,
    REGISTRATION_MODULE,
    Customer,
    Registration,
    Stage,
)

# --- org helpers -------------------------------------------------------------------------------


def region_of(unit: OrgUnit | None, level: str) -> OrgUnit | None:
    """The region node at ``level`` above (or at) ``unit``."""
    return unit.region_unit(level) if unit is not None else None


def bureau_of(unit: OrgUnit | None) -> OrgUnit | None:
    """The city business-line bureau (市局专业局) ``unit`` belongs to: the nearest department
    bound to a business line, not inside a county."""
    if unit is None or region_of(unit, OrgLevel.COUNTY) is not None:
        return None
    for u in unit.ancestors().order_by("-depth"):
        if u.kind == OrgKind.DEPARTMENT and u.business_line_id:
            return u
    return None


def role_codes(user: Any) -> set[str]:
    cached = getattr(user, "_kam_role_codes", None)
    if cached is None:
        cached = set(user.roles.filter(enabled=True).values_list("code", flat=True)) if user.pk else set()
        user._kam_role_codes = cached
    return cached


# --- R-CUST-4: who acts at which stage --------------------------------------------------------
#
# The review runs on the process engine (definition ``customer_registration``): the node
# configuration resolves each stage's reviewers from their role and org relative to the applicant
# (区县预审: the county's reviewers; 市局专业局预审: the city's reviewers of the application's own
# business line; the city's reviewers may also take a pre-review application straight; 市局初审:
# the city's reviewers; 终审: the city's or the province's). A reviewer acts on an application
# exactly when they hold an open task in its process.

NOTHING = Q(pk__in=[])


def _user_tasks(user: Any, open_only: bool = True, node: str | None = None):
    from kam.processes.models import OPEN_TASK_STATUSES, HumanTask, TaskStatus

    qs = HumanTask.objects.filter(assignee_id=getattr(user, "pk", None))
    qs = qs.filter(status__in=OPEN_TASK_STATUSES) if open_only else qs.exclude(status=TaskStatus.CANCELLED)
    return qs.filter(node_id=node) if node else qs


def review_q(user: Any, *, open_only: bool = True, stage: str | None = None) -> Q:
    """Applications whose current approval process gives ``user`` an open task (``open_only``) or
    any task they did not lose to another reviewer (to read what they reviewed), at ``stage``."""
    if not getattr(user, "is_authenticated", False):
        return NOTHING
    return Q(process_id__in=_user_tasks(user, open_only, stage).values("instance_id"))


def review_task(user: Any, registration: Registration):
    """The user's open task in the application's approval process, if any."""
    if registration.process_id is None or not getattr(user, "is_authenticated", False):
        return None
    return _user_tasks(user).filter(instance_id=registration.process_id).select_related("instance__version").order_by(
        "pk").first()


def is_taker(user: Any, task) -> bool:
    """At a pre-review step: ``user`` holds the task as a city reviewer who takes the application
    straight into first review (the step's approver is ``any_of`` [pre-reviewers, takers…]), not as
    a pre-reviewer."""
    from kam.processes import assignees
    from kam.processes.services import node_config

    if task.node_id not in PRE_REVIEW_STAGES:
        return False
    spec = node_config(task.instance, task.node_id).get("approver") or {}
    if spec.get("kind") != "any_of" or len(spec.get("of") or []) < 2:
        return False
    instance = task.instance
    pre = assignees.resolve(spec["of"][0], base=instance.starter, node_id=task.node_id, data=instance.data)
    if any(u.pk == user.pk for u in pre):
        return False
    takers = assignees.resolve({"kind": "any_of", "of": spec["of"][1:]}, base=instance.starter,
                               node_id=task.node_id, data=instance.data)
    return any(u.pk == user.pk for u in takers)


def allowed_actions(user: Any, registration: Registration) -> list[str]:
    """The review actions ``user`` may take on ``registration`` now, in display order (R-CUST-4)."""
    task = review_task(user, registration) if registration.is_open else None
    if task is None:
        return []
    if task.node_id in PRE_REVIEW_STAGES:
        found = ["take" if is_taker(user, task) else "approve"]
    else:
        found = ["approve"]
        if "reviewer_city" in role_codes(user) or user.is_superuser:  # the city assigns numbers by hand
            found.append("assign_number")
    return [*found, "reject", "fail"]


@dataclass
class StageCount:
    stage: str
    label: str
    count: int


def review_counts(user: Any) -> list[StageCount]:
    """The review entry page: the user's open registration tasks per stage (pending pre-review,
    pre-review passed = first review, first review passed = final review)."""
    from .models import REGISTRATION_PROCESS

    rows = dict(
        _user_tasks(user).filter(instance__version__definition__code=REGISTRATION_PROCESS)
        .values_list("node_id").annotate(n=Count("pk")).order_by()
    )
    return [StageCount(s.value, str(s.label), rows.get(s.value, 0)) for s in Stage if s in OPEN_STAGES]


# --- names and duplicates ----------------------------------------------------------------------

COMPANY_SUFFIXES = (
    "股份有限公司", "有限责任公司", "有限公司", "集团有限公司", "集团公司", "总公司", "分公司", "公司",
    "办事处", "co ltd", "coltd", "ltd", "limited", "inc", "corp",
)
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalise_name(name: str) -> str:
    """A customer name for comparison: full-width folded, lower case, without punctuation,
    whitespace and common company suffixes (有限公司, 股份有限公司 …)."""
    text = unicodedata.normalize("NFKC", name or "").lower()
    text = _NON_WORD.sub("", text)
    changed = True
    while changed and text:
        changed = False
        for suffix in COMPANY_SUFFIXES:
            s = suffix.replace(" ", "")
            if text.endswith(s) and len(text) > len(s):
                text = text[: -len(s)]
                changed = True
    return text


def name_similarity(a: str, b: str) -> float:
    ka, kb = normalise_name(a), normalise_name(b)
    if not ka or not kb:
        return 0.0
    return SequenceMatcher(None, ka, kb).ratio()


SIMILARITY_THRESHOLD = 0.8


def _prefix_q(field: str, prefix: str) -> Q:
    """``field`` begins with ``prefix``. On SQLite a range over the index (its LIKE is
    case-insensitive and skips the index); elsewhere ``startswith``, whose meaning does not
    depend on the collation's order."""
    from django.db import connection

    if connection.vendor == "sqlite":
        return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix + "\U0010ffff"})
    return Q(**{f"{field}__startswith": prefix})


@dataclass
class Duplicate:
    customer: Customer
    ratio: float


def similar_customers(name: str, *, exclude_pk: int | None = None, limit: int = 10,
                      threshold: float = SIMILARITY_THRESHOLD, city: OrgUnit | None = None) -> list[Duplicate]:
    """Customers whose name is the same or very close to ``name`` (after normalising), best first.

    Candidates are found through the indexed normalised name (same key, or sharing its first
    characters) and then scored with a similarity ratio, so it stays fast with many customers.
    ``city`` limits the search to one city's customers (the registration lookups, R-CUST-3).
    """
    key = normalise_name(name)
    if len(key) < 2:
        return []
    candidates: dict[int, Customer] = {}
    base = Customer.objects.select_related("city", "county")
    if exclude_pk:
        base = base.exclude(pk=exclude_pk)
    if city is not None:
        base = base.filter(city=city)
    # Index range scans only (no LIKE '%…%'): the same key, then ever shorter shared beginnings.
    for c in base.filter(name_key=key)[:50]:
        candidates[c.pk] = c
    for length in sorted({len(key), min(len(key), 8), min(len(key), 4)}, reverse=True):
        head = key[:length]
        for c in base.filter(_prefix_q("name_key", head))[:200]:
            candidates.setdefault(c.pk, c)
    found = []
    for c in candidates.values():
        ratio = 1.0 if c.name_key == key else SequenceMatcher(None, key, c.name_key).ratio()
        if ratio >= threshold:
            found.append(Duplicate(c, round(ratio, 2)))
    found.sort(key=lambda d: (-d.ratio, d.customer.name))
    return found[:limit]


def registration_lookup(user: Any, text: str, limit: int = 20) -> list[Customer]:
    """客户注册申报 "查询目标客户": the customers of the applicant's city matching ``text``.

    The point of the lookup is to tell whether a customer is already known, so it reaches beyond
    the user's data scope — within their own city (R-CUST-3) and showing only the name, region,
    level and key-customer number.
    """
    text = (text or "").strip()
    city = region_of(getattr(user, "org_unit", None), OrgLevel.CITY)
    if not text or city is None or not has_perm(user, REGISTRATION_MODULE, "change"):
        return []
    key = normalise_name(text)
    base = Customer.objects.filter(city=city).select_related("city", "county")
    found: dict[int, Customer] = {}
    if key:  # names beginning with the text: an index range scan
        for c in base.filter(_prefix_q("name_key", key)).order_by("name_key")[:limit]:
            found[c.pk] = c
    if len(found) < limit:  # names containing it, within the city, stopping at the limit
        for c in base.filter(Q(name__icontains=text) | Q(short_name__icontains=text)).order_by()[:limit]:
            found.setdefault(c.pk, c)
    return sorted(found.values(), key=lambda c: c.name)[:limit]


def access_review_q(user: Any, *, open_only: bool = True) -> Q:
    """Data-access requests ``user`` decides: an open task in their approval process (definition
    ``data_access``: the key-account centres of the applicant's city or province); with
    ``open_only=False`` also those they had a task in."""
    if not getattr(user, "is_authenticated", False):
        return NOTHING
    return Q(process_id__in=_user_tasks(user, open_only).values("instance_id"))


def access_review_task(user: Any, request: Any):
    """The user's open task in the data-access request's approval process, if any."""
    if request.process_id is None or not getattr(user, "is_authenticated", False):
        return None
    return _user_tasks(user).filter(instance_id=request.process_id).order_by("pk").first()


def registration_candidates(user: Any, text: str, limit: int = 20) -> list[tuple[Customer, float | None]]:
    """The lookup of 客户注册申报: near duplicates of ``text`` (with their similarity) and the
    customers whose name contains it, within the applicant's city."""
    matches = registration_lookup(user, text, limit)
    if not matches and len(normalise_name(text)) < 2:
        return []
    city = region_of(getattr(user, "org_unit", None), OrgLevel.CITY)
    found: dict[int, tuple[Customer, float | None]] = {}
    if city is not None and has_perm(user, REGISTRATION_MODULE, "change"):
        for d in similar_customers(text, limit=limit, city=city):
            found[d.customer.pk] = (d.customer, d.ratio)
    for c in matches:
        found.setdefault(c.pk, (c, None))
    return list(found.values())[:limit]


def dnd_customer_ids(customer_ids: list[int]) -> set[int]:
    """The customers among ``customer_ids`` inside a do-not-disturb window now (免打扰, from the
    work app when it is installed): lists and the 360 view show a badge."""
    from django.apps import apps

    if not customer_ids or not apps.is_installed("kam.work"):
        return set()
    from kam.work import selectors as work_selectors

    find = getattr(work_selectors, "dnd_customer_ids", None)
    return set(find(customer_ids)) if find is not None else set()
