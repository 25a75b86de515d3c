"""The pages of 客户管理 as users see them: registration (both cases), review, maintenance,
re-application in three steps, customer maintenance and 360 view, data-access requests and the
shared view (R-CUST-1 … R-CUST-5), and the permission matrix over list and detail pages."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from kam.customers import services
from kam.customers.models import AccessRequest, Customer, Registration, Stage
from tests.helpers.matrix import page_detail_probe, page_list_probe, run_matrix

from . import records
from .conftest import approve_all, customer_data, relationship, submit


def login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def text(resp) -> str:
    return re.sub(r"\s+", " ", resp.content.decode())


# --- permission matrix -------------------------------------------------------------------------


@pytest.mark.django_db
def test_r_perm_3_customer_pages_matrix(world):
    run_matrix(world, "customers", records.customers(world), [
        page_list_probe(reverse("customers:customer_list")),
        page_detail_probe(lambda o: reverse("customers:customer_detail", args=[o.pk])),
    ])


@pytest.mark.django_db
def test_r_perm_1_registration_pages_matrix(world):
    run_matrix(world, "customer_registrations", records.registrations(world), [
        page_list_probe(reverse("customers:registration_list")),
        page_detail_probe(lambda o: reverse("customers:registration_detail", args=[o.pk])),
    ])


# --- 客户注册申报 ---------------------------------------------------------------------------------


def test_apply_new_customer_in_three_screens(cw):
    c = login(cw["me"])
    url = reverse("customers:registration_apply")
    page = text(c.get(url, {"name": "武汉长江物流"}))
    assert "尚未注册" in page or "not registered" in page
    page = text(c.get(url, {"new": 1, "name": "武汉长江物流有限公司"}))
    assert "甲市" in page  # the city is fixed (R-CUST-3)
    assert "三县" not in page and "二区" in page  # only the counties of the own city
    data = customer_data(cw, is_headquarters="on", level="silver")
    data.update(step="customer", county=cw.unit("county_2").pk)
    resp = c.post(url, data)
    assert resp.status_code == 200
    wizard = resp.context["wizard"]
    assert not Registration.objects.exists()  # nothing saved yet
    rel = relationship(cw)
    resp = c.post(url, {**rel, "step": "relationship", "wizard": wizard})
    assert resp.status_code == 302, resp.context["form"].errors if resp.context else resp
    reg = Registration.objects.get()
    assert reg.customer_data["level"] == "diamond"  # R-CUST-1
    assert reg.stage == Stage.COUNTY_REVIEW
    page = text(c.get(resp.url))
    assert "武汉长江物流有限公司" in page and "钻石级客户" in page and "区县预审" in page


def test_apply_refuses_another_city_county(cw):
    c = login(cw["me"])
    data = {**customer_data(cw), "step": "customer", "county": cw.unit("county_3").pk}
    resp = c.post(reverse("customers:registration_apply"), data)
    assert resp.status_code == 200 and "county" in resp.context["form"].errors
    assert not Registration.objects.exists()


def test_apply_existing_customer_shows_basic_info_read_only(cw):
    customer = approve_all(cw, submit(cw), "rev_county", "rev_city", "rev_city").customer
    c = login(cw["sub"])
    url = reverse("customers:registration_apply")
    page = text(c.get(url, {"name": "长江物流"}))
    assert "已注册" in page and "武汉长江物流有限公司" in page
    resp = c.get(url, {"customer": customer.pk})
    assert "name" not in resp.context["form"].fields  # basic information is not a form field
    resp = c.post(url, {**relationship(cw, manager="sub", department="county_2"), "step": "relationship",
                        "wizard": resp.context["wizard"]})
    assert resp.status_code == 302
    reg = Registration.objects.latest("pk")
    assert reg.customer == customer and reg.stage == Stage.COUNTY_REVIEW


def test_duplicate_warning_with_links(cw):
    approve_all(cw, submit(cw), "rev_county", "rev_city", "rev_city")
    c = login(cw["peer"])
    data = {**customer_data(cw, name="武汉长江物流股份有限公司"), "step": "customer"}
    resp = c.post(reverse("customers:registration_apply"), data)
    page = text(resp)
    assert "kam-duplicates" in page and "武汉长江物流有限公司" in page
    # another city's applicant reaches the relationship step without seeing city A's customer
    resp = login(cw["other"]).post(reverse("customers:registration_apply"),
                                   {**data, "county": cw.unit("county_3").pk})
    assert resp.context["step"] == "relationship"
    assert "kam-duplicates" not in text(resp)


# --- 客户注册审批 --------------------------------------------------------------------------------


def test_review_entry_counts_and_stage_list(cw):
    submit(cw)
    approve_all(cw, submit(cw, name="第二家公司"), "rev_county")
    c = login(cw["rev_city"])
    resp = c.get(reverse("customers:review_home"))
    counts = {x.stage: x.count for x in resp.context["counts"]}
    assert counts["county_review"] == 1 and counts["city_review"] == 1
    resp = c.get(reverse("customers:review_list", args=["city_review"]))
    assert [r.name for r in resp.context["page"].rows] == ["第二家公司"]
    assert login(cw["rev_city_b"]).get(reverse("customers:review_list", args=["city_review"])).context[
        "page"].rows == []


def test_review_actions_through_the_detail_page(cw):
    reg = submit(cw)
    c = login(cw["rev_county"])
    page = text(c.get(reverse("customers:registration_detail", args=[reg.pk])))
    assert "kam-review" in page
    resp = c.post(reverse("customers:registration_action", args=[reg.pk, "approve"]), {"opinion": "预审通过"})
    assert resp.status_code == 302
    city = login(cw["rev_city"])
    city.post(reverse("customers:registration_action", args=[reg.pk, "approve"]), {"opinion": "初审通过"})
    resp = city.post(reverse("customers:registration_action", args=[reg.pk, "approve"]), {"opinion": "终审通过"},
                     follow=True)
    assert "4201001" in text(resp)
    reg.refresh_from_db()
    assert reg.stage == Stage.APPROVED


def test_reviewer_without_rights_gets_no_action_forms(cw):
    reg = submit(cw)
    c = login(cw["rev_county_2"])
    assert c.get(reverse("customers:registration_detail", args=[reg.pk])).status_code == 404
    resp = c.post(reverse("customers:registration_action", args=[reg.pk, "approve"]))
    assert resp.status_code == 404
    reg.refresh_from_db()
    assert reg.stage == Stage.COUNTY_REVIEW


def test_reject_shows_reason_on_page(cw):
    reg = submit(cw)
    c = login(cw["rev_county"])
    resp = c.post(reverse("customers:registration_action", args=[reg.pk, "reject"]), {"reason": ""}, follow=True)
    assert Registration.objects.get().stage == Stage.COUNTY_REVIEW
    c.post(reverse("customers:registration_action", args=[reg.pk, "reject"]), {"reason": "地址有误"})
    page = text(login(cw["me"]).get(reverse("customers:registration_detail", args=[reg.pk])))
    assert "地址有误" in page and "重新申请" in page
    assert resp.status_code == 200


# --- 客户注册维护 and 重新申请 ----------------------------------------------------------------------


def test_maintenance_list_filters_own_applications(cw):
    submit(cw, name="甲公司")
    submit(cw, name="乙公司", industry="finance")
    submit(cw, applicant="peer", name="丙公司")
    c = login(cw["me"])
    url = reverse("customers:registration_list")
    assert {r.name for r in c.get(url).context["page"].rows} == {"甲公司", "乙公司"}
    assert [r.name for r in c.get(url, {"name": "乙"}).context["page"].rows] == ["乙公司"]
    assert [r.name for r in c.get(url, {"industry": "finance"}).context["page"].rows] == ["乙公司"]
    assert c.get(url, {"submitted_from": "2000-01-01", "submitted_to": "2000-01-02"}).context["page"].rows == []


def test_edit_basic_info_only_while_open_and_entered_by_hand(cw):
    reg = submit(cw)
    c = login(cw["me"])
    url = reverse("customers:registration_edit", args=[reg.pk])
    data = {**customer_data(cw, name="长江物流集团"), "county": cw.unit("county_2").pk}
    assert c.post(url, data).status_code == 302
    reg.refresh_from_db()
    assert reg.name == "长江物流集团"
    detail = reverse("customers:registration_detail", args=[reg.pk])
    assert c.get(detail).context["edit_url"] == url
    reg = approve_all(cw, reg, "rev_county", "rev_city", "rev_city")
    assert c.get(detail).context["edit_url"] == ""
    resp = c.post(url, {**data, "name": "又改名"})
    assert resp.status_code == 200 and resp.context["form"].non_field_errors()
    reg.refresh_from_db()
    assert reg.name == "长江物流集团"


def test_reapply_three_steps_nothing_saved_until_confirm(cw):
    reg = services.registration_reject(user=cw["rev_county"], registration=submit(cw), reason="联系电话有误")
    c = login(cw["me"])
    url = reverse("customers:registration_reapply", args=[reg.pk])
    page = text(c.get(url))
    assert "联系电话有误" in page  # the last opinions are shown
    data = {**customer_data(cw, phone="027-11112222"), "county": cw.unit("county_2").pk, "step": "1"}
    resp = c.post(url, data)
    assert resp.context["step"] == 2 and "联系电话有误" in text(resp)
    resp = c.post(url, {**relationship(cw), "step": "2", "wizard": resp.context["wizard"]})
    assert resp.context["step"] == 3
    reg.refresh_from_db()
    assert reg.stage == Stage.REJECTED and reg.customer_data["phone"] == "027-12345678"  # not saved yet
    resp = c.post(url, {"step": "3", "wizard": resp.context["wizard"]})
    assert resp.status_code == 302
    reg.refresh_from_db()
    assert reg.stage == Stage.COUNTY_REVIEW and reg.customer_data["phone"] == "027-11112222"


def test_reapply_refused_to_others(cw):
    reg = services.registration_reject(user=cw["rev_county"], registration=submit(cw), reason="x")
    assert login(cw["peer"]).get(reverse("customers:registration_reapply", args=[reg.pk])).status_code in (403, 404)


# --- 客户信息维护 and 360 view ------------------------------------------------------------------


def test_customer_maintenance_and_360_view(cw):
    customer = approve_all(cw, submit(cw), "rev_county", "rev_city", "rev_city").customer
    c = login(cw["me"])
    rows = c.get(reverse("customers:customer_list")).context["page"].rows
    assert rows == [customer]
    page = text(c.get(reverse("customers:customer_detail", args=[customer.pk])))
    for part in ("4201001", "武汉长江物流有限公司", "张经理", "函件", 'data-panel="relationships"',
                 'data-panel="contacts"', 'data-panel="registrations"', 'data-panel="audit_history"'):
        assert part in page, part
    resp = c.post(reverse("customers:customer_edit", args=[customer.pk]), {
        **customer_data(cw), "county": cw.unit("county_2").pk, "is_headquarters": "on", "level": "normal",
        "status": "active"})
    assert resp.status_code == 302
    customer.refresh_from_db()
    assert customer.level == "diamond"  # R-CUST-1 on the maintenance page
    resp = c.post(reverse("customers:contact_create", args=[customer.pk]), {"name": "孙七", "phone": "13700000000"})
    assert resp.status_code == 302
    contact = customer.contacts.get(name="孙七")
    assert c.post(reverse("customers:contact_delete", args=[contact.pk])).status_code == 302
    assert not customer.contacts.filter(name="孙七").exists()
    resp = c.post(reverse("customers:relationship_create", args=[customer.pk]), {**relationship(cw)})
    assert resp.status_code == 302 and customer.relationships.count() == 2
    assert login(cw["peer"]).get(reverse("customers:customer_detail", args=[customer.pk])).status_code == 404


def test_manager_options_follow_department(cw):
    c = login(cw["me"])
    resp = c.get(reverse("customers:manager_options"), {"department": cw.unit("county_2").pk})
    page = text(resp)
    assert "sub" in page and ">me<" not in page and "（一区）" not in page


# --- 客户资料调取申请 / 共享客户信息查看 (R-CUST-5) ---------------------------------------------------


def test_r_cust_5_request_approval_and_shared_view(cw):
    customer = approve_all(cw, submit(cw), "rev_county", "rev_city", "rev_city").customer
    asker = login(cw["sub"])
    url = reverse("customers:access_request_create")
    assert "武汉长江物流有限公司" in text(asker.get(url, {"name": "长江"}))
    resp = asker.post(url, {"customer": customer.pk, "content": "all", "reason": "拓展速递业务"})
    assert resp.status_code == 302
    request = AccessRequest.objects.get()
    detail = reverse("customers:shared_detail", args=[request.pk])
    page = text(asker.get(detail))
    assert "待审批" in page and "kam-shared-basic" not in page and "kam-shared-business" not in page
    approver = login(cw["rev_city"])
    assert [r.pk for r in approver.get(reverse("customers:access_review_list")).context["page"].rows] == [request.pk]
    resp = approver.post(reverse("customers:access_review", args=[request.pk]), {
        "decision": "approve", "granted_content": "basic", "expires_on": "2999-12-31"})
    assert resp.status_code == 302
    page = text(asker.get(detail))
    assert "已通过" in page and "kam-shared-basic" in page and "4201001" in page
    assert "kam-shared-business" not in page and "张经理" not in page  # exactly the granted content
    rows = asker.get(reverse("customers:shared_list")).context["page"].rows
    assert [r.pk for r in rows] == [request.pk]


def test_r_cust_5_rejected_request_shows_nothing(cw):
    customer = approve_all(cw, submit(cw), "rev_county", "rev_city", "rev_city").customer
    request = services.access_request_create(user=cw["sub"], customer=customer, content="business", reason="x")
    resp = login(cw["rev_city"]).post(reverse("customers:access_review", args=[request.pk]),
                                      {"decision": "reject", "opinion": ""})
    assert resp.status_code == 200 and "opinion" in resp.context["reject_form"].errors
    login(cw["rev_city"]).post(reverse("customers:access_review", args=[request.pk]),
                               {"decision": "reject", "opinion": "理由不足"})
    page = text(login(cw["sub"]).get(reverse("customers:shared_detail", args=[request.pk])))
    assert "已驳回" in page and "kam-shared-business" not in page


# --- number segments and merge -----------------------------------------------------------------


def test_segment_pages(cw):
    from .conftest import give_role

    admin = login(give_role(cw["city_a"], "admin"))
    resp = admin.post(reverse("customers:segment_create"), {"org_unit": cw.unit("county_2").pk, "prefix": "4202",
                                                            "start": 1, "end": 500})
    assert resp.status_code == 302
    page = text(admin.get(reverse("customers:segment_list")))
    assert "4202001" in page and "4202500" in page
    resp = admin.post(reverse("customers:segment_create"), {"org_unit": cw.unit("county_2").pk, "prefix": "4202",
                                                            "start": 9, "end": 1})
    assert resp.status_code == 200 and resp.context["form"].errors


def test_merge_page(cw):
    from .conftest import give_role

    keep = approve_all(cw, submit(cw), "rev_county", "rev_city", "rev_city").customer
    dup = approve_all(cw, submit(cw, applicant="sub", name="武汉长江物流股份有限公司"),
                      "rev_county_2", "rev_city", "rev_city").customer
    admin = login(give_role(cw["city_a"], "admin"))
    page = text(admin.get(reverse("customers:customer_merge", args=[keep.pk])))
    assert "武汉长江物流股份有限公司" in page
    resp = admin.post(reverse("customers:customer_merge", args=[keep.pk]), {"remove": dup.pk})
    assert resp.status_code == 302
    assert not Customer.objects.filter(pk=dup.pk).exists() and keep.relationships.count() == 2


def test_home_shows_pending_reviews(cw):
    submit(cw)
    page = text(login(cw["rev_county"]).get(reverse("home")))
    assert "待您审批的客户注册申请" in page
    assert "待您审批的客户注册申请" not in text(login(cw["me"]).get(reverse("home")))


@pytest.mark.django_db
def test_list_pages_query_count_does_not_grow_with_rows(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.helpers.world import grant_role

    me = world.user("me")
    grant_role(me, "customers", "all")
    grant_role(me, "customer_registrations", "all")
    c = login(me)
    urls = ("customers:customer_list", "customers:registration_list")

    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(reverse(url)).status_code == 200
        return len(ctx.captured_queries)

    customers = records.customers(world)
    records.registrations(world)
    few = {u: count(u) for u in urls}
    template = customers["me"]
    for i in range(12):
        extra = Customer.objects.create(name=f"追加客户{i}", city=template.city, org_unit=template.org_unit,
                                        county=world.unit("county_1"), level="gold", industry="finance")
        extra.relationships.create(department=template.org_unit, manager=me)
    records.registrations(world)
    records.registrations(world)
    assert {u: count(u) for u in urls} == few
