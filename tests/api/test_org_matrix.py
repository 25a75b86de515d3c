"""R-PERM-1: the org API lists and details show exactly the records of the caller's data scope —
every scope level, an expired grant, a not-yet-valid grant and two roles with different scopes."""

import pytest

from kam.org.models import BusinessLine, BusinessType, Grant, Role
from kam.org.services import grant_set
from tests.helpers.matrix import STANDARD_EXPECTED, api_detail_probe, api_list_probe, run_matrix

pytestmark = pytest.mark.django_db

BASE = "/api/v1/org"


def probes(resource: str):
    return [api_list_probe(f"{BASE}/{resource}/"), api_detail_probe(lambda o: f"{BASE}/{resource}/{o.pk}/")]


def all_or_nothing(labels) -> dict[str, set[str]]:
    """A catalogue not tied to the org tree: any effective grant reaches every record."""
    return {case: (set() if case in ("none", "expired", "not_yet_valid") else set(labels))
            for case in STANDARD_EXPECTED}


def test_r_perm_1_users_api_matrix(world):
    records = {name: world.user(name) for name in ("me", "peer", "dept", "sub", "city_a", "other")}
    run_matrix(world, "users", records, probes("users"))


def test_r_perm_1_org_units_api_matrix(world):
    records = {name: world.unit(name) for name in ("county_1", "dept", "county_2", "city_a", "city_b", "county_3")}
    expected = {
        "none": set(),
        "all": set(records),
        "custom": {"city_b", "county_3"},
        "unit": {"county_1"},
        "subtree": {"county_1", "dept"},
        "own": {"county_1"},  # an org unit has no owner: "own" means the user's own unit
        "own_sub": {"county_1"},
        "expired": set(),
        "not_yet_valid": set(),
        "two_roles": {"county_1"},
    }
    run_matrix(world, "org", records, probes("units"), expected=expected)


def test_r_perm_1_roles_api_matrix(world):
    records = {code: Role.objects.get(code=code) for code in ("account_manager", "supervisor", "admin")}
    run_matrix(world, "roles", records, probes("roles"), expected=all_or_nothing(records))


def test_r_perm_1_grants_api_matrix(world):
    role = Role.objects.create(code="probe", name="probe")
    records = {
        "org": grant_set(role=role, module="org", scope="subtree"),
        "users": grant_set(role=role, module="users", scope="own"),
        "admin_roles": Grant.objects.get(role__code="admin", module="roles"),
    }
    run_matrix(world, "roles", records, probes("grants"), expected=all_or_nothing(records))


def test_r_perm_1_business_lines_api_matrix(world):
    records = {line.code: line for line in BusinessLine.objects.filter(code__in=("letters", "press", "parcels"))}
    assert len(records) == 3
    run_matrix(world, "business_lines", records, probes("business-lines"), expected=all_or_nothing(records))


def test_r_perm_1_business_types_api_matrix(world):
    line = BusinessLine.objects.get(code="letters")
    records = {code: BusinessType.objects.create(line=line, code=code, name=code) for code in ("t1", "t2")}
    run_matrix(world, "business_lines", records, probes("business-types"), expected=all_or_nothing(records))
