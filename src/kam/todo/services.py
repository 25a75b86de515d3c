"""Writes of the task list: assigned items, removing lines, subscriptions, reminders and the sweep."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from kam.core import clock
from kam.core.querysets import check_in_scope
from kam.core.registry import TODO_SOURCES
from kam.org.models import User
from kam.org.permissions import has_perm

from .models import (
    ITEMS_MODULE,
    MODULE,
    Assignee,
    Dismissal,
    Reminder,
    ReminderCursor,
    Subscription,
    TodoItem,
)
from .selectors import (
    dismissed_keys,
    event_types,
    own_entries,
    source_allowed,
    subscribed_events,
    user_subscriptions,
    visible_sources,
)

MAX_LEAD_MINUTES = 60 * 24 * 90  # 90 days
# The reminder sweep (see docs/decisions/0075-task-list.md).
SWEEP_BATCH = 200  # users looked at per run
CHECK_EVERY = dt.timedelta(minutes=10)  # how often one user's sources are asked
LOOK_AHEAD = dt.timedelta(minutes=15)  # > CHECK_EVERY: consecutive looks overlap, nothing falls between
LATE_LIMIT = dt.timedelta(hours=1)  # an item found later than this after its reminder time is not reminded
ACTIVE_DAYS = 30  # users who logged in within this many days are looked at even with no subscription


def _require(user: Any, module: str, action: str = "change") -> None:
    if not has_perm(user, module, action):
        raise PermissionDenied(_("You have no permission for this action."))


def _clean_text(title: str, detail: str) -> tuple[str, str]:
    title = (title or "").strip()
    detail = (detail or "").strip()
    if not title:
        raise ValidationError({"title": _("Enter a title.")})
    if len(title) > 200:
        raise ValidationError({"title": _("A title has at most 200 characters.")})
    if len(detail) > 2000:
        raise ValidationError({"detail": _("The detail has at most 2000 characters.")})
    return title, detail


def _check_due(due_at: dt.datetime | None) -> dt.datetime:
    if due_at is None:
        raise ValidationError({"due_at": _("Enter the due time.")})
    return due_at


def _touch_cursor(user_id: int) -> None:
    """Ask the sweep to look at this user's reminders at its next run."""
    now = clock.now()
    updated = ReminderCursor.objects.filter(user_id=user_id, next_check_at__gt=now).update(next_check_at=now)
    if not updated:
        ReminderCursor.objects.bulk_create([ReminderCursor(user_id=user_id, next_check_at=now)],
                                           ignore_conflicts=True)


# --- 领导交办 -------------------------------------------------------------------------------------


@transaction.atomic
def todo_item_create(*, user: Any, assignee: User, title: str, due_at: dt.datetime | None,
                     detail: str = "") -> TodoItem:
    """Assign an item to ``assignee``, who must lie within the user's ``todo_items`` change scope."""
    _require(user, ITEMS_MODULE)
    title, detail = _clean_text(title, detail)
    due_at = _check_due(due_at)
    if assignee is None or not Assignee.objects.restrict(user, "change").filter(pk=assignee.pk).exists():
        raise ValidationError({"assignee": _("You can assign items only to users within your data scope.")})
    if not assignee.is_active:
        raise ValidationError({"assignee": _("This user is disabled.")})
    item = TodoItem.objects.create(assignee=assignee, assigned_by=user, title=title, detail=detail,
                                   due_at=due_at, created_at=clock.now())
    check_in_scope(user, item, "change")
    _touch_cursor(assignee.pk)
    return item


@transaction.atomic
def todo_item_update(*, user: Any, item: TodoItem, title: str, due_at: dt.datetime | None,
                     detail: str = "") -> TodoItem:
    check_in_scope(user, item, "change")
    item = TodoItem.objects.select_for_update().get(pk=item.pk)
    item.title, item.detail = _clean_text(title, detail)
    changed_due = item.due_at != due_at
    item.due_at = _check_due(due_at)
    item.save(update_fields=["title", "detail", "due_at"])
    check_in_scope(user, item, "change")
    if changed_due:
        Reminder.objects.filter(source="assigned", key=item.key, fired_at__isnull=True).delete()
        _touch_cursor(item.assignee_id)
    return item


@transaction.atomic
def todo_item_delete(*, user: Any, item: TodoItem) -> None:
    check_in_scope(user, item, "change")
    Reminder.objects.filter(source="assigned", key=item.key, fired_at__isnull=True).delete()
    item.delete()


@transaction.atomic
def todo_item_done(*, user: Any, item: TodoItem) -> TodoItem:
    """Mark an item done: its assignee, or whoever may change it (the leader who assigned it)."""
    item = TodoItem.objects.select_for_update().get(pk=item.pk)
    if item.assignee_id != user.pk:
        check_in_scope(user, item, "change")
    if item.done:
        raise ValidationError({"done": _("This item is already done.")})
    item.done = True
    item.done_at = clock.now()
    item.save(update_fields=["done", "done_at"])
    Reminder.objects.filter(source="assigned", key=item.key, fired_at__isnull=True).delete()
    return item


