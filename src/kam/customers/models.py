"""客户管理: customers, contacts, business relationships, number segments, registrations with
their review history, and data-access requests.

Scope (R-PERM-1, R-PERM-3): a customer is seen by the units above its owning unit
(``org_unit``) and by the account managers bound to it through a business relationship
(``relationships__manager``); an approved data-access request adds the customer for "view"
(R-CUST-5, see :class:`CustomerQuerySet`). Relationships and contacts follow their customer.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kam.core import clock
from kam.core.querysets import RestrictedQuerySet, ScopeSpec
from kam.org.models import BusinessLine, OrgUnit

MODULE = "customers"
REGISTRATION_MODULE = "customer_registrations"
REVIEW_MODULE = "customer_review"
ACCESS_MODULE = "customer_access"
ACCESS_REVIEW_MODULE = "customer_access_review"
SEGMENT_MODULE = "customer_segments"


class AccessContent(models.TextChoices):
    """What a data-access request asks for / grants (客户资料调取: 基本信息 / 业务信息 / 全部信息)."""

    BASIC = "basic", _("Basic information")
    BUSINESS = "business", _("Business information")
    ALL = "all", _("All information")


BASIC_CONTENTS = (AccessContent.BASIC, AccessContent.ALL)
BUSINESS_CONTENTS = (AccessContent.BUSINESS, AccessContent.ALL)


def _granted_customer_ids(user: Any, contents) -> models.QuerySet:
    """Customers the user holds an unexpired access grant for, with one of ``contents``."""
    now = clock.now()
    return (
        AccessGrant.objects.filter(user_id=getattr(user, "pk", None), content__in=contents)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .order_by().values("customer_id")
    )


def customer_scope_ids(user: Any, action: str) -> models.QuerySet | None | Q:
    """The customers ``user`` may ``action``: a ``values("pk")`` queryset, ``None`` for nothing,
    ``Q()`` for everything. The owner lookup joins the relationships, so the scope is applied in a
    subquery on the primary key: one row per customer however many relationships match (R-PERM-3)."""
    from kam.org.permissions import scope_q

    q = scope_q(user, Customer, action)
    if q is None or not q:
        return q
    return Customer.objects.filter(q).order_by().values("pk")


def customer_scope_q(user: Any, action: str, field: str = "pk") -> Q | None:
    """:func:`customer_scope_ids` as a ``Q`` on ``field`` (a customer key)."""
    ids = customer_scope_ids(user, action)
    if ids is None or isinstance(ids, Q):
        return ids
    return Q(**{f"{field}__in": ids})


REVIEWER_ROLES = {"reviewer_county", "reviewer_bureau", "reviewer_city", "reviewer_province"}


def _reviewed_customer_ids(user: Any) -> models.QuerySet | None:
    """The known customers of the applications a reviewer has (had) a task in: approvers read what
    they approve, beyond their data scope (see docs/decisions/0050). ``None`` for non-reviewers."""
    from .selectors import review_q, role_codes

    if not REVIEWER_ROLES & role_codes(user):
        return None
    return (Registration.objects.filter(review_q(user, open_only=False), customer__isnull=False).order_by()
            .values("customer_id"))


def _lookups(q: Q):
    for child in q.children:
        if isinstance(child, Q):
            yield from _lookups(child)
        else:
            yield child[0]


def _prefixed(q: Q, prefix: str) -> Q:
    """``q`` with every lookup put under ``prefix`` (e.g. ``customer__``)."""
    out = Q()
    out.connector, out.negated = q.connector, q.negated
    out.children = [_prefixed(c, prefix) if isinstance(c, Q) else (prefix + c[0], c[1]) for c in q.children]
    return out


def _restrict_q(user: Any, action: str, field: str, contents) -> Q | None:
    """The scope as a ``Q`` on ``field`` (``pk`` or a customer key): the data scope, plus for "view"
    the customers an access grant of ``contents`` opens (R-CUST-5) and those of the applications
    the user reviews.

    A scope through the owner (the relationships' manager, a join) and the extra customer sets
    are one ``IN (… UNION …)`` subquery of customer ids, so the database drives the query from
    those (few) ids; a scope by org unit alone stays a plain condition on the customer row (no
    subquery of a million ids)."""
    from kam.org.permissions import scope_q

    q = scope_q(user, Customer, action)
    if q is not None and not q:  # everything
        return q
    extra = []
    if action == "view" and getattr(user, "is_authenticated", False):
        extra = [p for p in (_granted_customer_ids(user, contents), _reviewed_customer_ids(user)) if p is not None]
    direct = None
    if q is not None:
        owner = Customer.kam_scope.owner.split("__")[0]
        if any(k.split("__")[0] == owner for k in _lookups(q)):
            extra.insert(0, Customer.objects.filter(q).order_by().values("pk"))
        else:
            direct = q if field == "pk" else _prefixed(q, f"{field}__")
    if not extra:
        return direct
    ids = Q(**{f"{field}__in": extra[0].union(*extra[1:]) if len(extra) > 1 else extra[0]})
    return ids if direct is None else direct | ids


class CustomerQuerySet(RestrictedQuerySet):
    def restrict(self, user: Any, action: str = "view") -> CustomerQuerySet:
        """Scope by owning unit and relationship manager; for "view" plus the customers whose basic
        information an approved access request grants (R-CUST-5)."""
        q = _restrict_q(user, action, "pk", BASIC_CONTENTS)
        return self.none() if q is None else self.filter(q)

    def search(self, text: str) -> CustomerQuerySet:
        text = (text or "").strip()
        if not text:
            return self
        return self.filter(Q(name__icontains=text) | Q(short_name__icontains=text) | Q(key_number__icontains=text))


class Customer(models.Model):
    """商务客户."""

    name = models.CharField(_("customer name"), max_length=200, db_index=True)
    name_key = models.CharField(_("normalised name"), max_length=200, db_index=True, editable=False, default="")
    short_name = models.CharField(_("short name"), max_length=100, blank=True)
    industry = models.CharField(_("industry"), max_length=40, blank=True, help_text=_("Dictionary “industry”."))
    level = models.CharField(_("customer level"), max_length=40, blank=True,
                             help_text=_("Dictionary “customer_level”."))
    is_headquarters = models.BooleanField(_("headquarters customer"), default=False)
    city = models.ForeignKey(OrgUnit, verbose_name=_("city"), on_delete=models.PROTECT, related_name="+")
    county = models.ForeignKey(OrgUnit, verbose_name=_("county"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    remarks = models.TextField(_("remarks"), max_length=2000, blank=True)
    status = models.CharField(_("status"), max_length=40, default="active",
                              help_text=_("Dictionary “customer_status”."))
    key_number = models.CharField(_("key-customer number"), max_length=40, null=True, blank=True, unique=True)
    org_unit = models.ForeignKey(OrgUnit, verbose_name=_("owning unit"), on_delete=models.PROTECT,
                                 related_name="customers")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = CustomerQuerySet.as_manager()
    kam_scope = ScopeSpec(module=MODULE, org="org_unit", owner="relationships__manager")

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self) -> str:
        return self.name

    @property
    def level_label(self) -> str:
        from kam.system.selectors import dict_label

        return dict_label("customer_level", self.level)

    @property
    def industry_label(self) -> str:
        from kam.system.selectors import dict_label

        return dict_label("industry", self.industry)

    @property
    def status_label(self) -> str:
        from kam.system.selectors import dict_label

        return dict_label("customer_status", self.status)

    @property
    def region_label(self) -> str:
        return " / ".join(u.name for u in (self.city, self.county) if u is not None)


class FollowCustomerQuerySet(RestrictedQuerySet):
    """Records that belong to a customer are seen with it; access grants of business content add
    them for "view" (R-CUST-5)."""

    def restrict(self, user: Any, action: str = "view"):
        q = _restrict_q(user, action, "customer", BUSINESS_CONTENTS)
        return self.none() if q is None else self.filter(q)


class CustomerMergeQuerySet(RestrictedQuerySet):
    def restrict(self, user: Any, action: str = "view") -> CustomerMergeQuerySet:
        """Seen with the kept customer."""
        return self.filter(kept__in=Customer.objects.restrict(user, action).values("pk"))


class CustomerMerge(models.Model):
    """A duplicate merged into ``kept``: the removed customer's identity, so its history (audit
    entries under its old id) is shown on the kept customer."""

    kept = models.ForeignKey(Customer, verbose_name=_("kept customer"), on_delete=models.CASCADE,
                             related_name="merges")
    removed_id = models.PositiveBigIntegerField(_("merged customer id"), db_index=True)
    removed_name = models.CharField(_("merged customer"), max_length=200)
    removed_key_number = models.CharField(_("key-customer number"), max_length=40, blank=True)
    merged_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("merged by"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    merged_at = models.DateTimeField(_("merged at"), default=clock.now)

    objects = CustomerMergeQuerySet.as_manager()
    kam_scope = ScopeSpec(module=MODULE, org="kept__org_unit", owner="kept__relationships__manager")

    class Meta:
        ordering = ["-merged_at", "-pk"]
        verbose_name = _("customer merge")
        verbose_name_plural = _("customer merges")

    def __str__(self) -> str:
        return f"{self.removed_name} → {self.kept}"


class Contact(models.Model):
    """客户联系人."""

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="contacts")
    name = models.CharField(_("name"), max_length=60)
    title = models.CharField(_("title"), max_length=60, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    objects = FollowCustomerQuerySet.as_manager()
    kam_scope = ScopeSpec(module=MODULE, org="customer__org_unit", owner="customer__relationships__manager")

    class Meta:
        ordering = ["customer", "name", "pk"]
        verbose_name = _("customer contact")
        verbose_name_plural = _("customer contacts")

    def __str__(self) -> str:
        return self.name


class Relationship(models.Model):
    """业务关系: customer × provider department × account manager × contact × business lines."""

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="relationships")
    department = models.ForeignKey(OrgUnit, verbose_name=_("provider department"), on_delete=models.PROTECT,
                                   related_name="+")
    manager = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("account manager"),
                                on_delete=models.PROTECT, related_name="customer_relationships")
    contact = models.ForeignKey(Contact, verbose_name=_("customer contact"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="relationships")
    contact_name = models.CharField(_("contact name"), max_length=60, blank=True)
    contact_title = models.CharField(_("contact title"), max_length=60, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    business_lines = models.ManyToManyField(BusinessLine, verbose_name=_("business lines"), blank=True,
                                            related_name="+")
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    objects = FollowCustomerQuerySet.as_manager()
    kam_scope = ScopeSpec(module=MODULE, org="customer__org_unit", owner="manager")

    class Meta:
        ordering = ["customer", "pk"]
        verbose_name = _("business relationship")
        verbose_name_plural = _("business relationships")

    def __str__(self) -> str:
        return f"{self.customer} · {self.department} · {getattr(self.manager, 'name', '')}"


class NumberSegment(models.Model):
    """号码段: the key-customer numbers an organisation issues (R-CUST-2)."""

    org_unit = models.ForeignKey(OrgUnit, verbose_name=_("organisation unit"), on_delete=models.PROTECT,
                                 related_name="number_segments")
    prefix = models.CharField(_("prefix"), max_length=20, blank=True)
    start = models.PositiveBigIntegerField(_("first number"))
    end = models.PositiveBigIntegerField(_("last number"))
    next_value = models.PositiveBigIntegerField(_("next number"))
    enabled = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    objects = RestrictedQuerySet.as_manager()
    kam_scope = ScopeSpec(module=SEGMENT_MODULE, org="org_unit")

    class Meta:
        ordering = ["org_unit__path", "start"]
        verbose_name = _("number segment")
        verbose_name_plural = _("number segments")

    def __str__(self) -> str:
        return f"{self.org_unit} {self.format(self.start)}–{self.format(self.end)}"

    def format(self, value: int) -> str:
        return f"{self.prefix}{value:0{len(str(self.end))}d}"

    @property
    def remaining(self) -> int:
        return max(0, self.end - self.next_value + 1)


class Stage(models.TextChoices):
    COUNTY_REVIEW = "county_review", _("County pre-review")
    BUREAU_REVIEW = "bureau_review", _("Bureau pre-review")
    CITY_REVIEW = "city_review", _("City first review")
    FINAL_REVIEW = "final_review", _("Final review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


OPEN_STAGES = (Stage.COUNTY_REVIEW, Stage.BUREAU_REVIEW, Stage.CITY_REVIEW, Stage.FINAL_REVIEW)
PRE_REVIEW_STAGES = (Stage.COUNTY_REVIEW, Stage.BUREAU_REVIEW)


class Outcome(models.TextChoices):
    REJECTED = "rejected", _("Rejected")
    FAILED = "failed", _("Development failed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


REAPPLY_OUTCOMES = (Outcome.REJECTED, Outcome.WITHDRAWN)
REGISTRATION_PROCESS = "customer_registration"  # kam.processes definition code (客户注册审批)
ACCESS_PROCESS = "data_access"  # 客户资料调取审批


class RegistrationQuerySet(RestrictedQuerySet):
    def restrict(self, user: Any, action: str = "view") -> RegistrationQuerySet:
        """The data scope (an applicant's own applications, a unit's …) plus the applications whose
        approval process gives the user a task (R-CUST-4): open ones to act on, and for "view" also
        those they have reviewed."""
        from kam.org.permissions import scope_q

        from .selectors import review_q

        q = scope_q(user, self.model, action)
        if q is not None and not q:
            return self
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        reviewable = review_q(user, open_only=action != "view")
        return self.filter(reviewable if q is None else q | reviewable)

    def reviewable_by(self, user: Any) -> RegistrationQuerySet:
        """R-CUST-4: the applications waiting for ``user``'s review (an open task in their process)."""
        from .selectors import review_q

        return self.filter(review_q(user))


