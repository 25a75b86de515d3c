"""Reads of account-manager profiles; each starts from the user's data scope."""

from __future__ import annotations

from typing import Any

from kam.org.models import BusinessLine, OrgUnit

from .models import AccountManager, AccountManagerQuerySet, Training, WorkExperience


def active_managers(user: Any, action: str = "view", *, org_unit: OrgUnit | None = None,
                    business_line: BusinessLine | None = None) -> AccountManagerQuerySet:
    """The managers ``user`` may offer for new work, customers or templates: in scope and
    assignable (enabled profile, active login), optionally within ``org_unit``'s subtree or serving
    ``business_line``. Every app that lets someone pick a manager uses this."""
    qs = AccountManager.objects.restrict(user, action).assignable().select_related("user", "user__org_unit")
    if org_unit is not None:
        qs = qs.filter(user__org_unit__path__startswith=org_unit.path)
    if business_line is not None:
        qs = qs.filter(business_lines=business_line)
    return qs.order_by("user__name", "employee_no")


def manager_trainings(user: Any, manager: AccountManager, action: str = "view"):
    return Training.objects.restrict(user, action).filter(manager=manager).order_by("-start_date", "pk")


def manager_experiences(user: Any, manager: AccountManager, action: str = "view"):
    return WorkExperience.objects.restrict(user, action).filter(manager=manager).order_by("-start_date", "pk")
