"""OpenAPI schema and the Swagger UI, served without any internet resource."""

import re

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def our_patterns():
    """The API's own endpoints (auth, org) without the other apps' routes."""
    from django.urls import include, path
    from rest_framework.routers import DefaultRouter

    from kam.api import urls as api_urls
    from kam.org.api import router_register

    router = DefaultRouter()
    router_register(router)
    auth = [p for p in api_urls.urlpatterns if str(p.pattern).startswith("auth/")]
    return [path("api/v1/", include([*auth, *router.urls]))]


def test_schema_of_auth_and_org_is_valid_without_warnings():
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    GENERATOR_STATS.reset()
    schema = SchemaGenerator(patterns=our_patterns()).get_schema(request=None, public=True)
    assert not GENERATOR_STATS, "schema generation warnings (see captured stderr)"
    validate_schema(schema)
    for path in ("/api/v1/auth/token/", "/api/v1/auth/me/", "/api/v1/auth/password/", "/api/v1/org/units/{id}/move/",
                 "/api/v1/org/units/{id}/children/", "/api/v1/org/users/{id}/reset-password/",
                 "/api/v1/org/grants/", "/api/v1/org/modules/", "/api/v1/org/business-types/"):
        assert path in schema["paths"]


def test_whole_project_schema_generates_without_warnings(tmp_path):
    """``manage.py spectacular --validate --fail-on-warn`` over every app's API routes."""
    from drf_spectacular.drainage import GENERATOR_STATS

    GENERATOR_STATS.reset()
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert "/api/v1/org/users/" in out.read_text(encoding="utf-8")


def test_schema_endpoint_serves_openapi(client):
    resp = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert resp.status_code == 200
    schema = resp.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/org/users/" in schema["paths"]
    page = schema["components"]["schemas"]["PaginatedUserList"]
    assert {"count", "count_capped", "next", "previous", "results"} <= set(page["properties"])


def test_docs_page_loads_nothing_from_the_internet(client):
    resp = client.get("/api/v1/docs/")
    assert resp.status_code == 200
    html = resp.content.decode()
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(u.endswith("swagger-ui-bundle.js") for u in urls)
    assert urls and all(u.startswith("/static/") for u in urls), urls
    assert not re.search(r"https?://", html)
    assert '"validatorUrl": null' in html