# --- removing a line ----------------------------------------------------------------------------


@transaction.atomic
def todo_dismiss(*, user: Any, source: str, key: str) -> Dismissal:
    """Remove a line from the user's task list for good (删除: the user has seen it)."""
    source = (source or "").strip()
    key = (key or "").strip()
    if source not in TODO_SOURCES:
        raise ValidationError({"source": _("Unknown source.")})
    if not key or len(key) > 100:
        raise ValidationError({"key": _("Unknown line.")})
    dismissal, _created = Dismissal.objects.get_or_create(user_id=user.pk, source=source, key=key,
                                                          defaults={"created_at": clock.now()})
    Reminder.objects.filter(user_id=user.pk, source=source, key=key, fired_at__isnull=True).delete()
    return dismissal


# --- 订阅 --------------------------------------------------------------------------------------------


def _check_subscribable(user: Any, source: str) -> None:
    """R-WORK-4: only an event type whose module the user may query."""
    known = {s.code: s for s in event_types()}
    if source not in known:
        raise ValidationError({"source": _("Unknown event type.")})
    if not source_allowed(user, known[source]):
        raise ValidationError({"source": _(
            "You have no query permission for “%(type)s”, so you cannot subscribe to it.") % {
            "type": known[source].label}})


def _check_lead(lead_minutes: Any) -> int:
    try:
        value = int(lead_minutes)
    except (TypeError, ValueError):
        raise ValidationError({"lead_minutes": _("Enter the lead time as a whole number.")}) from None
    if value < 0 or value > MAX_LEAD_MINUTES:
        raise ValidationError({"lead_minutes": _("The lead time must lie between 0 and 90 days.")})
    return value


@transaction.atomic
def subscription_create(*, user: Any, source: str, lead_minutes: int = 0) -> Subscription:
    _require(user, MODULE)
    _check_subscribable(user, source)
    lead = _check_lead(lead_minutes)
    if Subscription.objects.filter(user_id=user.pk, source=source).exists():
        raise ValidationError({"source": _("You have already subscribed to this event type.")})
    sub = Subscription.objects.create(user_id=user.pk, source=source, lead_minutes=lead, created_at=clock.now())
    check_in_scope(user, sub, "change")
    _touch_cursor(user.pk)
    return sub


@transaction.atomic
def subscription_update(*, user: Any, subscription: Subscription, lead_minutes: int) -> Subscription:
    check_in_scope(user, subscription, "change")
    if subscription.user_id != user.pk:
        raise PermissionDenied(_("Only the subscriber can change a subscription."))
    _check_subscribable(user, subscription.source)
    subscription.lead_minutes = _check_lead(lead_minutes)
    subscription.save(update_fields=["lead_minutes"])
    Reminder.objects.filter(user_id=user.pk, source=subscription.source, subscribed=True,
                            fired_at__isnull=True).delete()
    _touch_cursor(user.pk)
    return subscription


@transaction.atomic
def subscription_delete(*, user: Any, subscription: Subscription) -> None:
    check_in_scope(user, subscription, "change")
    if subscription.user_id != user.pk:
        raise PermissionDenied(_("Only the subscriber can cancel a subscription."))
    Reminder.objects.filter(user_id=user.pk, source=subscription.source, subscribed=True,
                            fired_at__isnull=True).delete()
    subscription.delete()


# --- 提醒 ----------------------------------------------------------------------------------------------


def reminder_read(*, user: Any, reminder: Reminder) -> Reminder:
    if reminder.user_id != user.pk:
        raise PermissionDenied(_("This reminder is not yours."))
    if reminder.read_at is None:
        reminder.read_at = clock.now()
        Reminder.objects.filter(pk=reminder.pk, read_at__isnull=True).update(read_at=reminder.read_at)
    return reminder


def reminders_read_all(*, user: Any) -> int:
    return Reminder.objects.filter(user_id=user.pk, fired_at__isnull=False, read_at__isnull=True).update(
        read_at=clock.now())


def _candidate_user_ids(now: dt.datetime) -> set[int]:
    """Users whose reminders the sweep keeps up: subscribers, assignees of open items, recent users."""
    subscribers = set(Subscription.objects.values_list("user_id", flat=True).distinct())
    assignees = set(TodoItem.objects.filter(done=False, due_at__gte=now - LATE_LIMIT).values_list(
        "assignee_id", flat=True).distinct())
    active = set(User.objects.filter(is_active=True, last_login__gte=now - dt.timedelta(days=ACTIVE_DAYS))
                 .values_list("id", flat=True))
    return subscribers | assignees | active


