"""Audit trail: every change of a registered model is recorded with before/after values, the
actor of the request or job; a record's history is visible only within the viewer's scope."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client

from kam.audit.context import actor_context
from kam.audit.models import AuditAction, AuditEntry
from kam.org.models import BusinessLine, DataScope, OrgUnit, Role, User
from kam.org.permissions import clear_cache
from tests.helpers.matrix import api_list_probe, page_list_probe, run_matrix
from tests.helpers.world import grant_role

pytestmark = pytest.mark.django_db


def entries_for(obj) -> list[AuditEntry]:
    ct = ContentType.objects.get_for_model(obj)
    return list(AuditEntry.objects.filter(content_type=ct, object_id=str(obj.pk)).order_by("at", "id"))


def test_create_update_delete_are_recorded_with_before_and_after(world):
    me = world.user("me")
    with actor_context(me, source="web"):
        line = BusinessLine.objects.create(code="audit", name="审计专业")
        line.name = "审计专业二"
        line.enabled = False
        line.save()
        line.save()  # nothing changed: nothing recorded
        pk = line.pk
        line.delete()
    created, updated, deleted = entries_for(BusinessLine(pk=pk))
    assert created.action == AuditAction.CREATE and created.actor == me and created.source == "web"
    assert created.changes["name"] == [None, "审计专业"] and created.changes["code"] == [None, "audit"]
    assert updated.action == AuditAction.UPDATE
    assert updated.changes == {"enabled": [True, False], "name": ["审计专业", "审计专业二"]}
    assert deleted.action == AuditAction.DELETE and deleted.changes["name"] == ["审计专业二", None]
    assert deleted.object_repr == "审计专业二"


def test_user_password_is_never_recorded_and_role_changes_are(world):
    me = world.user("me")
    role = Role.objects.create(code="auditrole", name="审计角色")
    me.set_password("An0ther-secret!")
    me.phone = "13800000000"
    me.save()
    update = entries_for(me)[-1]
    assert update.changes == {"phone": ["", "13800000000"]}
    me.roles.add(role)
    m2m = entries_for(me)[-1]
    assert m2m.changes == {"roles": [[], [role.pk]]}
    role.users.remove(me)  # from the other side of the relation
    assert entries_for(me)[-1].changes == {"roles": [[role.pk], []]}
    assert not any("password" in e.changes for e in AuditEntry.objects.all())


def test_a_web_request_records_its_user_request_id_and_address(world):
    admin = User.objects.create_superuser("root", password="x", must_change_password=False)
    client = Client(REMOTE_ADDR="10.1.2.3")
    client.force_login(admin)
    line = BusinessLine.objects.create(code="req", name="请求")
    AuditEntry.objects.all().delete()
    resp = client.patch(f"/api/v1/org/business-lines/{line.pk}/", {"name": "请求二"}, content_type="application/json")
    assert resp.status_code == 200, resp.content
    entry = entries_for(line)[-1]
    assert entry.actor == admin and entry.source == "api" and entry.ip == "10.1.2.3"
    assert entry.request_id and resp["X-Request-ID"] == entry.request_id
    assert entry.changes == {"name": ["请求", "请求二"]}


def test_a_background_job_records_its_starter(world):
    from kam.jobs.services import job_run_inline
    from tests.jobs import handlers  # noqa: F401

    me = world.user("me")
    job = job_run_inline(user=me, kind="tests.lines", params={"count": 1, "prefix": "jobaudit"})
    line = BusinessLine.objects.get(code="jobaudit-1")
    entry = entries_for(line)[0]
    assert job.status == "succeeded" and entry.actor == me and entry.source == "job"


def history_seen(client: Client, obj) -> int:
    label = f"{obj._meta.app_label}.{obj._meta.model_name}"
    page = client.get(f"/history/{label}/{obj.pk}/")
    api = client.get("/api/v1/system/audit/", {"content_type": label, "object_id": obj.pk})
    assert (page.status_code == 200) == (api.status_code == 200), (page.status_code, api.status_code)
    return page.status_code


def test_history_is_visible_only_to_users_who_can_view_the_record(world):
    """A unit's history follows the org module's scope (R-PERM-1)."""
    me = world.user("me")
    own = world.unit("county_1")
    other = world.unit("county_3")
    own.phone = "0871-1"
    own.save()
    client = Client()
    client.force_login(me)
    assert history_seen(client, own) == 404
    grant_role(me, "org", DataScope.SUBTREE)
    clear_cache(me)
    assert history_seen(client, own) == 200
    assert history_seen(client, other) == 404
    page = client.get(f"/history/org.orgunit/{own.pk}/")
    assert "0871-1" in page.content.decode()
    rows = client.get("/api/v1/system/audit/", {"content_type": "org.orgunit", "object_id": own.pk}).json()["results"]
    assert rows[0]["changes"]["phone"] == ["", "0871-1"] and rows[0]["action"] == "update"
    # The full audit list needs the audit module.
    assert client.get("/api/v1/system/audit/").status_code == 403
    assert client.get("/system/audit/").status_code == 403


def test_audit_list_permission_matrix(world):
    """R-PERM-1: the audit list shows the entries of the operators within the scope."""
    records = {}
    for label, user in world.users.items():
        with actor_context(user, source="web"):
            line = BusinessLine.objects.create(code=f"m-{label}", name=f"矩阵-{label}")
        records[label] = entries_for(line)[0]
    run_matrix(world, "audit", records, [
        api_list_probe("/api/v1/system/audit/?content_type=org.businessline&action=create"),
        page_list_probe("/system/audit/", {"content_type": "org.businessline", "action": "create"}),
    ])


def test_audit_list_page_shows_changes_with_labels(world):
    admin = User.objects.create_superuser("root", password="x", must_change_password=False)
    unit = OrgUnit.objects.get(pk=world.unit("dept").pk)
    with actor_context(admin, source="web"):
        unit.enabled = False
        unit.save()
    client = Client()
    client.force_login(admin)
    html = client.get("/system/audit/", {"content_type": "org.orgunit", "object_id": unit.pk}).content.decode()
    assert "营销部" in html and "root" in html


def test_detail_pages_carry_the_history_panel_loaded_by_htmx(world):
    admin = User.objects.create_superuser("root", password="x", must_change_password=False)
    me = world.user("me")
    with actor_context(admin, source="web"):
        me.phone = "13900000000"
        me.save()
    client = Client()
    client.force_login(admin)
    html = client.get(f"/org/users/{me.pk}/").content.decode()
    url = f"/history/org.user/{me.pk}/"
    assert "操作历史" in html and f'hx-get="{url}"' in html
    partial = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in partial and "13900000000" in partial and "修改" in partial and "root" in partial
