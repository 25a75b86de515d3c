"""The customers API under /api/v1/customers/: writes through the services, review actions, and
the R-PERM-1 / R-PERM-3 permission matrix over lists and details."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from kam.customers.models import Customer, Stage
from tests.helpers.matrix import STANDARD_EXPECTED, api_detail_probe, api_list_probe, run_matrix

from . import records
from .conftest import customer_data, relationship

BASE = "/api/v1/customers"


def probes(resource: str):
    return [api_list_probe(f"{BASE}/{resource}/"), api_detail_probe(lambda o: f"{BASE}/{resource}/{o.pk}/")]


def client_for(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


@pytest.mark.django_db
def test_r_perm_3_customers_api_matrix(world):
    run_matrix(world, "customers", records.customers(world), probes("customers"))


@pytest.mark.django_db
def test_r_perm_3_relationships_and_contacts_api_matrix(world):
    customers = records.customers(world)
    run_matrix(world, "customers", records.relationships(customers), probes("relationships"))
    run_matrix(world, "customers", records.contacts(customers), probes("contacts"))


@pytest.mark.django_db
def test_r_perm_1_registrations_api_matrix(world):
    run_matrix(world, "customer_registrations", records.registrations(world), probes("registrations"))


@pytest.mark.django_db
def test_r_perm_1_access_requests_api_matrix(world):
    customers = records.customers(world)
    run_matrix(world, "customer_access", records.access_requests(world, customers), probes("access-requests"))


@pytest.mark.django_db
def test_r_perm_1_number_segments_api_matrix(world):
    expected = {**STANDARD_EXPECTED, "own": {"me", "peer"}, "own_sub": {"me", "peer"}, "two_roles": {"me", "peer"}}
    run_matrix(world, "customer_segments", records.segments(world), probes("number-segments"), expected=expected)


def test_registration_through_the_api(cw):
    me = client_for(cw["me"])
    resp = me.post(f"{BASE}/registrations/", {"customer_data": customer_data(cw, is_headquarters=True),
                                              "relationship_data": relationship(cw)}, format="json")
    assert resp.status_code == 201, resp.content
    reg = resp.json()
    assert reg["stage"] == "county_review" and reg["customer_data"]["level"] == "diamond"  # R-CUST-1
    url = f"{BASE}/registrations/{reg['id']}"
    # R-CUST-4: the city cannot approve a county pre-review, and another city does not see it at all.
    assert client_for(cw["rev_city"]).post(f"{url}/approve/", {}).status_code == 403
    assert client_for(cw["rev_city_b"]).post(f"{url}/approve/", {}).status_code == 404
    resp = client_for(cw["rev_city"]).post(f"{url}/take/", {"opinion": "直接初审"})
    assert resp.status_code == 200 and resp.json()["stage"] == "city_review"
    resp = client_for(cw["rev_city"]).post(f"{url}/reject/", {"reason": ""})
    assert resp.status_code == 400 and "reason" in resp.json()
    resp = client_for(cw["rev_city"]).post(f"{url}/assign-number/", {"key_number": "42010042"})
    assert resp.status_code == 200
    for _ in range(2):
        resp = client_for(cw["rev_city"]).post(f"{url}/approve/", {"opinion": "同意"})
        assert resp.status_code == 200, resp.content
    assert resp.json()["stage"] == Stage.APPROVED and resp.json()["key_number"] == "42010042"
    customer = Customer.objects.get()
    resp = me.get(f"{BASE}/customers/{customer.pk}/")
    assert resp.status_code == 200
    assert resp.json()["level"] == "diamond" and resp.json()["level_label"] == "钻石级客户"


def test_registration_validation_errors_name_fields(cw):
    resp = client_for(cw["me"]).post(f"{BASE}/registrations/", {
        "customer_data": customer_data(cw, county="county_3", name=""),
        "relationship_data": {}}, format="json")
    assert resp.status_code == 400
    assert {"name", "county", "department", "manager"} <= set(resp.json())


def test_reject_and_reapply_through_the_api(cw):
    me = client_for(cw["me"])
    reg = me.post(f"{BASE}/registrations/", {"customer_data": customer_data(cw),
                                             "relationship_data": relationship(cw)}, format="json").json()
    url = f"{BASE}/registrations/{reg['id']}"
    resp = client_for(cw["rev_county"]).post(f"{url}/reject/", {"reason": "电话有误"})
    assert resp.json()["stage"] == "rejected" and resp.json()["outcome"] == "rejected"
    resp = me.post(f"{url}/reapply/", {"customer_data": {"phone": "027-87654321"},
                                       "relationship_data": relationship(cw)}, format="json")
    assert resp.status_code == 200, resp.content
    assert resp.json()["stage"] == "county_review" and resp.json()["customer_data"]["phone"] == "027-87654321"
    assert [a["action"] for a in resp.json()["actions"]] == ["submit", "reject", "reapply"]


def test_lookup_shows_existing_and_similar_customers(cw):
    from kam.customers import services

    services.customer_create(user=_superuser(cw), city=cw.unit("city_a"), name="武汉长江物流有限公司",
                             org_unit=cw.unit("county_1"))
    resp = client_for(cw["sub"]).get(f"{BASE}/registrations/lookup/", {"name": "武汉长江物流股份有限公司"})
    assert resp.status_code == 200
    assert [r["name"] for r in resp.json()] == ["武汉长江物流有限公司"]
    assert resp.json()[0]["similarity"] == 1.0
    resp = client_for(cw["other"]).get(f"{BASE}/registrations/lookup/", {"name": "长江物流"})
    assert resp.json() == []


def test_customer_edit_contacts_relationships_through_the_api(cw):
    from kam.customers import services

    reg = services.registration_submit(user=cw["me"], customer_data=customer_data(cw),
                                       relationship_data=relationship(cw))
    for name in ("rev_county", "rev_city", "rev_city"):
        reg = services.registration_approve(user=cw[name], registration=reg)
    customer = reg.customer
    me = client_for(cw["me"])
    resp = me.patch(f"{BASE}/customers/{customer.pk}/", {"is_headquarters": True}, format="json")
    assert resp.status_code == 200 and resp.json()["level"] == "diamond"
    resp = me.post(f"{BASE}/contacts/", {"customer": customer.pk, "name": "赵六", "phone": "abc"}, format="json")
    assert resp.status_code == 400 and "phone" in resp.json()
    resp = me.post(f"{BASE}/contacts/", {"customer": customer.pk, "name": "赵六", "phone": "13800000000"},
                   format="json")
    assert resp.status_code == 201
    contact_id = resp.json()["id"]
    resp = me.post(f"{BASE}/relationships/", {**relationship(cw), "customer": customer.pk, "contact": contact_id},
                   format="json")
    assert resp.status_code == 201, resp.content
    assert resp.json()["contact_name"] == "赵六"
    assert me.delete(f"{BASE}/contacts/{contact_id}/").status_code == 204
    assert client_for(cw["peer"]).delete(f"{BASE}/relationships/{resp.json()['id']}/").status_code == 404


def test_access_request_through_the_api(cw):
    from kam.customers import services

    customer = services.customer_create(user=_superuser(cw), city=cw.unit("city_a"), name="某银行分行",
                                        org_unit=cw.unit("county_1"))
    sub = client_for(cw["sub"])
    resp = sub.post(f"{BASE}/access-requests/", {"customer": customer.pk, "content": "all", "reason": "营销需要"})
    assert resp.status_code == 201, resp.content
    assert sub.get(f"{BASE}/customers/{customer.pk}/").status_code == 404
    url = f"{BASE}/access-requests/{resp.json()['id']}"
    assert sub.post(f"{url}/approve/", {}).status_code in (403, 404)
    resp = client_for(cw["rev_city"]).post(f"{url}/approve/", {"granted_content": "basic"})
    assert resp.status_code == 200, resp.content
    assert resp.json()["status"] == "approved" and resp.json()["granted_content"] == "basic"
    assert sub.get(f"{BASE}/customers/{customer.pk}/").status_code == 200
    assert sub.get(f"{BASE}/relationships/", {"customer": customer.pk}).json()["results"] == []


def test_number_segments_through_the_api(cw):
    from tests.customers.conftest import give_role

    admin = client_for(give_role(cw["city_a"], "admin"))
    resp = admin.post(f"{BASE}/number-segments/", {"org_unit": cw.unit("county_2").pk, "prefix": "4202",
                                                    "start": 1, "end": 100})
    assert resp.status_code == 201, resp.content
    assert resp.json()["remaining"] == 100
    resp = admin.post(f"{BASE}/number-segments/", {"org_unit": cw.unit("county_2").pk, "prefix": "4202",
                                                    "start": 50, "end": 10})
    assert resp.status_code == 400 and "end" in resp.json()
    assert client_for(cw["me"]).get(f"{BASE}/number-segments/").status_code == 403


def test_schema_of_customers_api_has_no_warnings():
    from django.urls import include, path
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema
    from rest_framework.routers import DefaultRouter

    from kam.customers.api import router_register

    router = DefaultRouter()
    router_register(router)
    GENERATOR_STATS.reset()
    schema = SchemaGenerator(patterns=[path("api/v1/", include(router.urls))]).get_schema(request=None, public=True)
    assert not GENERATOR_STATS, "schema generation warnings (see captured stderr)"
    validate_schema(schema)
    for p in ("/api/v1/customers/registrations/{id}/approve/", "/api/v1/customers/registrations/{id}/reject/",
              "/api/v1/customers/registrations/{id}/take/", "/api/v1/customers/registrations/{id}/assign-number/",
              "/api/v1/customers/access-requests/{id}/approve/", "/api/v1/customers/number-segments/"):
        assert p in schema["paths"]


def _superuser(cw):
    user = cw["city_a"]
    user.is_superuser = True
    user.save()
    return user