class Registration(models.Model):
    """客户注册申报: one application, with the proposed customer and relationship data as a
    snapshot until final approval (nothing touches the customer before then)."""

    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("applicant"), on_delete=models.PROTECT,
                                  related_name="customer_registrations")
    applicant_unit = models.ForeignKey(OrgUnit, verbose_name=_("applicant unit"), on_delete=models.PROTECT,
                                       related_name="+")
    city = models.ForeignKey(OrgUnit, verbose_name=_("city"), on_delete=models.PROTECT, related_name="+")
    bureau = models.ForeignKey(OrgUnit, verbose_name=_("city business-line bureau"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Customer, verbose_name=_("existing customer"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="registrations")
    name = models.CharField(_("customer name"), max_length=200, db_index=True)
    industry = models.CharField(_("industry"), max_length=40, blank=True)
    customer_data = models.JSONField(_("customer data"), default=dict, blank=True)
    relationship_data = models.JSONField(_("relationship data"), default=dict, blank=True)
    business_lines = models.ManyToManyField(BusinessLine, verbose_name=_("business lines"), blank=True,
                                            related_name="+")
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, db_index=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    key_number = models.CharField(_("key-customer number"), max_length=40, blank=True)
    number_assigned_by_hand = models.BooleanField(_("number assigned by hand"), default=False)
    submitted_at = models.DateTimeField(_("submitted at"), default=clock.now, db_index=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    process = models.ForeignKey("processes.ProcessInstance", verbose_name=_("approval process"), null=True,
                                blank=True, on_delete=models.SET_NULL, related_name="+",
                                help_text=_("The approval process of the current round."))

    objects = RegistrationQuerySet.as_manager()
    kam_scope = ScopeSpec(module=REGISTRATION_MODULE, org="applicant_unit", owner="applicant")

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        verbose_name = _("customer registration")
        verbose_name_plural = _("customer registrations")

    def __str__(self) -> str:
        return self.name

    @property
    def is_new_customer(self) -> bool:
        return self.customer_id is None

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES

    @property
    def can_reapply(self) -> bool:
        return self.stage == Stage.REJECTED and self.outcome in REAPPLY_OUTCOMES

    def last_opinions(self) -> list[ReviewAction]:
        """The opinions of the last review round (since the last submit or re-application)."""
        actions = list(self.actions.order_by("-at", "-pk"))
        result = []
        for a in actions:
            if a.action in (ReviewAction.Kind.SUBMIT, ReviewAction.Kind.REAPPLY):
                break
            result.append(a)
        return list(reversed(result))


class ReviewAction(models.Model):
    """One step in a registration's history: submit, approve, take, reject, … with the opinion."""

    class Kind(models.TextChoices):
        SUBMIT = "submit", _("Submitted")
        APPROVE = "approve", _("Approved")
        TAKE = "take", _("Taken for first review")
        REJECT = "reject", _("Rejected")
        FAIL = "fail", _("Development failed")
        REAPPLY = "reapply", _("Re-applied")
        ASSIGN_NUMBER = "assign_number", _("Number assigned")
        EDIT = "edit", _("Edited")
        SEND_BACK = "send_back", _("Sent back")
        WITHDRAW = "withdraw", _("Withdrawn")

    registration = models.ForeignKey(Registration, verbose_name=_("registration"), on_delete=models.CASCADE,
                                     related_name="actions")
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices)
    action = models.CharField(_("action"), max_length=20, choices=Kind.choices)
    opinion = models.TextField(_("opinion"), max_length=2000, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT,
                              related_name="+")
    at = models.DateTimeField(_("time"), default=clock.now)
    event = models.OneToOneField("processes.TaskEvent", verbose_name=_("process event"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")

    objects = RestrictedQuerySet.as_manager()
    kam_scope = ScopeSpec(module=REGISTRATION_MODULE, org="registration__applicant_unit",
                          owner="registration__applicant")

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("review action")
        verbose_name_plural = _("review actions")

    def __str__(self) -> str:
        return f"{self.get_action_display()} · {self.actor}"


class AccessStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class AccessRequestQuerySet(RestrictedQuerySet):
    def restrict(self, user: Any, action: str = "view") -> AccessRequestQuerySet:
        """The data scope plus the requests the user decides (an open task in their approval
        process; for "view" also those they had a task in or decided)."""
        from kam.org.permissions import scope_q

        from .selectors import access_review_q

        q = scope_q(user, self.model, action)
        if q is not None and not q:
            return self
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        decides = access_review_q(user, open_only=action != "view") | Q(approver_id=user.pk)
        return self.filter(decides if q is None else q | decides)


class AccessRequest(models.Model):
    """客户资料调取申请: a user asks to see a customer outside their scope."""

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="access_requests")
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("applicant"), on_delete=models.PROTECT,
                                  related_name="customer_access_requests")
    content = models.CharField(_("requested content"), max_length=20, choices=AccessContent.choices)
    reason = models.TextField(_("reason"), max_length=1000)
    status = models.CharField(_("status"), max_length=20, choices=AccessStatus.choices,
                              default=AccessStatus.PENDING, db_index=True)
    granted_content = models.CharField(_("granted content"), max_length=20, choices=AccessContent.choices,
                                       blank=True)
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("approver"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    opinion = models.TextField(_("opinion"), max_length=1000, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    requested_at = models.DateTimeField(_("requested at"), default=clock.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    process = models.ForeignKey("processes.ProcessInstance", verbose_name=_("approval process"), null=True,
                                blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = AccessRequestQuerySet.as_manager()
    kam_scope = ScopeSpec(module=ACCESS_MODULE, org="applicant__org_unit", owner="applicant")

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("data-access request")
        verbose_name_plural = _("data-access requests")

    def __str__(self) -> str:
        return f"{self.customer} · {self.get_content_display()}"

    @property
    def effective_status(self) -> str:
        """The status a user sees: approved grants whose time has passed show as expired."""
        if self.status == AccessStatus.APPROVED and self.expires_at and self.expires_at <= clock.now():
            return "expired"
        return self.status


class AccessGrant(models.Model):
    """What an approved access request opens: exactly the granted content, until ``expires_at``."""

    request = models.OneToOneField(AccessRequest, verbose_name=_("data-access request"), on_delete=models.CASCADE,
                                   related_name="grant")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="customer_access_grants")
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="access_grants")
    content = models.CharField(_("granted content"), max_length=20, choices=AccessContent.choices)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    objects = RestrictedQuerySet.as_manager()
    kam_scope = ScopeSpec(module=ACCESS_MODULE, org="user__org_unit", owner="user")

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("access grant")
        verbose_name_plural = _("access grants")
        indexes = [models.Index(fields=["user", "customer"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.customer} · {self.get_content_display()}"

    @property
    def is_active(self) -> bool:
        return self.expires_at is None or self.expires_at > clock.now()


def granted_content(user: Any, customer: Customer) -> set[str]:
    """The contents (basic / business) the user's unexpired grants open on ``customer``."""
    now = clock.now()
    rows = AccessGrant.objects.filter(user_id=user.pk, customer=customer).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)).values_list("content", flat=True)
    opened: set[str] = set()
    for c in rows:
        if c in BASIC_CONTENTS:
            opened.add(AccessContent.BASIC)
        if c in BUSINESS_CONTENTS:
            opened.add(AccessContent.BUSINESS)
    return opened

