"""系统管理: data dictionary, system parameters, announcements, operation and login logs, online
sessions."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kam.core import clock
from kam.core.querysets import RestrictedQuerySet, ScopeSpec

BOOTSTRAP_COLOURS = ("primary", "success", "info", "warning", "danger", "secondary", "dark", "light")
HEX_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
CSS_CLASS = re.compile(r"^[A-Za-z0-9_\- ]*$")


def validate_tag_colour(value: str) -> None:
    if value and value not in BOOTSTRAP_COLOURS and not HEX_COLOUR.match(value):
        raise ValidationError(
            _("Enter one of %(names)s or a hex colour such as #1677ff."),
            params={"names": ", ".join(BOOTSTRAP_COLOURS)}, code="tag_colour",
        )


def validate_css_class(value: str) -> None:
    if value and not CSS_CLASS.match(value):
        raise ValidationError(_("CSS classes may contain only letters, digits, “-”, “_” and spaces."),
                              code="css_class")


class DictType(models.Model):
    """字典类型: a named list of coded values (customer levels, industries, statuses …)."""

    code = models.SlugField(_("code"), max_length=60, unique=True,
                            help_text=_("Used by the code, e.g. customer_level."))
    name = models.CharField(_("name"), max_length=60)
    enabled = models.BooleanField(_("enabled"), default=True)
    builtin = models.BooleanField(_("built-in"), default=False, editable=False)
    remark = models.CharField(_("remark"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now, editable=False)

    objects = RestrictedQuerySet.as_manager()
    kam_scope = ScopeSpec(module="dictionaries")

    class Meta:
        ordering = ["code"]
        verbose_name = _("dictionary type")
        verbose_name_plural = _("dictionary types")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class DictValue(models.Model):
    """字典数据: one value of a dictionary type, shown as a coloured tag."""

    dict_type = models.ForeignKey(DictType, verbose_name=_("dictionary type"), on_delete=models.CASCADE,
                                  related_name="values")
    value = models.CharField(_("value"), max_length=60)
    label = models.CharField(_("label"), max_length=100)
    sort_order = models.IntegerField(_("sort order"), default=0)
    tag_colour = models.CharField(_("tag colour"), max_length=20, blank=True, default="secondary",
                                  validators=[validate_tag_colour])
    css_class = models.CharField(_("CSS class"), max_length=100, blank=True, validators=[validate_css_class])
    is_default = models.BooleanField(_("default"), default=False)
    enabled = models.BooleanField(_("enabled"), default=True)
    remark = models.CharField(_("remark"), max_length=500, blank=True)

    objects = RestrictedQuerySet.as_manager()
    kam_scope = ScopeSpec(module="dictionaries")

    class Meta:
        ordering = ["dict_type__code", "sort_order", "id"]
        verbose_name = _("dictionary value")
        verbose_name_plural = _("dictionary values")
        constraints = [
            models.UniqueConstraint(fields=["dict_type", "value"], name="uniq_dict_value"),
            # At most one default value per type.
            models.UniqueConstraint(fields=["dict_type"], condition=Q(is_default=True),
                                    name="uniq_dict_default"),
        ]

    def __str__(self) -> str:
        return self.label


class ValueType(models.TextChoices):
    INT = "int", _("Integer")
    DECIMAL = "decimal", _("Decimal")
    BOOL = "bool", _("Yes / no")
    STR = "str", _("Text")
    DATE = "date", _("Date")


class Parameter(models.Model):
    """参数设置: a typed system parameter the rules read through ``selectors.param``."""

    key = models.CharField(_("key"), max_length=100, unique=True)
    name = models.CharField(_("name"), max_length=100)
    value = models.CharField(_("value"), max_length=1000, blank=True)
    value_type = models.CharField(_("value type"), max_length=10, choices=ValueType.choices, default=ValueType.STR)
    remark = models.CharField(_("remark"), max_length=500, blank=True)
    builtin = models.BooleanField(_("built-in"), default=False, editable=False)
    updated_at = models.DateTimeField(_("updated at"), default=clock.now, editable=False)

    objects = RestrictedQuerySet.as_manager()
    kam_scope = ScopeSpec(module="parameters")

    class Meta:
        ordering = ["key"]
        verbose_name = _("parameter")
        verbose_name_plural = _("parameters")

    def __str__(self) -> str:
        return f"{self.name} ({self.key})"


class AnnouncementKind(models.TextChoices):
    NOTICE = "notice", _("Notice")
    ANNOUNCEMENT = "announcement", _("Announcement")


class AnnouncementStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class Announcement(models.Model):
    """通知公告, shown on the home page of the users in its audience."""

    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=AnnouncementKind.choices,
                            default=AnnouncementKind.NOTICE)
    content = models.TextField(_("content"), blank=True, help_text=_("Plain text; line breaks are kept."))
    status = models.CharField(_("status"), max_length=20, choices=AnnouncementStatus.choices,
                              default=AnnouncementStatus.DRAFT)
    publish_at = models.DateTimeField(_("publish at"), null=True, blank=True,
                                      help_text=_("Empty: from the moment it is published."))
    expire_at = models.DateTimeField(_("expire at"), null=True, blank=True, help_text=_("Empty: never."))
    for_all = models.BooleanField(_("whole organisation"), default=True)
    units = models.ManyToManyField("org.OrgUnit", verbose_name=_("audience units"), blank=True,
                                   related_name="+",
                                   help_text=_("The chosen units and everything below them."))
    org_unit = models.ForeignKey("org.OrgUnit", verbose_name=_("publishing unit"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True,
                                   blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=clock.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), default=clock.now, editable=False)

    objects = RestrictedQuerySet.as_manager()
    kam_scope = ScopeSpec(module="announcements", org="org_unit", owner="created_by")

    class Meta:
        ordering = ["-publish_at", "-id"]
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")

    def __str__(self) -> str:
        return self.title


class OperationAction(models.TextChoices):
    """Business action of an operation-log entry (RuoYi 业务类型)."""

    CREATE = "create", _("Create")
    UPDATE = "update", _("Update")
    DELETE = "delete", _("Delete")
    GRANT = "grant", _("Grant")
    EXPORT = "export", _("Export")
    IMPORT = "import", _("Import")
    FORCE_LOGOUT = "force_logout", _("Force logout")
    OTHER = "other", _("Other")


class OperationResult(models.TextChoices):
    SUCCESS = "success", _("Success")
    FAILURE = "failure", _("Failure")


class OperationLog(models.Model):
    """操作日志: who did which business action, from where, when, how long it took, and the result."""

    module = models.CharField(_("module"), max_length=60, blank=True)
    action = models.CharField(_("business action"), max_length=20, choices=OperationAction.choices,
                              default=OperationAction.OTHER)
    description = models.CharField(_("description"), max_length=500, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    username = models.CharField(_("account"), max_length=150, blank=True)
    org_unit = models.ForeignKey("org.OrgUnit", verbose_name=_("organisation unit"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    method = models.CharField(_("request method"), max_length=10, blank=True)
    url = models.CharField(_("URL"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("time"), default=clock.now, db_index=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    result = models.CharField(_("result"), max_length=10, choices=OperationResult.choices,
                              default=OperationResult.SUCCESS)
    error_message = models.CharField(_("error message"), max_length=2000, blank=True)

    objects = RestrictedQuerySet.as_manager()
    kam_scope = ScopeSpec(module="operation_log", org="org_unit", owner="user")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("operation log entry")
        verbose_name_plural = _("operation log")

    def __str__(self) -> str:
        return f"{self.username} {self.get_action_display()} {self.description}"


class LoginResult(models.TextChoices):
    SUCCESS = "success", _("Success")
    FAILURE = "failure", _("Failure")
    LOCKED = "locked", _("Locked")


class LoginLog(models.Model):
    """登录日志: every login attempt with address, browser and operating system."""

    username = models.CharField(_("account"), max_length=150, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    org_unit = models.ForeignKey("org.OrgUnit", verbose_name=_("organisation unit"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    browser = models.CharField(_("browser"), max_length=60, blank=True)
    os = models.CharField(_("operating system"), max_length=60, blank=True)
    created_at = models.DateTimeField(_("time"), default=clock.now, db_index=True)
    result = models.CharField(_("result"), max_length=10, choices=LoginResult.choices,
                              default=LoginResult.SUCCESS)
    message = models.CharField(_("message"), max_length=500, blank=True)

    objects = RestrictedQuerySet.as_manager()
    kam_scope = ScopeSpec(module="login_log", org="org_unit", owner="user")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("login log entry")
        verbose_name_plural = _("login log")

    def __str__(self) -> str:
        return f"{self.username} {self.get_result_display()}"


class UserSession(models.Model):
    """在线用户: one logged-in session, refreshed at most once a minute."""

    session_key = models.CharField(_("session key"), max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="+")
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    browser = models.CharField(_("browser"), max_length=60, blank=True)
    os = models.CharField(_("operating system"), max_length=60, blank=True)
    login_at = models.DateTimeField(_("login time"), default=clock.now)
    last_activity = models.DateTimeField(_("last activity"), default=clock.now, db_index=True)

    objects = RestrictedQuerySet.as_manager()
    kam_scope = ScopeSpec(module="online_users", org="user__org_unit", owner="user")

    class Meta:
        ordering = ["-last_activity", "-id"]
        verbose_name = _("online session")
        verbose_name_plural = _("online sessions")

    def __str__(self) -> str:
        return f"{self.user} @ {self.ip}"
