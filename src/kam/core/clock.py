"""The one clock of the platform.

Every rule that depends on "today" (lock windows, computation day, adjustment window, grant
validity, appointments) reads it from here. Tests move it with ``time-machine``; an operator can
pin it for a demonstration with the ``KAM_TODAY`` environment variable (``YYYY-MM-DD``).
"""

from __future__ import annotations

import datetime as dt
import os

from django.utils import timezone


def now() -> dt.datetime:
    """The current moment, timezone-aware."""
    pinned = os.environ.get("KAM_TODAY")
    current = timezone.now()
    if pinned:
        day = dt.date.fromisoformat(pinned)
        local = timezone.localtime(current)
        return local.replace(year=day.year, month=day.month, day=day.day)
    return current


def today() -> dt.date:
    """Today's date in the platform's time zone (Asia/Shanghai by default)."""
    return timezone.localtime(now()).date()


def current_month() -> str:
    """This month as ``YYYY-MM``."""
    return today().strftime("%Y-%m")


def local_text(moment: dt.datetime | None, seconds: bool = False) -> str:
    """A moment as local time text, ``2026-03-31 09:30`` (with ``seconds``: ``…09:30:05``);
    ``""`` for none. The one format of moments in messages, lists and exports."""
    if moment is None:
        return ""
    local = timezone.localtime(moment) if timezone.is_aware(moment) else moment
    return local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
