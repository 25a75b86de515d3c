"""Pagination that stays fast with a million rows.

No full ``COUNT(*)`` on every page: a page fetches ``per_page + 1`` rows to know whether a next
page exists, and the total is counted only up to a cap (``COUNT`` over a ``LIMIT``ed subquery),
shown as "10000+" beyond it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

COUNT_CAP = 10_000


@dataclass
class Page:
    rows: list[Any]
    number: int
    per_page: int
    has_next: bool
    total: int
    total_capped: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def total_display(self) -> str:
        return f"{self.total}+" if self.total_capped else str(self.total)

    @property
    def num_pages(self) -> int | None:
        if self.total_capped:
            return None
        return max(1, -(-self.total // self.per_page))

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.rows else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * self.per_page + len(self.rows)


def capped_count(queryset, cap: int = COUNT_CAP) -> tuple[int, bool]:
    """Count up to ``cap`` rows; return (count, capped)."""
    n = queryset.order_by()[: cap + 1].count()
    return (cap, True) if n > cap else (n, False)


def paginate(queryset, number: Any, per_page: int = 20, cap: int = COUNT_CAP) -> Page:
    try:
        number = max(1, int(number))
    except (TypeError, ValueError):
        number = 1
    offset = (number - 1) * per_page
    rows = list(queryset[offset : offset + per_page + 1])
    has_next = len(rows) > per_page
    total, capped = capped_count(queryset, cap)
    return Page(rows[:per_page], number, per_page, has_next, total, capped)
