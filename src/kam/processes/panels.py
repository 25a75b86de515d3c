"""The home page panel 我的待办: the user's own process tasks and the pool tasks (待领取) they may claim."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from kam.core.registry import HomePanelData

from .selectors import tasks_claimable, tasks_todo

SHOWN = 5


def _count(qs, first: list) -> int:
    """How many rows ``qs`` has, counting in the database only when the first page was full."""
    return qs.count() if len(first) > SHOWN else len(first)


def todo_panel(request) -> HomePanelData | None:
    """我的流程待办: the count is the user's open tasks plus the pool tasks waiting for them to claim."""
    mine = list(tasks_todo(request.user)[:SHOWN + 1])
    pool = list(tasks_claimable(request.user)[:SHOWN + 1])
    if not mine and not pool:
        return None
    rows = [(f"{t.node_name} · {t.instance}", reverse("processes:task_detail", args=[t.pk])) for t in mine[:SHOWN]]
    rows += [(_("To claim: %(task)s") % {"task": f"{t.node_name} · {t.instance}"},
              reverse("processes:task_detail", args=[t.pk])) for t in pool[:SHOWN - len(rows)]]
    count = _count(tasks_todo(request.user), mine) + _count(tasks_claimable(request.user), pool)
    url = reverse("processes:task_list") + ("" if mine else "?tab=claimable")
    return HomePanelData(title=_("My process tasks"), count=count, url=url,
                         link_label=_("Open my tasks"), rows=rows, tone="warning")
