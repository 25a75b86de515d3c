"""Timer expressions of diagrams (自动调度); pure, no Django import.

- ISO 8601 durations: ``PT24H``, ``P2D``, ``P1M``, ``P1Y2M3DT4H5M6S``, ``P2W``;
- ISO 8601 repeating intervals: ``R/2026-01-01T08:00:00+08:00/P1M`` (for ever), ``R12/…/P1W``
  (12 times);
- a date-time: ``2026-03-01T09:00:00+08:00`` (once);
- a five-field cron line: ``minute hour day-of-month month day-of-week`` with ``*``, numbers,
  lists ``1,15``, ranges ``1-5`` and steps ``*/15`` — e.g. ``0 8 1 * *`` monthly on day 1 at 08:00;
  day of week 0 or 7 = Sunday. Cron times are in ``tz`` (the site's time zone).

:func:`next_after` gives the first due time strictly after a moment, or ``None`` when the
expression will not fire again. A problem raises :class:`ScheduleError`.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

_DURATION = re.compile(
    r"^P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$")


class ScheduleError(ValueError):
    """A timer expression the scheduler cannot read; ``str()`` says why."""


@dataclass(frozen=True)
class Duration:
    months: int = 0
    delta: dt.timedelta = dt.timedelta(0)

    def add_to(self, moment: dt.datetime, times: int = 1) -> dt.datetime:
        return add_months(moment, self.months * times) + self.delta * times

    @property
    def is_zero(self) -> bool:
        return not self.months and not self.delta


def parse_duration(text: str) -> Duration:
    m = _DURATION.match((text or "").strip())
    if not m or (text or "").strip() in ("P", "PT"):
        raise ScheduleError(f"not an ISO 8601 duration: {text!r}")
    g = {k: v for k, v in m.groupdict().items() if v}
    duration = Duration(
        months=int(g.get("years", 0)) * 12 + int(g.get("months", 0)),
        delta=dt.timedelta(weeks=int(g.get("weeks", 0)), days=int(g.get("days", 0)),
                           hours=float(g.get("hours", 0)), minutes=int(g.get("minutes", 0)),
                           seconds=int(g.get("seconds", 0))))
    if duration.is_zero:
        raise ScheduleError(f"the duration is zero: {text!r}")
    return duration


def add_months(moment: dt.datetime, months: int) -> dt.datetime:
    if not months:
        return moment
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def parse_datetime(text: str, tz: dt.tzinfo) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat((text or "").strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise ScheduleError(f"not an ISO 8601 date-time: {text!r}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def _cron_field(text: str, low: int, high: int) -> set[int]:
    values: set[int] = set()
    for part in text.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            step = int(step_text)
            if step < 1:
                raise ValueError
        if part == "*":
            start, end = low, high
        elif "-" in part:
            start, end = (int(x) for x in part.split("-", 1))
        else:
            start = end = int(part)
        if start < low or end > high or start > end:
            raise ValueError
        values.update(range(start, end + 1, step))
    return values


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Monday … 6 = Sunday (Python's weekday())
    any_day: bool
    any_weekday: bool

    def day_matches(self, day: dt.date) -> bool:
        if day.month not in self.months:
            return False
        dom, dow = day.day in self.days, day.weekday() in self.weekdays
        if self.any_day or self.any_weekday:
            return dom and dow
        return dom or dow  # cron: both restricted → either matches


def parse_cron(text: str) -> Cron:
    fields = (text or "").split()
    if len(fields) != 5:
        raise ScheduleError(f"a cron line has five fields (minute hour day month weekday): {text!r}")
    try:
        minutes = _cron_field(fields[0], 0, 59)
        hours = _cron_field(fields[1], 0, 23)
        days = _cron_field(fields[2], 1, 31)
        months = _cron_field(fields[3], 1, 12)
        weekdays = {(d - 1) % 7 for d in _cron_field(fields[4], 0, 7)}  # cron 1 = Monday → 0
    except ValueError as exc:
        raise ScheduleError(f"not a valid cron line: {text!r}") from exc
    return Cron(frozenset(minutes), frozenset(hours), frozenset(days), frozenset(months), frozenset(weekdays),
                fields[2] == "*", fields[4] == "*")


def _cron_next(cron: Cron, after: dt.datetime, tz: dt.tzinfo) -> dt.datetime | None:
    local = after.astimezone(tz)
    day = local.date()
    for _i in range(366 * 5):
        if cron.day_matches(day):
            for hour in sorted(cron.hours):
                for minute in sorted(cron.minutes):
                    moment = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)
                    if moment > local:
                        return moment
        day += dt.timedelta(days=1)
    return None


def parse_cycle(text: str, tz: dt.tzinfo) -> tuple[int | None, dt.datetime | None, Duration]:
    """A repeating interval of a timer event: ``R[n]/duration`` or ``R[n]/start/duration`` →
    (repetitions or None for unbounded, start or None, period)."""
    parts = (text or "").strip().split("/")
    if len(parts) not in (2, 3) or not parts[0].startswith("R"):
        raise ScheduleError(f"a cycle reads R[n]/duration or R[n]/start/duration: {text!r}")
    count_text = parts[0][1:]
    if count_text and not count_text.isdigit():
        raise ScheduleError(f"not a repetition count: {parts[0]!r}")
    count = int(count_text) if count_text else None
    if count == 0:
        raise ScheduleError(f"a cycle repeats at least once: {text!r}")
    start = parse_datetime(parts[1], tz) if len(parts) == 3 else None
    return count, start, parse_duration(parts[-1])


def event_due(text: str, armed_at: dt.datetime, fired: list[dt.datetime],
              tz: dt.tzinfo = dt.UTC) -> dt.datetime | None:
    """When a diagram timer event (boundary / intermediate) waiting since ``armed_at`` is next due,
    given the due times it already fired at in this wait (``fired``, in order); None when done.
    A duration or a date-time fires once; a cycle ``R[n]/…`` once per period (n times, or until
    the step ends)."""
    text = (text or "").strip()
    if text.startswith("R"):
        count, start, period = parse_cycle(text, tz)
        if count is not None and len(fired) >= count:
            return None
        if fired:
            return period.add_to(fired[-1])
        if start is None:
            return period.add_to(armed_at)
        span = period.months * 28 * 86400 + period.delta.total_seconds()  # jump close, then walk
        k = max(int((armed_at - start).total_seconds() // span) - 2, 0) if start < armed_at else 0
        due = period.add_to(start, k)
        while due < armed_at and (count is None or k < count):  # the first period not yet past
            k += 1
            due = period.add_to(start, k)
        return due if count is None or k < count else None
    if fired:
        return None
    if text.startswith("P"):
        return parse_duration(text).add_to(armed_at)
    return parse_datetime(text, tz)


def check(text: str, tz: dt.tzinfo = dt.UTC) -> None:
    """Raise :class:`ScheduleError` unless ``text`` is a timer expression we can schedule."""
    next_after(text, dt.datetime(2000, 1, 1, tzinfo=dt.UTC), tz)


def next_after(text: str, after: dt.datetime, tz: dt.tzinfo = dt.UTC) -> dt.datetime | None:
    """The first due time of ``text`` strictly after ``after`` (aware), or ``None``."""
    text = (text or "").strip()
    if not text:
        raise ScheduleError("the timer has no expression")
    if text.startswith("R"):
        parts = text.split("/")
        if len(parts) != 3:
            raise ScheduleError(f"a repeating interval reads R[n]/start/duration: {text!r}")
        count_text = parts[0][1:]
        if count_text and not count_text.isdigit():
            raise ScheduleError(f"not a repetition count: {parts[0]!r}")
        count = int(count_text) if count_text else None
        start, duration = parse_datetime(parts[1], tz), parse_duration(parts[2])
        if start > after:
            return start
        # jump close to ``after`` without walking every period
        span = duration.months * 30 * 86400 + duration.delta.total_seconds()
        k = max(int((after - start).total_seconds() // span) - 2, 0)
        while True:
            moment = duration.add_to(start, k)
            if count is not None and k > count:
                return None
            if moment > after:
                return moment
            k += 1
    if text.startswith("P"):
        raise ScheduleError(f"a start timer needs a date-time, a repeating interval or a cron line: {text!r}")
    if re.match(r"^\d{4}-\d{2}-\d{2}", text):
        moment = parse_datetime(text, tz)
        return moment if moment > after else None
    return _cron_next(parse_cron(text), after, tz)
