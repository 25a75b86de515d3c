"""Org tree: placement rules and subtree moves keep every path consistent."""

import pytest
from django.core.exceptions import ValidationError

from kam.org import services
from kam.org.models import OrgKind, OrgLevel, OrgUnit


def _consistent():
    for unit in OrgUnit.objects.all():
        expected = (unit.parent.path if unit.parent else "") + unit.segment()
        assert unit.path == expected, unit
        assert unit.depth == len(unit.path) // 8 - 1


@pytest.mark.django_db
def test_move_subtree_rewrites_paths(world):
    county_1 = world.unit("county_1")
    services.org_unit_move(unit=county_1, new_parent=world.unit("city_b"))
    _consistent()
    dept = OrgUnit.objects.get(code="K1D")
    assert dept.path.startswith(world.unit("city_b").path)
    assert set(world.unit("city_b").descendants().values_list("code", flat=True)) == {"CB", "K3", "K1", "K1D"}


@pytest.mark.django_db
def test_move_department_across_levels(world):
    dept = world.unit("dept")
    services.org_unit_move(unit=dept, new_parent=world.unit("province"))
    _consistent()
    assert OrgUnit.objects.get(code="K1D").depth == 1


@pytest.mark.django_db
def test_cannot_move_under_own_descendant(world):
    with pytest.raises(ValidationError):
        services.org_unit_move(unit=world.unit("city_a"), new_parent=world.unit("county_1"))
    _consistent()


@pytest.mark.django_db
def test_region_levels_enforced(world):
    with pytest.raises(ValidationError):
        services.org_unit_create(name="x", code="X", parent=world.unit("county_1"), level=OrgLevel.COUNTY)
    with pytest.raises(ValidationError):
        services.org_unit_create(name="x", code="X", parent=world.unit("province"), level=OrgLevel.COUNTY)
    with pytest.raises(ValidationError):
        services.org_unit_move(unit=world.unit("county_1"), new_parent=world.unit("province"))
    unit = services.org_unit_create(name="室", code="S1", parent=world.unit("dept"), kind=OrgKind.SECTION)
    assert unit.path.startswith(world.unit("dept").path)


@pytest.mark.django_db
def test_delete_refuses_non_empty(world):
    with pytest.raises(ValidationError):
        services.org_unit_delete(unit=world.unit("city_a"))
    with pytest.raises(ValidationError):
        services.org_unit_delete(unit=world.unit("county_2"))  # has user "sub"
