"""Writes over the org API go through the services and stay inside the data scope (R-PERM-1)."""

import re

import pytest
from django.utils import translation

from kam.core.registry import MODULES
from kam.org.models import BusinessLine, Grant, OrgUnit, Role, User
from tests.helpers.world import grant_role

pytestmark = pytest.mark.django_db

BASE = "/api/v1/org"


@pytest.fixture
def admin_api(api, world):
    """"me" with every action on every org module over all data."""
    me = world.user("me")
    for module in ("org", "users", "roles", "business_lines"):
        grant_role(me, module, "all")
    api.force_login(me)
    return api


def test_r_perm_1_update_user_outside_scope_is_404_and_changes_nothing(api, world):
    me = world.user("me")
    grant_role(me, "users", "subtree")
    api.force_login(me)
    resp = api.patch(f"{BASE}/users/{world.user('other').pk}/", {"name": "changed"}, format="json")
    assert resp.status_code == 404
    assert User.objects.get(username="other").name == "other"
    assert api.delete(f"{BASE}/users/{world.user('other').pk}/").status_code == 404
    assert User.objects.filter(username="other").exists()
    # Inside the scope the same call works.
    resp = api.patch(f"{BASE}/users/{world.user('dept').pk}/", {"name": "营销员"}, format="json")
    assert resp.status_code == 200
    assert resp.json()["name"] == "营销员"
    assert User.objects.get(username="dept").name == "营销员"


def test_r_perm_1_view_only_grant_cannot_write(api, world):
    me = world.user("me")
    grant_role(me, "users", "all", actions=("view",))
    api.force_login(me)
    resp = api.patch(f"{BASE}/users/{world.user('peer').pk}/", {"name": "changed"}, format="json")
    assert resp.status_code == 403
    with translation.override("zh-hans"):
        label = str(MODULES["users"].label)
    assert resp.json()["detail"] == f"您没有模块“{label}”的“增删改”权限。"
    assert User.objects.get(username="peer").name == "peer"


def new_user(unit, **extra):
    return {"username": "newbie", "name": "新人", "org_unit": unit.pk, "password": "Init#Pass-2026", **extra}


def test_r_perm_1_create_user_in_unit_outside_scope_is_refused(api, world):
    me = world.user("me")
    grant_role(me, "users", "unit")
    api.force_login(me)
    # The unit is not even a valid choice without a grant on the org tree.
    resp = api.post(f"{BASE}/users/", new_user(world.unit("county_3")), format="json")
    assert resp.status_code == 400
    assert set(resp.json()) == {"org_unit"}
    # With the whole tree visible, the service's scope check refuses it inside the transaction.
    grant_role(me, "org", "all", actions=("view",))
    resp = api.post(f"{BASE}/users/", new_user(world.unit("county_3")), format="json")
    assert resp.status_code == 403
    assert not User.objects.filter(username="newbie").exists()
    # In the user's own unit it works, with a one-time initial password (R-AUTH-1).
    resp = api.post(f"{BASE}/users/", new_user(world.unit("county_1")), format="json")
    assert resp.status_code == 201, resp.json()
    assert "password" not in resp.json()
    created = User.objects.get(username="newbie")
    assert created.must_change_password is True
    assert created.check_password("Init#Pass-2026")


def test_create_user_validates_fields(admin_api, world):
    resp = admin_api.post(f"{BASE}/users/", new_user(world.unit("county_1"), username="me", password="123"),
                          format="json")
    assert resp.status_code == 400
    assert {"username", "password"} <= set(resp.json())


def test_r_auth_1_reset_password_sets_one_time_password(admin_api, world):
    peer = world.user("peer")
    resp = admin_api.post(f"{BASE}/users/{peer.pk}/reset-password/", {"password": "Reset#Pass-2026"}, format="json")
    assert resp.status_code == 200
    peer.refresh_from_db()
    assert peer.must_change_password is True
    assert peer.check_password("Reset#Pass-2026")
    assert resp.json()["must_change_password"] is True


def test_delete_own_account_is_refused(admin_api, world):
    resp = admin_api.delete(f"{BASE}/users/{world.user('me').pk}/")
    assert resp.status_code == 400
    assert resp.json()["non_field_errors"]
    assert User.objects.filter(username="me").exists()


