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
    REVIEW_MODULE,
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

NOTHING = Q(pk__in=[])


def _role_qs(user: Any) -> dict[str, Q]:
    """Per review role of the user, the applications its org covers (R-CUST-4):

    - ``county``: 区县预审 of applications from inside the reviewer's county;
    - ``bureau``: 市局专业局预审 of applications of the bureaus of the reviewer's business line in
      the reviewer's city;
    - ``city_pre`` / ``city``: the reviewer's city — pre-review stages (to take them straight
      into first review) and first / final review;
    - ``province``: final review of the cities below the reviewer's province.
    """
    cached = getattr(user, "_kam_review_qs", None)
    if cached is not None:
        return cached
    qs = {k: NOTHING for k in ("county", "bureau", "city_pre", "city", "province")}
    if user.is_superuser:
        qs.update(county=Q(stage=Stage.COUNTY_REVIEW), bureau=Q(stage=Stage.BUREAU_REVIEW),
                  city_pre=Q(stage__in=PRE_REVIEW_STAGES),
                  city=Q(stage__in=(Stage.CITY_REVIEW, Stage.FINAL_REVIEW)))
    elif has_perm(user, REVIEW_MODULE, "change"):
        roles = role_codes(user)
        unit = user.org_unit
        if "reviewer_county" in roles and (county := region_of(unit, OrgLevel.COUNTY)) is not None:
            qs["county"] = Q(stage=Stage.COUNTY_REVIEW, applicant_unit__path__startswith=county.path)
        if "reviewer_bureau" in roles and (bureau := bureau_of(unit)) is not None:
            qs["bureau"] = Q(stage=Stage.BUREAU_REVIEW, bureau__business_line_id=bureau.business_line_id,
                             city=region_of(bureau, OrgLevel.CITY))
        if "reviewer_city" in roles and (city := region_of(unit, OrgLevel.CITY)) is not None:
            qs["city_pre"] = Q(stage__in=PRE_REVIEW_STAGES, city=city)
            qs["city"] = Q(stage__in=(Stage.CITY_REVIEW, Stage.FINAL_REVIEW), city=city)
        if "reviewer_province" in roles and (province := region_of(unit, OrgLevel.PROVINCE)) is not None:
            qs["province"] = Q(stage=Stage.FINAL_REVIEW, city__path__startswith=province.path)
    user._kam_review_qs = qs
    return qs


def action_q(user: Any, action: str) -> Q:
    """Applications on which ``user`` may perform the review ``action`` (R-CUST-4)."""
    r = _role_qs(user)
    approve = r["county"] | r["bureau"] | r["city"] | r["province"]
    if action == "approve":
        return approve
    if action == "take":  # 市局初审 takes an application straight, skipping pre-review
        return r["city_pre"]
    if action in ("reject", "fail"):  # any stage the user acts at may refuse
        return approve | r["city_pre"]
    if action == "assign_number":  # the city key-account department assigns by hand
        return r["city"]
    return NOTHING


def review_q(user: Any) -> Q:
    """Every open application the user may act on in some way."""
    return action_q(user, "approve") | action_q(user, "reject") | action_q(user, "take")


def allowed_actions(user: Any, registration: Registration) -> list[str]:
    """The review actions ``user`` may take on ``registration`` now, in display order."""
    found = []
    for name in ("approve", "take", "assign_number", "reject", "fail"):
        if Registration.objects.filter(pk=registration.pk).filter(action_q(user, name)).exists():
            found.append(name)
    return found


@dataclass
class StageCount:
    stage: str
    label: str
    count: int


def review_counts(user: Any) -> list[StageCount]:
    """The review entry page: applications pending per stage that the user may act on."""
    rows = dict(
        Registration.objects.reviewable_by(user).values_list("stage").annotate(n=Count("pk")).order_by()
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


def access_review_q(user: Any) -> Q:
    """Data-access requests ``user`` may decide: the key-account centres decide for the applicants
    of their city (市大客户中心) or province (省大客户中心); administrators for all."""
    from .models import ACCESS_REVIEW_MODULE, AccessStatus

    pending = Q(status=AccessStatus.PENDING) & ~Q(applicant_id=user.pk)
    if user.is_superuser:
        return pending
    if not has_perm(user, ACCESS_REVIEW_MODULE, "change"):
        return NOTHING
    roles = role_codes(user)
    if "admin" in roles:
        return pending
    q = NOTHING
    for role, level in (("reviewer_city", OrgLevel.CITY), ("reviewer_province", OrgLevel.PROVINCE)):
        if role in roles and (region := region_of(user.org_unit, level)) is not None:
            q |= Q(applicant__org_unit__path__startswith=region.path)
    return pending & q


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
