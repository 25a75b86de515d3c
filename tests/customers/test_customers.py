"""Customers, contacts, relationships, duplicates, merge, data-access requests (R-CUST-5) and the
scope of R-PERM-3."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from kam.customers import selectors, services
from kam.customers.models import (
    AccessContent,
    AccessStatus,
    Contact,
    Customer,
    NumberSegment,
    Registration,
    Relationship,
)
from kam.org.permissions import clear_cache
from tests.helpers.world import grant_role

from .conftest import approve_all, give_role, relationship, submit


def approved_customer(cw, name="武汉长江物流有限公司", applicant="me", **kw):
    return approve_all(cw, submit(cw, applicant=applicant, name=name, **kw), *_chain(applicant)).customer


def _chain(applicant):
    return {"me": ("rev_county", "rev_city", "rev_city"), "peer": ("rev_county", "rev_city", "rev_city"),
            "sub": ("rev_county_2", "rev_city", "rev_city")}[applicant]


def test_r_perm_3_manager_sees_only_customers_bound_to_them(cw):
    mine = approved_customer(cw)
    peers = approved_customer(cw, name="汉口商贸有限公司", applicant="peer")
    assert set(Customer.objects.restrict(cw["me"], "view")) == {mine}
    assert set(Customer.objects.restrict(cw["peer"], "view")) == {peers}


def test_customer_with_two_relationships_listed_once(cw):
    customer = approved_customer(cw)
    services.relationship_add(user=cw["me"], customer=customer, **relationship(cw))
    assert customer.relationships.count() == 2
    assert list(Customer.objects.restrict(cw["me"], "view")) == [customer]
    grant_role(cw["sub"], "customers", "own_sub")
    clear_cache(cw["me"])
    assert Customer.objects.restrict(cw["me"], "view").count() == 1


def test_r_cust_1_on_customer_update(cw):
    customer = approved_customer(cw)
    customer = services.customer_update(user=cw["me"], customer=customer, is_headquarters=True)
    assert customer.level == "diamond"


def test_contacts_add_and_remove(cw):
    customer = approved_customer(cw)
    contact = services.contact_add(user=cw["me"], customer=customer, name="李四", phone="13800001111")
    assert set(customer.contacts.values_list("name", flat=True)) == {"张经理", "李四"}
    with pytest.raises(ValidationError) as exc:
        services.contact_add(user=cw["me"], customer=customer, name="", email="bad")
    assert {"name", "email"} <= set(exc.value.message_dict)
    with pytest.raises(PermissionDenied):
        services.contact_remove(user=cw["peer"], contact=contact)
    services.contact_remove(user=cw["me"], contact=contact)
    assert not Contact.objects.filter(pk=contact.pk).exists()


def test_picked_contact_is_copied_read_only(cw):
    customer = approved_customer(cw)
    contact = services.contact_add(user=cw["me"], customer=customer, name="王五", title="总经理",
                                   phone="13911112222")
    rel = services.relationship_add(user=cw["me"], customer=customer,
                                    **relationship(cw, contact=contact.pk, contact_name="改不了"))
    assert (rel.contact, rel.contact_name, rel.contact_title, rel.contact_phone) == (
        contact, "王五", "总经理", "13911112222")


def test_normalise_name_drops_punctuation_and_suffixes():
    assert selectors.normalise_name(" 武汉 长江物流（有限公司） ") == selectors.normalise_name("武汉长江物流有限公司")
    assert selectors.normalise_name("武汉长江物流股份有限公司") == "武汉长江物流"


def test_fuzzy_duplicate_detection(cw):
    customer = approved_customer(cw)
    found = selectors.similar_customers("武汉长江物流股份有限公司")
    assert [d.customer for d in found] == [customer] and found[0].ratio == 1.0
    close = selectors.similar_customers("武汉长江物流园有限公司")
    assert [d.customer for d in close] == [customer] and close[0].ratio >= 0.8
    assert selectors.similar_customers("北京朝阳食品厂") == []


def test_registration_lookup_in_own_city(cw):
    customer = approved_customer(cw)
    assert selectors.registration_lookup(cw["sub"], "长江") == [customer]
    assert selectors.registration_lookup(cw["other"], "长江") == []


def test_merge_keeps_relationships_contacts_registrations(cw):
    keep = approved_customer(cw)
    remove = approved_customer(cw, name="武汉长江物流股份有限公司", applicant="sub")
    admin = cw["city_a"]
    with pytest.raises(PermissionDenied):
        services.customer_merge(user=admin, keep=keep, remove=remove)
    grant_role(admin, "customer_merge", "all")
    grant_role(admin, "customers", "all")
    clear_cache(admin)
    kept = services.customer_merge(user=admin, keep=keep, remove=remove)
    assert not Customer.objects.filter(pk=remove.pk).exists()
    assert kept.relationships.count() == 2
    assert kept.contacts.count() == 2
    assert Registration.objects.filter(customer=kept).count() == 2
    assert kept.key_number == "4201001"


def test_r_cust_5_access_request_grants_exactly_the_granted_content(cw):
    customer = approved_customer(cw)
    asker = cw["sub"]
    assert not Customer.objects.restrict(asker, "view").filter(pk=customer.pk).exists()
    request = services.access_request_create(user=asker, customer=customer, content=AccessContent.ALL,
                                             reason="拓展业务需要")
    # Nothing before approval.
    assert not Customer.objects.restrict(asker, "view").filter(pk=customer.pk).exists()
    with pytest.raises(PermissionDenied):
        services.access_request_approve(user=asker, request=request)
    approver = cw["rev_city"]
    request = services.access_request_approve(user=approver, request=request, granted_content=AccessContent.BASIC)
    assert request.status == AccessStatus.APPROVED and request.granted_content == AccessContent.BASIC
    assert Customer.objects.restrict(asker, "view").filter(pk=customer.pk).exists()
    assert not Relationship.objects.restrict(asker, "view").filter(customer=customer).exists()
    assert not Contact.objects.restrict(asker, "view").filter(customer=customer).exists()
    assert not Customer.objects.restrict(asker, "change").filter(pk=customer.pk).exists()


def test_r_cust_5_business_grant_opens_relationships_not_basic(cw):
    customer = approved_customer(cw)
    asker = cw["sub"]
    request = services.access_request_create(user=asker, customer=customer, content=AccessContent.BUSINESS,
                                             reason="了解业务")
    with pytest.raises(ValidationError):  # more than asked
        services.access_request_approve(user=cw["rev_city"], request=request, granted_content=AccessContent.ALL)
    services.access_request_approve(user=cw["rev_city"], request=request)
    assert Relationship.objects.restrict(asker, "view").filter(customer=customer).exists()
    assert not Customer.objects.restrict(asker, "view").filter(pk=customer.pk).exists()


def test_r_cust_5_rejected_and_expired_grants_show_nothing(cw):
    customer = approved_customer(cw)
    asker = cw["sub"]
    r1 = services.access_request_create(user=asker, customer=customer, content=AccessContent.ALL, reason="x")
    with pytest.raises(ValidationError):
        services.access_request_reject(user=cw["rev_city"], request=r1, opinion="")
    r1 = services.access_request_reject(user=cw["rev_city"], request=r1, opinion="理由不充分")
    assert r1.status == AccessStatus.REJECTED
    assert not Customer.objects.restrict(asker, "view").filter(pk=customer.pk).exists()
    r2 = services.access_request_create(user=asker, customer=customer, content=AccessContent.ALL, reason="y")
    from kam.core import clock

    services.access_request_approve(user=cw["rev_city"], request=r2, expires_at=clock.now() + dt.timedelta(days=3))
    assert Customer.objects.restrict(asker, "view").filter(pk=customer.pk).exists()
    with time_machine.travel(clock.now() + dt.timedelta(days=4)):
        assert not Customer.objects.restrict(asker, "view").filter(pk=customer.pk).exists()
        r2.refresh_from_db()
        assert r2.effective_status == "expired"


def test_access_request_needs_reason(cw):
    customer = approved_customer(cw)
    with pytest.raises(ValidationError) as exc:
        services.access_request_create(user=cw["sub"], customer=customer, content="all", reason=" ")
    assert "reason" in exc.value.message_dict


def test_segment_create_validates(cw):
    admin = give_role(cw["city_a"], "admin")
    with pytest.raises(ValidationError) as exc:
        services.segment_create(user=admin, org_unit=cw.unit("county_1"), prefix="4201", start=10, end=5)
    assert "end" in exc.value.message_dict
    with pytest.raises(ValidationError):
        services.segment_create(user=admin, org_unit=cw.unit("county_1"), prefix="4201", start=500, end=600)
    seg = services.segment_create(user=admin, org_unit=cw.unit("county_2"), prefix="4202", start=1, end=50)
    assert seg.next_value == 1 and seg.remaining == 50


@pytest.mark.django_db(transaction=True)
def test_r_cust_2_concurrent_final_approvals_never_share_a_number(cw):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are tested on PostgreSQL")
    regs = [approve_all(cw, submit(cw, name=f"并发公司{i}"), "rev_county", "rev_city") for i in range(6)]
    reviewer_pk = cw["rev_city"].pk
    barrier = threading.Barrier(len(regs))
    errors: list[BaseException] = []

    def run(reg_pk):
        from django.db import connection as conn

        from kam.org.models import User

        try:
            reviewer = User.objects.get(pk=reviewer_pk)
            reg = Registration.objects.get(pk=reg_pk)
            barrier.wait()
            services.registration_approve(user=reviewer, registration=reg)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=run, args=(r.pk,)) for r in regs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    numbers = list(Customer.objects.values_list("key_number", flat=True))
    assert sorted(numbers) == [f"4201{i:03d}" for i in range(1, 7)]
    assert NumberSegment.objects.get().next_value == 7
