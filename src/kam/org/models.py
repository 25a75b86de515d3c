"""Organisation tree, users, roles, grants and the business-line catalogue."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from kam.core import clock
from kam.core.querysets import RestrictedQuerySet, ScopeSpec

PATH_STEP = 8  # characters per level in OrgUnit.path: 7 digits and a dot


class OrgLevel(models.TextChoices):
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    COUNTY = "county", _("County")


class OrgKind(models.TextChoices):
    REGION = "region", _("Region")
    DEPARTMENT = "department", _("Department")
    SECTION = "section", _("Section")


class DataScope(models.TextChoices):
    """Data scope levels of R-PERM-1."""

    ALL = "all", _("All")
    CUSTOM = "custom", _("Custom")
    UNIT = "unit", _("Own department")
    SUBTREE = "subtree", _("Own department and below")
    OWN = "own", _("Own records only")
    OWN_AND_SUBORDINATES = "own_sub", _("Own and subordinates")


class BusinessLine(models.Model):
    """专业类型: a business line (postal defaults: 函件 报刊 集邮 包裹 …)."""

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=60, unique=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)
    enabled = models.BooleanField(_("enabled"), default=True)

    objects = RestrictedQuerySet.as_manager()
    kam_scope = ScopeSpec(module="business_lines")

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("business line")
        verbose_name_plural = _("business lines")

    def __str__(self) -> str:
        return self.name


class BusinessType(models.Model):
    """业务类型: a business type within a business line."""

    line = models.ForeignKey(
        BusinessLine, verbose_name=_("business line"), on_delete=models.PROTECT, related_name="types"
    )
    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=60)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)
    enabled = models.BooleanField(_("enabled"), default=True)

    objects = RestrictedQuerySet.as_manager()
    kam_scope = ScopeSpec(module="business_lines")

    class Meta:
        ordering = ["line__sort_order", "sort_order", "code"]
        verbose_name = _("business type")
        verbose_name_plural = _("business types")
        constraints = [models.UniqueConstraint(fields=["line", "name"], name="uniq_business_type_name")]

    def __str__(self) -> str:
        return f"{self.line.name} / {self.name}"


class OrgUnit(models.Model):
    """A node of the organisation tree: province → city → county, with departments and sections.

    ``path`` is the materialised path of the node (each ancestor's id, zero-padded, followed by a
    dot), so "this node and everything below" is ``path__startswith``.
    """

    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=40, unique=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="children",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=OrgKind.choices, default=OrgKind.REGION)
    level = models.CharField(_("level"), max_length=20, choices=OrgLevel.choices, blank=True)
    is_key_account_centre = models.BooleanField(_("key-account centre"), default=False)
    business_line = models.ForeignKey(
        BusinessLine, verbose_name=_("business line"), null=True, blank=True, on_delete=models.PROTECT,
        help_text=_("Set for a city business-line bureau."),
    )
    head = models.ForeignKey(
        "User", verbose_name=_("head"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)
    enabled = models.BooleanField(_("enabled"), default=True)
    path = models.CharField(_("path"), max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(_("depth"), default=0, editable=False)

    objects = RestrictedQuerySet.as_manager()
    kam_scope = ScopeSpec(module="org", org="")

    class Meta:
        ordering = ["path"]
        verbose_name = _("organisation unit")
        verbose_name_plural = _("organisation units")

    def __str__(self) -> str:
        return self.name

    def segment(self) -> str:
        return f"{self.pk:07d}."

    def region_unit(self, level: str) -> OrgUnit | None:
        """The ancestor-or-self region node at ``level`` (e.g. the city of a county department)."""
        ids = [int(p) for p in self.path.split(".") if p]
        for unit in OrgUnit.objects.filter(pk__in=ids, kind=OrgKind.REGION, level=level):
            return unit
        return None

    def ancestors(self) -> models.QuerySet[OrgUnit]:
        ids = [int(p) for p in self.path.split(".") if p]
        return OrgUnit.objects.filter(pk__in=ids).order_by("depth")

    def descendants(self, include_self: bool = True) -> models.QuerySet[OrgUnit]:
        qs = OrgUnit.objects.filter(path__startswith=self.path)
        return qs if include_self else qs.exclude(pk=self.pk)

    @property
    def full_name(self) -> str:
        return " / ".join(u.name for u in self.ancestors())


class Role(models.Model):
    """A role; several roles per user, grants per role × module."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60, unique=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    builtin = models.BooleanField(_("built-in"), default=False, editable=False)
    enabled = models.BooleanField(_("enabled"), default=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    objects = RestrictedQuerySet.as_manager()
    kam_scope = ScopeSpec(module="roles")

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("role")
        verbose_name_plural = _("roles")

    def __str__(self) -> str:
        return self.name


class GrantQuerySet(RestrictedQuerySet):
    def effective(self, day=None) -> GrantQuerySet:
        """Grants whose window (valid from / to, both inclusive) contains ``day`` (default today)."""
        day = day or clock.today()
        return self.filter(
            models.Q(valid_from__isnull=True) | models.Q(valid_from__lte=day),
            models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=day),
            role__enabled=True,
        )


class Grant(models.Model):
    """R-PERM-1: what a role may do in one module, over which data, and when."""

    role = models.ForeignKey(Role, verbose_name=_("role"), on_delete=models.CASCADE, related_name="grants")
    module = models.CharField(_("module"), max_length=40)
    can_view = models.BooleanField(_("query"), default=True)
    can_change = models.BooleanField(_("add / delete / modify"), default=False)
    can_analyse = models.BooleanField(_("analysis & statistics"), default=False)
    scope = models.CharField(_("data scope"), max_length=20, choices=DataScope.choices, default=DataScope.UNIT)
    custom_units = models.ManyToManyField(
        OrgUnit, verbose_name=_("custom org units"), blank=True, related_name="+",
        help_text=_("For the custom scope: the chosen units and everything below them."),
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    objects = GrantQuerySet.as_manager()
    kam_scope = ScopeSpec(module="roles")

    class Meta:
        ordering = ["role", "module"]
        verbose_name = _("grant")
        verbose_name_plural = _("grants")
        constraints = [models.UniqueConstraint(fields=["role", "module"], name="uniq_grant_role_module")]

    def __str__(self) -> str:
        return f"{self.role} · {self.module}"

    def allows(self, action: str) -> bool:
        return {"view": self.can_view, "change": self.can_change, "analyse": self.can_analyse}.get(action, False)


class KamUserManager(UserManager.from_queryset(RestrictedQuerySet)):  # type: ignore[misc]
    pass


class User(AbstractUser):
    """A person who logs in with an account number (``username``) and password."""

    name = models.CharField(_("full name"), max_length=60)
    org_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("organisation unit"), on_delete=models.PROTECT, related_name="users",
        null=True, blank=True,
    )
    superior = models.ForeignKey(
        "self", verbose_name=_("direct superior"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="subordinates",
    )
    roles = models.ManyToManyField(Role, verbose_name=_("roles"), blank=True, related_name="users")
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    must_change_password = models.BooleanField(
        _("must change password"), default=True,
        help_text=_("The initial password is one-time and must be changed at first login."),
    )
    password_changed_at = models.DateTimeField(_("password changed at"), null=True, blank=True)

    objects = KamUserManager()
    kam_scope = ScopeSpec(module="users", org="org_unit", owner="")

    class Meta:
        ordering = ["username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return f"{self.name or self.username} ({self.username})"