def _ensure_cursors(now: dt.datetime) -> None:
    wanted = _candidate_user_ids(now)
    have = set(ReminderCursor.objects.values_list("user_id", flat=True))
    missing = wanted - have
    if missing:
        ReminderCursor.objects.bulk_create([ReminderCursor(user_id=uid, next_check_at=now) for uid in missing],
                                           ignore_conflicts=True, batch_size=2000)


def plan_user_reminders(user: User, now: dt.datetime) -> list[Reminder]:
    """The reminders of ``user`` whose reminder time lies in (now − LATE_LIMIT, now + LOOK_AHEAD]."""
    low, high = now - LATE_LIMIT, now + LOOK_AHEAD
    dismissed = dismissed_keys(user)
    planned: dict[tuple[str, str, dt.datetime], Reminder] = {}

    def add(entry, lead: dt.timedelta, subscribed: bool) -> None:
        if entry.due_at is None or (entry.source, entry.key) in dismissed:
            return
        remind_at = entry.due_at - lead
        if not (low < remind_at <= high):
            return
        ident = (entry.source, entry.key, entry.due_at)
        if ident not in planned or remind_at < planned[ident].remind_at:  # the earlier reminder wins
            planned[ident] = Reminder(user_id=user.pk, source=entry.source, key=entry.key[:100],
                                      due_at=entry.due_at, remind_at=remind_at, title=entry.title[:200],
                                      url=entry.url[:300], subscribed=subscribed, created_at=now)

    sources = visible_sources(user)
    for src in sources:
        for entry in own_entries(user, src, high):
            add(entry, dt.timedelta(0), False)
    by_code = {s.code: s for s in sources}
    for sub in user_subscriptions(user):
        src = by_code.get(sub.source)
        if src is None or not callable(src.events):
            continue
        lead = dt.timedelta(minutes=sub.lead_minutes)
        for entry in subscribed_events(user, src, low + lead, high + lead + dt.timedelta(seconds=1)):
            add(entry, lead, True)
    return list(planned.values())


def reminders_plan(now: dt.datetime | None = None, batch: int = SWEEP_BATCH) -> int:
    """Look ahead for the users whose turn it is; return the reminders planned (new or not)."""
    now = now or clock.now()
    _ensure_cursors(now)
    with transaction.atomic():
        due = ReminderCursor.objects.filter(next_check_at__lte=now).order_by("next_check_at", "user_id")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        cursors = list(due[:batch])
        if not cursors:
            return 0
        users = {u.pk: u for u in User.objects.filter(pk__in=[c.user_id for c in cursors], is_active=True)
                 .select_related("org_unit")}
        planned: list[Reminder] = []
        for cursor in cursors:
            user = users.get(cursor.user_id)
            if user is not None:
                planned.extend(plan_user_reminders(user, now))
        # The unique (user, source, key, due time) keeps a reminder planned twice (two workers,
        # overlapping looks) to one row.
        Reminder.objects.bulk_create(planned, ignore_conflicts=True, batch_size=1000)
        ReminderCursor.objects.filter(pk__in=[c.pk for c in cursors]).update(next_check_at=now + CHECK_EVERY)
    return len(planned)


def reminders_withdraw(now: dt.datetime) -> int:
    """Withdraw the due, unfired reminders whose line is done since it was planned, or whose due
    time moved (asked of each source that answers ``current``, one query per source and chunk)."""
    due = Reminder.objects.filter(fired_at__isnull=True, remind_at__lte=now).values_list(
        "pk", "source", "key", "due_at")
    by_source: dict[str, list[tuple[int, str, dt.datetime]]] = defaultdict(list)
    for pk, source, key, due_at in due.iterator(chunk_size=2000):
        by_source[source].append((pk, key, due_at))
    stale: list[int] = []
    for code, rows in by_source.items():
        src = TODO_SOURCES.get(code)
        if src is None or not callable(src.current):
            continue
        for i in range(0, len(rows), 500):
            chunk = rows[i:i + 500]
            current = src.current(list(dict.fromkeys(key for _pk, key, _due in chunk)))
            stale.extend(pk for pk, key, due_at in chunk if key not in current or current[key] != due_at)
    withdrawn = 0
    for i in range(0, len(stale), 500):
        withdrawn += Reminder.objects.filter(pk__in=stale[i:i + 500], fired_at__isnull=True).delete()[0]
    return withdrawn


def reminders_fire(now: dt.datetime | None = None) -> int:
    """Fire the planned reminders whose time has come (after withdrawing the stale ones):
    compare-and-set on ``fired_at``."""
    now = now or clock.now()
    reminders_withdraw(now)
    return Reminder.objects.filter(fired_at__isnull=True, remind_at__lte=now).update(fired_at=now)


def reminders_sweep() -> str:
    """The periodic job (every minute): plan the next reminders, then fire the due ones."""
    now = clock.now()
    planned = reminders_plan(now)
    fired = reminders_fire(now)
    return f"planned {planned}, fired {fired}"
