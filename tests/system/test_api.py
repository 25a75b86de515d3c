"""The system API under /api/v1/system/ is in the OpenAPI schema; writes go through the services."""

import pytest
from rest_framework.test import APIClient

from kam.system.models import DictType, DictValue
from tests.helpers.world import grant_role

pytestmark = pytest.mark.django_db


def test_system_endpoints_are_in_the_schema(world):
    client = APIClient()
    client.force_login(world.user("me"))
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = set(schema["paths"])
    for path in ("dict-types/", "dict-values/", "parameters/", "announcements/", "announcements/current/",
                 "operation-logs/", "login-logs/", "online-sessions/", "online-sessions/{id}/force-logout/"):
        assert f"/api/v1/system/{path}" in paths, path
    assert "post" not in schema["paths"]["/api/v1/system/operation-logs/"]  # read-only


def test_dictionary_values_over_the_api(world):
    me = world.user("me")
    grant_role(me, "dictionaries", "all")
    api = APIClient()
    api.force_login(me)
    level = DictType.objects.get(code="customer_level")
    resp = api.get("/api/v1/system/dict-values/", {"type": "customer_level"})
    assert [r["label"] for r in resp.json()["results"]] == ["钻石级客户", "金牌客户", "银牌客户", "普通客户"]
    resp = api.post("/api/v1/system/dict-values/", {"dict_type": level.pk, "value": "vip", "label": "贵宾",
                                                    "tag_colour": "success", "is_default": True}, format="json")
    assert resp.status_code == 201, resp.content
    assert list(DictValue.objects.filter(dict_type=level, is_default=True).values_list("value", flat=True)) == ["vip"]
    resp = api.post("/api/v1/system/dict-values/", {"dict_type": level.pk, "value": "vip", "label": "重复"},
                    format="json")
    assert resp.status_code == 400
    resp = api.delete(f"/api/v1/system/dict-types/{level.pk}/")
    assert resp.status_code == 400  # built-in
