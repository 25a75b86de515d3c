"""The demo generator builds a consistent org tree with one account per shipped role."""

import pytest
from django.core.management import call_command

from kam.org.demo import DEMO_ACCOUNTS
from kam.org.models import OrgUnit, User


@pytest.mark.django_db
def test_demo_tree_paths_are_consistent_and_roles_have_accounts():
    call_command("demo", size="demo", verbosity=0)
    units = {u.pk: u for u in OrgUnit.objects.all()}
    for unit in units.values():
        parent = units.get(unit.parent_id)
        assert unit.path == (parent.path if parent else "") + unit.segment(), unit
        assert unit.depth == len(unit.path) // 8 - 1
    for role_code, account in DEMO_ACCOUNTS.items():
        user = User.objects.get(username=account)
        assert user.roles.filter(code=role_code).exists()
        assert not user.must_change_password
    # Every county has managers reporting to a supervisor (本人及下属 has something to show).
    assert User.objects.filter(username="supervisor").get().subordinates.exists()


@pytest.mark.django_db
def test_demo_if_empty_keeps_existing_data():
    call_command("demo", size="demo", verbosity=0)
    n = User.objects.count()
    call_command("demo", size="demo", if_empty=True, verbosity=0)
    assert User.objects.count() == n
