"""The home page panel 我的待办."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from kam.core.registry import HomePanelData

from .selectors import tasks_todo


def todo_panel(request) -> HomePanelData | None:
    tasks = list(tasks_todo(request.user)[:6])
    if not tasks:
        return None
    rows = [(f"{t.node_name} · {t.instance}", reverse("processes:task_detail", args=[t.pk])) for t in tasks[:5]]
    count = tasks_todo(request.user).count() if len(tasks) > 5 else len(tasks)
    return HomePanelData(title=_("My process tasks"), count=count, url=reverse("processes:task_list"),
                         link_label=_("Open my tasks"), rows=rows, tone="warning")