def test_unit_create_service_error_names_the_field(admin_api, world):
    resp = admin_api.post(f"{BASE}/units/", {"name": "某县", "code": "X1", "parent": world.unit("county_1").pk,
                                             "level": "county"}, format="json")
    assert resp.status_code == 400
    assert set(resp.json()) == {"parent"}
    resp = admin_api.post(f"{BASE}/units/", {"name": "丙市", "code": "CC", "parent": world.unit("province").pk,
                                             "level": "city"}, format="json")
    assert resp.status_code == 201
    unit = OrgUnit.objects.get(code="CC")
    assert unit.path == world.unit("province").path + unit.segment()
    assert resp.json()["depth"] == 1


def test_unit_move_keeps_the_tree_consistent(admin_api, world):
    county_1, dept, city_b = world.unit("county_1"), world.unit("dept"), world.unit("city_b")
    resp = admin_api.post(f"{BASE}/units/{county_1.pk}/move/", {"parent": city_b.pk}, format="json")
    assert resp.status_code == 200
    assert resp.json()["parent"] == city_b.pk
    city_b.refresh_from_db()
    county_1.refresh_from_db()
    dept.refresh_from_db()
    assert county_1.path == city_b.path + county_1.segment()
    assert dept.path == county_1.path + dept.segment()
    assert (county_1.depth, dept.depth) == (2, 3)
    children = admin_api.get(f"{BASE}/units/{city_b.pk}/children/").json()
    assert {c["code"] for c in children} == {"K1", "K3"}
    # Every unit's path is its parent's path plus its own segment.
    for unit in OrgUnit.objects.all():
        expected = (unit.parent.path if unit.parent_id else "") + unit.segment()
        assert unit.path == expected, unit


def test_unit_move_under_own_descendant_is_refused(admin_api, world):
    city_a, dept = world.unit("city_a"), world.unit("dept")
    before = dict(OrgUnit.objects.values_list("pk", "path"))
    resp = admin_api.post(f"{BASE}/units/{city_a.pk}/move/", {"parent": dept.pk}, format="json")
    assert resp.status_code == 400
    assert set(resp.json()) == {"parent"}
    assert dict(OrgUnit.objects.values_list("pk", "path")) == before


def test_unit_move_outside_scope_is_refused(api, world):
    me = world.user("me")
    grant_role(me, "org", "subtree")
    api.force_login(me)
    dept = world.unit("dept")
    resp = api.post(f"{BASE}/units/{dept.pk}/move/", {"parent": world.unit("county_3").pk}, format="json")
    assert resp.status_code == 400  # the target is not among the units the user may change
    assert api.post(f"{BASE}/units/{world.unit('county_3').pk}/move/", {"parent": None},
                    format="json").status_code == 404
    dept.refresh_from_db()
    assert dept.parent_id == world.unit("county_1").pk


def test_unit_filters(admin_api, world):
    rows = admin_api.get(f"{BASE}/units/", {"within": world.unit("city_a").pk, "level": "county"}).json()["results"]
    assert {r["code"] for r in rows} == {"K1", "K2"}
    rows = admin_api.get(f"{BASE}/units/", {"q": "营销"}).json()["results"]
    assert [r["code"] for r in rows] == ["K1D"]


def test_user_filters(admin_api, world):
    rows = admin_api.get(f"{BASE}/users/", {"org_unit": world.unit("county_1").pk}).json()["results"]
    assert {r["username"] for r in rows} == {"me", "peer", "dept"}


def test_builtin_role_cannot_be_deleted(admin_api, world):
    builtin = Role.objects.get(code="supervisor")
    resp = admin_api.delete(f"{BASE}/roles/{builtin.pk}/")
    assert resp.status_code == 400
    assert Role.objects.filter(code="supervisor").exists()
    with translation.override("en"):
        assert admin_api.delete(f"{BASE}/roles/{builtin.pk}/", HTTP_ACCEPT_LANGUAGE="en").json() == {
            "non_field_errors": ["Built-in roles cannot be deleted."]}
    resp = admin_api.post(f"{BASE}/roles/", {"code": "auditor", "name": "审计员"}, format="json")
    assert resp.status_code == 201
    assert resp.json()["builtin"] is False
    custom = Role.objects.get(code="auditor")
    assert admin_api.patch(f"{BASE}/roles/{custom.pk}/", {"name": "审计"}, format="json").status_code == 200
    assert admin_api.delete(f"{BASE}/roles/{custom.pk}/").status_code == 204
    assert not Role.objects.filter(code="auditor").exists()


