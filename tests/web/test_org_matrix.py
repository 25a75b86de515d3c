"""R-PERM-1: the org list and detail pages show exactly the records of the user's data scope."""

import pytest
from django.urls import reverse

from kam.org.models import BusinessLine, Role
from tests.helpers.matrix import page_detail_probe, page_list_probe, run_matrix

NOTHING = {"none", "expired", "not_yet_valid"}


def everything_or_nothing(labels):
    """For a model not tied to the org tree: every scope reaches all records."""
    cases = ["none", "all", "custom", "unit", "subtree", "own", "own_sub", "expired", "not_yet_valid", "two_roles"]
    return {case: (set() if case in NOTHING else set(labels)) for case in cases}


@pytest.mark.django_db
def test_r_perm_1_org_unit_pages_matrix(world):
    records = {name: world.unit(name) for name in ("county_1", "dept", "county_2", "city_a", "city_b", "county_3")}
    expected = {
        "all": set(records), "custom": {"city_b", "county_3"}, "unit": {"county_1"},
        "subtree": {"county_1", "dept"}, "own": {"county_1"}, "own_sub": {"county_1"},
        "two_roles": {"county_1"},
    }
    run_matrix(world, "org", records, [
        page_list_probe(reverse("org:unit_list")),
        page_list_probe(reverse("org:unit_list"), {"view": "table"}),
        page_detail_probe(lambda o: reverse("org:unit_detail", args=[o.pk])),
    ], expected=expected)


@pytest.mark.django_db
def test_r_perm_1_user_pages_matrix(world):
    records = {name: world.user(name) for name in ("me", "peer", "dept", "sub", "city_a", "other")}
    run_matrix(world, "users", records, [
        page_list_probe(reverse("org:user_list")),
        page_detail_probe(lambda o: reverse("org:user_detail", args=[o.pk])),
    ])


@pytest.mark.django_db
def test_r_perm_1_role_pages_matrix(world):
    records = {code: Role.objects.create(code=code, name=f"角色{code}") for code in ("ra", "rb")}
    records["admin"] = Role.objects.get(code="admin")
    run_matrix(world, "roles", records, [
        page_list_probe(reverse("org:role_list")),
        page_detail_probe(lambda o: reverse("org:role_detail", args=[o.pk])),
    ], expected=everything_or_nothing(records))


@pytest.mark.django_db
def test_r_perm_1_business_line_pages_matrix(world):
    records = {line.code: line for line in BusinessLine.objects.filter(code__in=["letters", "press", "parcels"])}
    assert len(records) == 3
    run_matrix(world, "business_lines", records, [
        page_list_probe(reverse("org:line_list")),
        page_detail_probe(lambda o: reverse("org:line_detail", args=[o.pk])),
    ], expected=everything_or_nothing(records))
