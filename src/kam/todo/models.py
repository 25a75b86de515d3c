"""工作列表: leader-assigned items, dismissals, subscriptions and reminders.

What a user's task list shows is composed at read time from the registered sources
(``kam.core.registry.TODO_SOURCES``); the tables here keep only what belongs to this app: the
items a leader assigns (领导交办), the lines a user removed (``Dismissal``), the event types a user
subscribed to (``Subscription``) and the reminders the scheduler fired (``Reminder``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kam.core import clock
from kam.core.querysets import RestrictedQuerySet, ScopeSpec
from kam.org.models import User

MODULE = "todo"  # 工作列表订阅与提醒: subscriptions and reminders (own records)
ITEMS_MODULE = "todo_items"  # 领导交办: items a leader assigns within their data scope

SOURCE_ASSIGNED = "assigned"
SOURCE_PROCESS = "process_task"


class TodoItem(models.Model):
    """领导交办: a to-do a leader or supervisor assigns to someone within their data scope."""

    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=pgettext_lazy("todo", "assignee"),
                                 on_delete=models.PROTECT, related_name="todo_items")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assigned by"), null=True,
                                    blank=True, on_delete=models.SET_NULL, related_name="+")
    title = models.CharField(pgettext_lazy("todo", "title"), max_length=200)
    detail = models.TextField(_("detail"), max_length=2000, blank=True)
    due_at = models.DateTimeField(_("due time"), db_index=True)
    done = models.BooleanField(pgettext_lazy("todo", "done"), default=False)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    objects = RestrictedQuerySet.as_manager()
    kam_scope = ScopeSpec(module=ITEMS_MODULE, org="assignee__org_unit", owner="assignee")

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("assigned item")
        verbose_name_plural = _("assigned items")
        indexes = [models.Index(fields=["assignee", "done", "due_at"], name="todo_item_assignee_open")]

    def __str__(self) -> str:
        return self.title

    @property
    def key(self) -> str:
        return f"todoitem:{self.pk}"

    @property
    def is_overdue(self) -> bool:
        return not self.done and self.due_at < clock.now()


class Assignee(User):
    """The users a leader may assign items to: a ``User`` seen through the ``todo_items`` grant.

    ``Assignee.objects.restrict(user, "change")`` is exactly the set of users whose items would lie
    in the user's change scope of ``todo_items`` (same org and owner lookups as ``TodoItem``).
    """

    kam_scope = ScopeSpec(module=ITEMS_MODULE, org="org_unit", owner="")

    class Meta:
        proxy = True
        ordering = ["username"]
        verbose_name = _("assignee")
        verbose_name_plural = _("assignees")


class Dismissal(models.Model):
    """A line the user removed from their task list; it stays removed."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="+")
    source = models.CharField(_("source"), max_length=40)
    key = models.CharField(pgettext_lazy("todo", "key"), max_length=100)
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    objects = RestrictedQuerySet.as_manager()
    kam_scope = ScopeSpec(module=MODULE, org="user__org_unit", owner="user")

    class Meta:
        verbose_name = _("removed line")
        verbose_name_plural = _("removed lines")
        constraints = [models.UniqueConstraint(fields=["user", "source", "key"], name="uniq_todo_dismissal")]


class LeadUnit(models.TextChoices):
    MINUTES = "minutes", _("minutes")
    HOURS = "hours", _("hours")
    DAYS = "days", _("days")


LEAD_UNIT_MINUTES = {LeadUnit.MINUTES: 1, LeadUnit.HOURS: 60, LeadUnit.DAYS: 1440}


class Subscription(models.Model):
    """订阅: an event type the user wants on their task list, ``lead_minutes`` before it is due."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="todo_subscriptions")
    source = models.CharField(_("event type"), max_length=40)
    lead_minutes = models.PositiveIntegerField(_("lead time (minutes)"), default=0)
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    objects = RestrictedQuerySet.as_manager()
    kam_scope = ScopeSpec(module=MODULE, org="user__org_unit", owner="user")

    class Meta:
        ordering = ["source", "id"]
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        constraints = [models.UniqueConstraint(fields=["user", "source"], name="uniq_todo_subscription")]

    def __str__(self) -> str:
        from .selectors import source_label

        return str(source_label(self.source))

    @property
    def lead_display(self) -> str:
        from .selectors import lead_display

        return lead_display(self.lead_minutes)


class Reminder(models.Model):
    """提醒: one reminder of one line (``source``, ``key``) for one due time, fired once.

    The sweep plans it (``remind_at`` = due time − lead time) and fires it (``fired_at``) with a
    compare-and-set update; the unique constraint keeps two sweeps from making it twice.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="todo_reminders")
    source = models.CharField(_("source"), max_length=40)
    key = models.CharField(pgettext_lazy("todo", "key"), max_length=100)
    due_at = models.DateTimeField(_("due time"))
    remind_at = models.DateTimeField(_("remind at"))
    title = models.CharField(pgettext_lazy("todo", "title"), max_length=200)
    url = models.CharField(_("link"), max_length=300, blank=True)
    subscribed = models.BooleanField(_("subscribed event"), default=False)
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    fired_at = models.DateTimeField(_("fired at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()
    kam_scope = ScopeSpec(module=MODULE, org="user__org_unit", owner="user")

    class Meta:
        ordering = ["-remind_at", "-id"]
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [models.UniqueConstraint(fields=["user", "source", "key", "due_at"],
                                               name="uniq_todo_reminder")]
        indexes = [
            models.Index(fields=["fired_at", "remind_at"], name="todo_reminder_due"),
            models.Index(fields=["user", "read_at"], name="todo_reminder_unread"),
        ]

    def __str__(self) -> str:
        return self.title


class ReminderCursor(models.Model):
    """When the sweep next looks ahead for one user's reminders (bounded, round-robin work)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                                related_name="+")
    next_check_at = models.DateTimeField(_("next check at"), db_index=True)

    class Meta:
        verbose_name = _("reminder cursor")
        verbose_name_plural = _("reminder cursors")
