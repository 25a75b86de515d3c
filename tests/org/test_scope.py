"""R-PERM-1: data scope over the org tree's materialised path, at the queryset level."""

import pytest

from kam.org.models import OrgUnit, User
from tests.helpers.matrix import STANDARD_EXPECTED, Probe, run_matrix


def queryset_probe(model, action="view"):
    def see(client, records):
        user = User.objects.get(username="me")
        pks = set(model.objects.restrict(user, action).values_list("pk", flat=True))
        return {label for label, obj in records.items() if obj.pk in pks}

    return Probe(f"queryset {model.__name__}", see)


@pytest.mark.django_db
def test_user_scope_matrix(world):
    records = {name: world.user(name) for name in ("me", "peer", "dept", "sub", "city_a", "other")}
    run_matrix(world, "users", records, [queryset_probe(User)])


@pytest.mark.django_db
def test_org_unit_scope_matrix(world):
    # An org unit has no owner: "own" means the user's own unit.
    records = {
        "county_1": world.unit("county_1"), "dept": world.unit("dept"), "county_2": world.unit("county_2"),
        "city_a": world.unit("city_a"), "city_b": world.unit("city_b"), "county_3": world.unit("county_3"),
    }
    expected = {
        "none": set(),
        "all": set(records) ,
        "custom": {"city_b", "county_3"},
        "unit": {"county_1"},
        "subtree": {"county_1", "dept"},
        "own": {"county_1"},
        "own_sub": {"county_1"},
        "expired": set(),
        "not_yet_valid": set(),
        "two_roles": {"county_1"},
    }
    run_matrix(world, "org", records, [queryset_probe(OrgUnit)], expected=expected)


@pytest.mark.django_db
def test_action_is_checked_separately(world):
    from tests.helpers.world import grant_role

    me = world.user("me")
    grant_role(me, "users", "all", actions=("view",))
    assert User.objects.restrict(me, "view").count() == User.objects.count()
    assert User.objects.restrict(me, "change").count() == 0
    assert STANDARD_EXPECTED["own"] == {"me"}


@pytest.mark.django_db
def test_superuser_sees_all_and_anonymous_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    admin = world.user("other")
    admin.is_superuser = True
    assert User.objects.restrict(admin).count() == User.objects.count()
    assert User.objects.restrict(AnonymousUser()).count() == 0