def test_r_perm_1_grant_crud(admin_api, world):
    role = Role.objects.create(code="auditor", name="审计员")
    resp = admin_api.post(f"{BASE}/grants/", {"role": role.pk, "module": "nope"}, format="json")
    assert resp.status_code == 400
    assert set(resp.json()) == {"module"}
    resp = admin_api.post(f"{BASE}/grants/", {"role": role.pk, "module": "users", "scope": "custom"}, format="json")
    assert resp.status_code == 400
    assert set(resp.json()) == {"custom_units"}
    resp = admin_api.post(f"{BASE}/grants/", {
        "role": role.pk, "module": "users", "can_view": True, "can_analyse": True, "scope": "custom",
        "custom_units": [world.unit("city_b").pk], "valid_from": "2026-01-01", "valid_to": "2026-12-31",
    }, format="json")
    assert resp.status_code == 201, resp.json()
    body = resp.json()
    assert (body["valid_from"], body["valid_to"], body["custom_units"]) == ("2026-01-01", "2026-12-31",
                                                                          [world.unit("city_b").pk])
    grant = Grant.objects.get(role=role, module="users")
    # The same role and module twice is refused.
    dup = admin_api.post(f"{BASE}/grants/", {"role": role.pk, "module": "users"}, format="json")
    assert dup.status_code == 400
    # A partial update keeps the other fields.
    resp = admin_api.patch(f"{BASE}/grants/{grant.pk}/", {"valid_to": "2026-06-30"}, format="json")
    assert resp.status_code == 200
    grant.refresh_from_db()
    assert (grant.scope, grant.can_analyse, str(grant.valid_to)) == ("custom", True, "2026-06-30")
    assert list(grant.custom_units.all()) == [world.unit("city_b")]
    bad = admin_api.patch(f"{BASE}/grants/{grant.pk}/", {"valid_from": "2026-08-01"}, format="json")
    assert bad.status_code == 400
    assert set(bad.json()) == {"valid_to"}
    moved = admin_api.patch(f"{BASE}/grants/{grant.pk}/", {"module": "org"}, format="json")
    assert moved.status_code == 400
    assert admin_api.delete(f"{BASE}/grants/{grant.pk}/").status_code == 204
    assert not Grant.objects.filter(pk=grant.pk).exists()


def test_business_lines_and_types(admin_api, world):
    resp = admin_api.post(f"{BASE}/business-lines/", {"code": "ems", "name": "国际速递"}, format="json")
    assert resp.status_code == 201
    line = BusinessLine.objects.get(code="ems")
    resp = admin_api.post(f"{BASE}/business-types/", {"line": line.pk, "code": "ems-doc", "name": "文件"},
                          format="json")
    assert resp.status_code == 201
    # A line still holding types cannot be deleted.
    resp = admin_api.delete(f"{BASE}/business-lines/{line.pk}/")
    assert resp.status_code == 400
    assert BusinessLine.objects.filter(code="ems").exists()
    rows = admin_api.get(f"{BASE}/business-types/", {"line": line.pk}).json()["results"]
    assert [r["code"] for r in rows] == ["ems-doc"]


def test_modules_list_has_chinese_labels(admin_api, world):
    rows = admin_api.get(f"{BASE}/modules/").json()
    by_code = {r["code"]: r for r in rows}
    assert {"org", "users", "roles", "business_lines"} <= set(by_code)
    with translation.override("zh-hans"):
        assert by_code["users"]["label"] == str(MODULES["users"].label)
    assert by_code["users"]["subsystem"] == "system"


def test_pagination_shape(admin_api, world):
    first = admin_api.get(f"{BASE}/users/", {"page_size": 4, "ordering": "username"}).json()
    assert set(first) == {"count", "count_capped", "next", "previous", "results"}
    assert (first["count"], first["count_capped"], first["previous"]) == (6, False, None)
    assert len(first["results"]) == 4
    assert "page=2" in first["next"]
    second = admin_api.get(first["next"]).json()
    assert second["next"] is None
    assert second["previous"] is not None and "page=" not in second["previous"]
    assert len(second["results"]) == 2
    names = [r["username"] for r in first["results"] + second["results"]]
    assert names == sorted(names) == sorted(User.objects.values_list("username", flat=True))




