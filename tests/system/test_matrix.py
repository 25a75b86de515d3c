"""R-PERM-1: the permission matrix over every list and detail of the system app (API and pages)."""

import pytest
from django.contrib.sessions.backends.db import SessionStore

from kam.system import services
from kam.system.models import DictType, LoginLog, OperationLog, Parameter, UserSession
from tests.helpers.matrix import WORLD_USERS, api_detail_probe, api_list_probe, run_matrix

pytestmark = pytest.mark.django_db

API = "/api/v1/system/"

# A catalogue with no org: every valid grant reaches all of it.
GLOBAL_EXPECTED = {scope: {"a", "b"} for scope in ("all", "custom", "unit", "subtree", "own", "own_sub",
                                                     "two_roles")}


def per_user(world, make):
    return {name: make(world.user(name)) for name in WORLD_USERS}


def test_r_perm_1_operation_log_matrix(world):
    records = per_user(world, lambda u: services.log_operation(user=u, action="update", description=u.username))
    run_matrix(world, "operation_log", records, [
        api_list_probe(f"{API}operation-logs/"),
        api_detail_probe(lambda o: f"{API}operation-logs/{o.pk}/"),
    ])
    assert OperationLog.objects.count() == len(WORLD_USERS)


def test_r_perm_1_login_log_matrix(world):
    records = per_user(world, lambda u: LoginLog.objects.create(username=u.username, user=u,
                                                                org_unit=u.org_unit))
    run_matrix(world, "login_log", records, [
        api_list_probe(f"{API}login-logs/"),
        api_detail_probe(lambda o: f"{API}login-logs/{o.pk}/"),
    ])


def test_r_perm_1_online_sessions_matrix(world):
    def session_of(user):
        store = SessionStore()
        store.create()
        return UserSession.objects.create(session_key=store.session_key, user=user)

    records = per_user(world, session_of)
    # The matrix client's own session shows up too; it is not among the records.
    run_matrix(world, "online_users", records, [
        api_list_probe(f"{API}online-sessions/"),
        api_detail_probe(lambda o: f"{API}online-sessions/{o.pk}/"),
    ])


def test_r_perm_1_announcements_matrix(world):
    records = {}
    for name in WORLD_USERS:
        user = world.user(name)
        records[name] = services.announcement_create(actor=None, title=name)
        records[name].created_by, records[name].org_unit = user, user.org_unit
        records[name].save()
    run_matrix(world, "announcements", records, [
        api_list_probe(f"{API}announcements/"),
        api_detail_probe(lambda o: f"{API}announcements/{o.pk}/"),
    ])


@pytest.mark.parametrize("module,model,path", [
    ("dictionaries", DictType, "dict-types"),
    ("parameters", Parameter, "parameters"),
])
def test_r_perm_1_global_catalogues(world, module, model, path):
    first, second = model.objects.order_by("pk")[:2]
    records = {"a": first, "b": second}
    run_matrix(world, module, records, [
        api_list_probe(f"{API}{path}/"),
        api_detail_probe(lambda o: f"{API}{path}/{o.pk}/"),
    ], expected=GLOBAL_EXPECTED)
