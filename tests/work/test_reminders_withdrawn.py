"""R-WORK-4 提醒: a reminder planned for a work item is withdrawn, not fired, when the item is
done or cancelled before the reminder time (sources answer ``current``); an open item's fires."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from kam.core import clock
from kam.todo.models import Reminder
from kam.todo.services import reminders_sweep, reminders_withdraw
from kam.work import services
from kam.work.integrations import open_work_items
from kam.work.models import WorkItem

from .conftest import at

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 5, 20)


def test_a_cancelled_work_items_reminder_is_withdrawn_and_an_open_ones_fires(ww):
    me = ww["me"]
    start = at(DAY, 10)
    with time_machine.travel(start, tick=False):
        me.last_login = clock.now()  # a recent user: the sweep looks ahead for them
        me.save(update_fields=["last_login"])
        kept = services.work_item_create(user=me, customer=ww.customers["me"], title="保留的外呼",
                                         due_at=at(DAY, 10, 10))
        gone = services.work_item_create(user=me, customer=ww.customers["me"], title="注销的外呼",
                                         due_at=at(DAY, 10, 10))
        reminders_sweep()  # both planned for 10:10
        assert set(Reminder.objects.filter(fired_at__isnull=True).values_list("key", flat=True)) == {
            f"workitem:{kept.pk}", f"workitem:{gone.pk}"}
        services.work_items_cancel(user=me, items=[gone], reason="客户已办理")
    for minute in range(0, 20):
        with time_machine.travel(start + dt.timedelta(minutes=minute), tick=False):
            reminders_sweep()
    fired = list(Reminder.objects.values_list("key", "fired_at"))
    assert fired == [(f"workitem:{kept.pk}", at(DAY, 10, 10))]


def test_a_reminder_whose_due_time_moved_is_withdrawn(ww):
    """The line is still open but due later now: the reminder planned for the old time is withdrawn
    (``current`` answers the new due time), not fired."""
    me = ww["me"]
    start = at(DAY, 10)
    with time_machine.travel(start, tick=False):
        me.last_login = clock.now()
        me.save(update_fields=["last_login"])
        item = services.work_item_create(user=me, customer=ww.customers["me"], title="改期的外呼",
                                         due_at=at(DAY, 10, 10))
        reminders_sweep()
        assert list(Reminder.objects.values_list("key", "due_at")) == [(f"workitem:{item.pk}", at(DAY, 10, 10))]
        assert open_work_items([f"workitem:{item.pk}"]) == {f"workitem:{item.pk}": at(DAY, 10, 10)}
        WorkItem.objects.filter(pk=item.pk).update(due_at=at(DAY + dt.timedelta(days=2), 10, 10))
    with time_machine.travel(at(DAY, 10, 10), tick=False):
        assert reminders_withdraw(clock.now()) == 1
    assert not Reminder.objects.filter(due_at=at(DAY, 10, 10)).exists()
