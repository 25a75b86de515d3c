"""客户经理管理: the account-manager profile of a user, with training history and work experience.

The manager's name, phone, e-mail and org unit live on the login user (``kam.org.models.User``)
and are not copied here; the data scope follows the user's unit (``user__org_unit``) and the
user as owner, so a manager sees their own profile, a supervisor their subordinates' and a city
centre its city.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kam.core.querysets import RestrictedQuerySet, ScopeSpec
from kam.org.models import BusinessLine


class ManagerStatus(models.TextChoices):
    ENABLED = "enabled", _("Enabled")
    DISABLED = "disabled", pgettext_lazy("manager status", "Disabled")


class Education(models.TextChoices):
    DOCTORATE = "doctorate", _("Doctorate")
    MASTER = "master", _("Master's degree")
    BACHELOR = "bachelor", _("Bachelor's degree")
    COLLEGE = "college", _("College diploma")
    SECONDARY = "secondary", _("Secondary school")
    OTHER = "other", _("Other")


class AccountManagerQuerySet(RestrictedQuerySet):
    def assignable(self) -> AccountManagerQuerySet:
        """Managers who may be given new work, customers or templates: the profile is enabled and
        the login is active (REQUIREMENTS §2: a disabled manager keeps history but gets nothing
        new)."""
        return self.filter(status=ManagerStatus.ENABLED, user__is_active=True)

    def search(self, text: str) -> AccountManagerQuerySet:
        """Fuzzy query over name, account number, employee number and phone (one box)."""
        text = (text or "").strip()
        if not text:
            return self
        return self.filter(
            Q(user__name__icontains=text) | Q(user__username__icontains=text)
            | Q(employee_no__icontains=text) | Q(user__phone__icontains=text)
        )


class AccountManager(models.Model):
    """客户经理: the profile of a user who looks after customers."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT,
        related_name="manager_profile",
    )
    employee_no = models.CharField(_("employee number"), max_length=30, unique=True)
    gender = models.CharField(_("gender"), max_length=10, blank=True, help_text=_("Dictionary “gender”."))
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    education = models.CharField(_("education"), max_length=20, choices=Education.choices, blank=True)
    title = models.CharField(_("position"), max_length=60, blank=True)
    hire_date = models.DateField(_("hire date"), null=True, blank=True)
    business_lines = models.ManyToManyField(
        BusinessLine, verbose_name=_("business lines served"), blank=True, related_name="managers",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ManagerStatus.choices, default=ManagerStatus.ENABLED, db_index=True,
    )
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    disabled_reason = models.CharField(_("reason for disabling"), max_length=500, blank=True)
    remarks = models.TextField(_("remarks"), max_length=2000, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = AccountManagerQuerySet.as_manager()
    kam_scope = ScopeSpec(module="managers", org="user__org_unit", owner="user")

    class Meta:
        ordering = ["employee_no"]
        verbose_name = _("account manager")
        verbose_name_plural = _("account managers")

    def __str__(self) -> str:
        return f"{self.name} ({self.employee_no})"

    @property
    def name(self) -> str:
        return self.user.name

    @property
    def username(self) -> str:
        return self.user.username

    @property
    def phone(self) -> str:
        return self.user.phone

    @property
    def email(self) -> str:
        return self.user.email

    @property
    def org_unit(self):
        return self.user.org_unit

    @property
    def is_enabled(self) -> bool:
        return self.status == ManagerStatus.ENABLED

    @property
    def is_assignable(self) -> bool:
        return self.is_enabled and self.user.is_active

    @property
    def gender_label(self) -> str:
        from kam.system.selectors import dict_entry

        entry = dict_entry("gender", self.gender) if self.gender else None
        return entry.label if entry else self.gender


class Training(models.Model):
    """培训经历: one training course a manager took."""

    manager = models.ForeignKey(
        AccountManager, verbose_name=_("account manager"), on_delete=models.CASCADE, related_name="trainings",
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    organiser = models.CharField(_("organiser"), max_length=100, blank=True)
    course = models.CharField(_("course"), max_length=200)
    result = models.CharField(_("result / certificate"), max_length=200, blank=True)

    objects = RestrictedQuerySet.as_manager()
    kam_scope = ScopeSpec(module="managers", org="manager__user__org_unit", owner="manager__user")

    class Meta:
        ordering = ["manager", "-start_date", "pk"]
        verbose_name = _("training")
        verbose_name_plural = _("trainings")

    def __str__(self) -> str:
        return self.course


class WorkExperience(models.Model):
    """工作经验: one earlier position of a manager."""

    manager = models.ForeignKey(
        AccountManager, verbose_name=_("account manager"), on_delete=models.CASCADE,
        related_name="experiences",
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    employer = models.CharField(_("employer"), max_length=200)
    position = models.CharField(_("position"), max_length=100, blank=True)
    description = models.TextField(_("work description"), max_length=2000, blank=True)

    objects = RestrictedQuerySet.as_manager()
    kam_scope = ScopeSpec(module="managers", org="manager__user__org_unit", owner="manager__user")

    class Meta:
        ordering = ["manager", "-start_date", "pk"]
        verbose_name = _("work experience")
        verbose_name_plural = _("work experience")

    def __str__(self) -> str:
        return f"{self.employer} {self.position}".strip()