def test_r_perm_1_moving_a_user_out_of_scope_is_refused(api, world):
    me = world.user("me")
    grant_role(me, "users", "subtree")
    grant_role(me, "org", "all", actions=("view",))
    api.force_login(me)
    dept = world.user("dept")
    resp = api.patch(f"{BASE}/users/{dept.pk}/", {"org_unit": world.unit("county_3").pk}, format="json")
    assert resp.status_code == 403
    dept.refresh_from_db()
    assert dept.org_unit == world.unit("dept")


def test_r_perm_1_assigning_roles_needs_the_roles_change_grant(api, world):
    me = world.user("me")
    grant_role(me, "users", "all")
    api.force_login(me)
    admin_role = Role.objects.get(code="admin")
    peer = world.user("peer")
    resp = api.patch(f"{BASE}/users/{peer.pk}/", {"roles": [admin_role.pk]}, format="json")
    assert resp.status_code == 400
    assert set(resp.json()) == {"roles"}
    # Nor can a role be taken away; other fields can still be changed.
    peer.roles.add(Role.objects.get(code="account_manager"))
    assert api.patch(f"{BASE}/users/{peer.pk}/", {"roles": []}, format="json").status_code == 400
    assert api.patch(f"{BASE}/users/{peer.pk}/", {"phone": "13800000000"}, format="json").status_code == 200
    assert list(peer.roles.values_list("code", flat=True)) == ["account_manager"]
    grant_role(me, "roles", "all", actions=("view", "change"))
    resp = api.patch(f"{BASE}/users/{peer.pk}/", {"roles": [admin_role.pk]}, format="json")
    assert resp.status_code == 200
    assert list(peer.roles.values_list("code", flat=True)) == ["admin"]


def test_unit_tree_shows_the_visible_units_nested(api, world):
    me = world.user("me")
    grant_role(me, "org", "subtree")
    api.force_login(me)
    tree = api.get(f"{BASE}/units/tree/").json()
    assert [(n["code"], [c["code"] for c in n["children"]]) for n in tree] == [("K1", ["K1D"])]
    grant_role(me, "org", "all")
    tree = api.get(f"{BASE}/units/tree/").json()
    assert [n["code"] for n in tree] == ["P"]
    assert [c["code"] for c in tree[0]["children"]] == ["CA", "CB"]


def test_list_query_count_does_not_grow_with_rows(admin_api, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert admin_api.get(url).status_code == 200
        return len(ctx.captured_queries)

    before = {url: count(url) for url in (f"{BASE}/users/", f"{BASE}/grants/", f"{BASE}/units/")}
    role = Role.objects.get(code="account_manager")
    for i in range(8):
        u = User.objects.create(username=f"extra{i}", name=f"extra{i}", org_unit=world.unit("dept"))
        u.roles.add(role)
        grant = Grant.objects.create(role=Role.objects.create(code=f"x{i}", name=f"x{i}"), module="users",
                                     scope="custom")
        grant.custom_units.add(world.unit("city_b"))
        OrgUnit.objects.create(name=f"室{i}", code=f"S{i}", parent=world.unit("dept"), kind="section")
    after = {url: count(url) for url in before}
    assert after == before


def test_browsable_api_pages_render(admin_api, world):
    for url in (f"{BASE}/users/", f"{BASE}/units/{world.unit('county_1').pk}/", f"{BASE}/grants/", "/api/v1/"):
        resp = admin_api.get(url, HTTP_ACCEPT="text/html")
        assert resp.status_code == 200, url
        html = resp.content.decode()
        assets = re.findall(r'<script[^>]+src="([^"]+)"', html) + re.findall(r'<link[^>]+href="([^"]+)"', html)
        assert assets and all(a.startswith("/static/") for a in assets), assets


def test_root_unit_can_be_created_without_parent(admin_api, world):
    resp = admin_api.post(f"{BASE}/units/", {"name": "另一省", "code": "P2", "level": "province"}, format="json")
    assert resp.status_code == 201, resp.json()
    assert resp.json()["parent"] is None and resp.json()["depth"] == 0
