"""Reads of the task list (工作列表): composed from the registered sources for one user.

A source is asked only when the user holds ``view`` on its module. The list holds

- the user's own entries due before the end of today (overdue ones included), and
- the events of every subscribed type whose due time minus the lead time has come, from the start
  of today on (``events`` already restricts them to the subscriber's data scope, R-WORK-4),

less the lines the user removed, sorted by due time (no due time last).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kam.core import clock
from kam.core.registry import TODO_SOURCES, TodoEntry, TodoSource
from kam.org.permissions import has_perm

from .models import Dismissal, Reminder, Subscription

# At most this many lines from one source on one list (a source with more is cut, oldest due first).
MAX_PER_SOURCE = 500


@dataclass(frozen=True)
class TodoLine:
    """One line of the list: the source's entry plus what the list knows about it."""

    entry: TodoEntry
    source_label: str
    subscribed: bool = False  # a subscribed event rather than the user's own entry
    overdue: bool = False

    @property
    def source(self) -> str:
        return self.entry.source

    @property
    def key(self) -> str:
        return self.entry.key

    @property
    def title(self) -> str:
        return self.entry.title

    @property
    def due_at(self) -> dt.datetime | None:
        return self.entry.due_at

    @property
    def url(self) -> str:
        return self.entry.url

    @property
    def detail(self) -> str:
        return self.entry.detail

    @property
    def is_assigned_item(self) -> bool:
        return self.entry.source == "assigned" and not self.subscribed

    @property
    def item_id(self) -> int | None:
        if self.entry.key.startswith("todoitem:"):
            return int(self.entry.key.split(":", 1)[1])
        return None


@dataclass
class TodoList:
    lines: list[TodoLine]
    now: dt.datetime
    counts: dict[str, int] = field(default_factory=dict)  # per source code, before the source filter

    @property
    def overdue_count(self) -> int:
        return sum(1 for line in self.lines if line.overdue)

    @property
    def today_count(self) -> int:
        return sum(1 for line in self.lines if not line.overdue)


def end_of_today(now: dt.datetime | None = None) -> dt.datetime:
    local = timezone.localtime(now or clock.now())
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start + dt.timedelta(days=1)


def start_of_today(now: dt.datetime | None = None) -> dt.datetime:
    return end_of_today(now) - dt.timedelta(days=1)


def source_label(code: str) -> str:
    source = TODO_SOURCES.get(code)
    return str(source.label) if source else code


def lead_split(minutes: int) -> tuple[int, str]:
    """A lead time as the form enters it: the number and the largest unit that divides it."""
    from .models import LeadUnit

    if minutes and minutes % 1440 == 0:
        return minutes // 1440, LeadUnit.DAYS
    if minutes and minutes % 60 == 0:
        return minutes // 60, LeadUnit.HOURS
    return minutes, LeadUnit.MINUTES


def lead_display(minutes: int) -> str:
    if minutes == 0:
        return _("when due")
    if minutes % 1440 == 0:
        n = minutes // 1440
        return ngettext("%(n)d day before", "%(n)d days before", n) % {"n": n}
    if minutes % 60 == 0:
        n = minutes // 60
        return ngettext("%(n)d hour before", "%(n)d hours before", n) % {"n": n}
    return ngettext("%(n)d minute before", "%(n)d minutes before", minutes) % {"n": minutes}


def source_allowed(user: Any, source: TodoSource) -> bool:
    return source.module is None or has_perm(user, source.module, "view")


def visible_sources(user: Any) -> list[TodoSource]:
    """The sources the user may see on their list (own entries or subscribable events)."""
    return [s for s in TODO_SOURCES.values() if source_allowed(user, s)]


def event_types(user: Any | None = None) -> list[TodoSource]:
    """Subscribable event types (sources with ``events``); for ``user`` only those they may see."""
    types = [s for s in TODO_SOURCES.values() if callable(s.events)]
    if user is not None:
        types = [s for s in types if source_allowed(user, s)]
    return types


def own_entries(user: Any, source: TodoSource, until: dt.datetime) -> list[TodoEntry]:
    if not callable(source.entries):
        return []
    return list(islice(source.entries(user, until), MAX_PER_SOURCE))


def subscribed_events(user: Any, source: TodoSource, start: dt.datetime, until: dt.datetime) -> list[TodoEntry]:
    if not callable(source.events):
        return []
    return list(islice(source.events(user, start, until), MAX_PER_SOURCE))


def user_subscriptions(user: Any) -> QuerySet[Subscription]:
    """The user's own subscriptions (within the ``todo`` grant; the rows of others are left out)."""
    return Subscription.objects.restrict(user, "view").filter(user_id=user.pk).order_by("source")


def dismissed_keys(user: Any) -> set[tuple[str, str]]:
    return set(Dismissal.objects.filter(user_id=user.pk).values_list("source", "key"))


def _sort_key(line: TodoLine) -> tuple:
    due = line.due_at
    return (due is None, due or dt.datetime.max.replace(tzinfo=dt.UTC), line.source, line.key)


def todo_list(user: Any, source: str | None = None, now: dt.datetime | None = None) -> TodoList:
    """The user's task list now: today's and overdue lines of every visible source."""
    now = now or clock.now()
    until = end_of_today(now)
    start = start_of_today(now)
    seen: set[tuple[str, str]] = set()
    lines: list[TodoLine] = []
    dismissed = dismissed_keys(user)

    def add(entries: Iterable[TodoEntry], label: str, subscribed: bool) -> None:
        for entry in entries:
            ident = (entry.source, entry.key)
            if ident in seen or ident in dismissed:
                continue
            seen.add(ident)
            lines.append(TodoLine(entry, label, subscribed, entry.due_at is not None and entry.due_at < now))

    sources = visible_sources(user)
    for src in sources:
        add(own_entries(user, src, until), str(src.label), False)
    by_code = {s.code: s for s in sources}
    for sub in user_subscriptions(user):
        src = by_code.get(sub.source)
        if src is None or not callable(src.events):
            continue
        lead = dt.timedelta(minutes=sub.lead_minutes)
        add(subscribed_events(user, src, start, now + lead), str(src.label), True)
    counts: dict[str, int] = {}
    for line in lines:
        counts[line.source] = counts.get(line.source, 0) + 1
    if source:
        lines = [line for line in lines if line.source == source]
    lines.sort(key=_sort_key)
    return TodoList(lines, now, counts)


def unread_reminders(user: Any) -> QuerySet[Reminder]:
    """The user's fired, unread reminders, newest first."""
    return Reminder.objects.restrict(user, "view").filter(
        user_id=user.pk, fired_at__isnull=False, read_at__isnull=True).order_by("-remind_at", "-id")


def fired_reminders(user: Any) -> QuerySet[Reminder]:
    """The user's fired reminders, newest first."""
    return Reminder.objects.restrict(user, "view").filter(user_id=user.pk, fired_at__isnull=False).order_by(
        "-remind_at", "-id")
