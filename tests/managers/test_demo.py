"""Demo data: every user holding the account-manager role gets a profile (REQUIREMENTS §2)."""

import random

import pytest

from kam.core.demo import DemoContext
from kam.managers.demo import managers_demo
from kam.managers.models import AccountManager, Training, WorkExperience
from kam.org.demo import org_demo
from kam.org.models import User

pytestmark = pytest.mark.django_db


def test_demo_gives_every_account_manager_a_profile():
    ctx = DemoContext(size="demo", rng=random.Random(7), password="Demo@pass-2026")
    org_demo(ctx)
    managers_demo(ctx)
    holders = User.objects.filter(roles__code="account_manager").distinct()
    assert AccountManager.objects.count() == holders.count() > 0
    assert not holders.filter(manager_profile__isnull=True).exists()
    assert Training.objects.exists() and WorkExperience.objects.exists()
    assert AccountManager.objects.filter(business_lines__isnull=False).distinct().count() == holders.count()
    # the login "manager" of the demo sees their own profile
    demo_manager = AccountManager.objects.get(user__username="manager")
    assert AccountManager.objects.restrict(demo_manager.user, "view").get() == demo_manager
    # the demo supervisor sees their subordinates' profiles, the province leader every profile
    supervisor = User.objects.get(username="supervisor")
    seen = AccountManager.objects.restrict(supervisor, "view")
    assert seen.count() > 1 and all(m.user.superior_id == supervisor.pk for m in seen.select_related("user"))
    assert AccountManager.objects.restrict(User.objects.get(username="leader"), "view").count() == holders.count()
    managers_demo(ctx)  # a second run adds nothing twice
    assert AccountManager.objects.count() == holders.count()
