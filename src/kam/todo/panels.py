"""The home page panel 工作列表: today's and overdue counts, the first lines, unread reminders."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from kam.core.registry import HomePanelData

from .selectors import todo_list, unread_reminders

PANEL_ROWS = 5


def todo_home_panel(request) -> HomePanelData | None:
    user = request.user
    todo = todo_list(user)
    unread = unread_reminders(user).count()
    if not todo.lines and not unread:
        return None
    data = HomePanelData(title=_("Task list"), count=len(todo.lines), url=reverse("todo:list"),
                         link_label=_("Open the task list"),
                         tone="danger" if todo.overdue_count else "primary")
    data.todo = todo  # type: ignore[attr-defined]
    data.lines = todo.lines[:PANEL_ROWS]  # type: ignore[attr-defined]
    data.unread = unread  # type: ignore[attr-defined]
    return data
