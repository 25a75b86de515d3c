"""The assessment calendar, read from the one clock and the system parameters.

- R-ASM-5: configuration is locked on days ``assessment.lock_first_day``–``lock_last_day`` (1–5).
- R-ASM-3: month M is computed on day ``assessment.compute_day`` (7) of M+1, so a template used
  for M must be valid until at least that day.
- R-ASM-6: last month's totals are adjusted on days ``adjust_first_day``–``adjust_last_day`` (1–15).
- Computation of month M may be started by an authorised user from the first day of M+1 (the
  month is over and its configuration frozen by the lock); the automatic run on the computation
  day computes it again with the same configuration (re-running is safe). The current or a future
  month is never computed.
"""

from __future__ import annotations

import calendar as _calendar
import datetime as dt

from django.apps import apps

from kam.core import clock

DEFAULTS = {
    "assessment.lock_first_day": 1,
    "assessment.lock_last_day": 5,
    "assessment.compute_day": 7,
    "assessment.adjust_first_day": 1,
    "assessment.adjust_last_day": 15,
}


def param(key: str) -> int:
    if apps.is_installed("kam.system"):
        from kam.system.selectors import param as system_param

        try:
            value = system_param(key)
        except (KeyError, LookupError):
            value = None
        if value is not None:
            return int(value)
    return DEFAULTS[key]


def month_of(day: dt.date) -> str:
    return day.strftime("%Y-%m")


def parse_month(period: str) -> dt.date:
    """The first day of ``YYYY-MM``."""
    return dt.date(int(period[:4]), int(period[5:7]), 1)


def add_months(period: str, n: int) -> str:
    first = parse_month(period)
    index = first.year * 12 + first.month - 1 + n
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_end(period: str) -> dt.date:
    first = parse_month(period)
    return first.replace(day=_calendar.monthrange(first.year, first.month)[1])


def previous_month(day: dt.date | None = None) -> str:
    return add_months(month_of(day or clock.today()), -1)


def compute_date(period: str) -> dt.date:
    """R-ASM-3: the day month ``period`` is computed (the computation day of the next month)."""
    nxt = parse_month(add_months(period, 1))
    return nxt.replace(day=param("assessment.compute_day"))


def config_locked(day: dt.date | None = None) -> bool:
    """R-ASM-5: no indicator, template or assignment is created or changed on these days."""
    day = day or clock.today()
    return param("assessment.lock_first_day") <= day.day <= param("assessment.lock_last_day")


def adjustment_open(period: str, day: dt.date | None = None) -> bool:
    """R-ASM-6: ``period`` is last month and today is within the adjustment days."""
    day = day or clock.today()
    return (period == previous_month(day)
            and param("assessment.adjust_first_day") <= day.day <= param("assessment.adjust_last_day"))


def bonus_open(period: str, day: dt.date | None = None) -> bool:
    """Bonus points of ``period`` may be given or changed during the month and, like adjustments
    (R-ASM-6), until the last adjustment day of the next month; later the month's totals are final."""
    day = day or clock.today()
    this_month = month_of(day)
    if period >= this_month:
        return True
    return period == previous_month(day) and day.day <= param("assessment.adjust_last_day")


def computable(period: str, day: dt.date | None = None) -> bool:
    """Whether month ``period`` may be computed today (it has ended)."""
    return period < month_of(day or clock.today())


def template_usable(valid_from: dt.date, valid_to: dt.date | None, period: str) -> bool:
    """R-ASM-3: valid during month ``period`` and still valid on its computation day."""
    if valid_from > month_end(period):
        return False
    return valid_to is None or valid_to >= compute_date(period)


def suggested_valid_to(period: str) -> dt.date:
    """The end of the month after ``period`` (what the operator manual recommends)."""
    return month_end(add_months(period, 1))
