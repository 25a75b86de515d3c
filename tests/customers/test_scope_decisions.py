"""Scope decisions of docs/decisions/0050 (R-PERM-1, R-CUST-4, R-CUST-5): reviewers read the
customers they review, the contact picker and the known-customer step show only what the applicant
may see, and a merged customer's history stays visible on the kept one."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from kam.customers import services
from kam.customers.models import Customer, CustomerMerge
from kam.org.permissions import clear_cache
from tests.helpers.world import grant_role

from .conftest import approve_all, relationship, submit


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def known_customer(cw) -> Customer:
    customer = approve_all(cw, submit(cw), "rev_county", "rev_city", "rev_city").customer
    return Customer.objects.get(pk=customer.pk)


def test_r_cust_4_reviewer_opens_the_360_view_of_a_customer_under_review(cw):
    customer = known_customer(cw)
    url = reverse("customers:customer_detail", args=[customer.pk])
    reviewer = cw["rev_county_2"]  # sits in county 2; the customer belongs to county 1
    assert login(reviewer).get(url).status_code == 404
    submit(cw, applicant="sub", customer=customer)  # case 2: a relationship with the known customer
    resp = login(reviewer).get(url)
    assert resp.status_code == 200
    assert customer.name in resp.content.decode() and "张经理" in resp.content.decode()  # its relationships
    assert login(cw["rev_city_b"]).get(url).status_code == 404  # no task, no view
    assert not Customer.objects.restrict(reviewer, "change").filter(pk=customer.pk).exists()  # view only


def test_r_cust_5_contact_picker_lists_only_contacts_the_applicant_may_see(cw):
    customer = known_customer(cw)
    contact = customer.contacts.get()
    url = reverse("customers:registration_apply")
    outsider = login(cw["sub"]).get(url, {"customer": customer.pk})
    assert "张经理" not in outsider.content.decode()
    assert "contact" not in outsider.context["form"].fields or not outsider.context["form"].fields[
        "contact"].queryset.exists()
    with pytest.raises(ValidationError) as exc:
        services.registration_submit(user=cw["sub"], customer=customer,
                                     relationship_data=relationship(cw, manager="sub", department="county_2",
                                                                    contact=contact.pk))
    assert "contact" in exc.value.message_dict
    insider = login(cw["me"]).get(url, {"customer": customer.pk})
    assert list(insider.context["form"].fields["contact"].queryset) == [contact]


def test_known_customer_step_shows_identity_not_contact_details_outside_scope(cw):
    customer = known_customer(cw)
    url = reverse("customers:registration_apply")
    outsider = login(cw["sub"]).get(url, {"customer": customer.pk}).content.decode()
    assert customer.name in outsider and "4201001" in outsider
    assert "某路1号" not in outsider and "027-12345678" not in outsider  # address, phone
    insider = login(cw["me"]).get(url, {"customer": customer.pk}).content.decode()
    assert "某路1号" in insider and "027-12345678" in insider


def test_merged_customers_history_is_shown_on_the_kept_customer(cw):
    keep = known_customer(cw)
    remove = approve_all(cw, submit(cw, applicant="sub", name="武汉长江物流股份有限公司"),
                         "rev_county_2", "rev_city", "rev_city").customer
    services.customer_update(user=cw["sub"], customer=remove, address="光谷大道88号")
    admin = cw["city_a"]
    grant_role(admin, "customer_merge", "all")
    grant_role(admin, "customers", "all")
    clear_cache(admin)
    services.customer_merge(user=admin, keep=keep, remove=remove)
    merge = CustomerMerge.objects.get()
    assert (merge.kept, merge.removed_id, merge.removed_name) == (keep, remove.pk, "武汉长江物流股份有限公司")
    page = login(cw["me"]).get(reverse("customers:customer_detail", args=[keep.pk])).content.decode()
    assert "merged-history" in page and "武汉长江物流股份有限公司" in page
    assert "光谷大道88号" in page  # the removed customer's change, under its old id


def test_do_not_disturb_badge_on_the_list_and_the_360_view(cw):
    work_selectors = pytest.importorskip("kam.work.selectors")
    if not hasattr(work_selectors, "dnd_customer_ids"):
        pytest.skip("the work app offers no do-not-disturb lookup")
    import datetime as dt

    from kam.core import clock
    from kam.work import services as work_services

    quiet = known_customer(cw)
    other = approve_all(cw, submit(cw, name="汉口商贸有限公司"), "rev_county", "rev_city", "rev_city").customer
    work_services.dnd_add(user=cw["me"], customer=quiet, starts_at=clock.now() - dt.timedelta(hours=1),
                          ends_at=clock.now() + dt.timedelta(days=1), reason="年底结算")
    client = login(cw["me"])
    rows = {c.pk: c.is_dnd for c in client.get(reverse("customers:customer_list")).context["page"].rows}
    assert rows == {quiet.pk: True, other.pk: False}
    assert 'id="dnd-badge"' in client.get(reverse("customers:customer_detail", args=[quiet.pk])).content.decode()
    assert 'id="dnd-badge"' not in client.get(reverse("customers:customer_detail", args=[other.pk])).content.decode()
