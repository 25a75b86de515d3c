"""The registration review (R-CUST-4) and the data-access approval (R-CUST-5) run on the process
engine: reviewers find them in their task lists (我的待办), any action taken there — on the
customers pages or the generic task pages — has the same business effect."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from kam.customers import services
from kam.customers.models import (
    AccessContent,
    AccessGrant,
    AccessStatus,
    Customer,
    NumberSegment,
    Outcome,
    ReviewAction,
    Stage,
)
from kam.processes import selectors as process_selectors
from kam.processes import services as process_services
from kam.processes.models import InstanceStatus

from .conftest import approve_all, give_role, relationship, submit


def todo(cw, name: str) -> list:
    return list(process_selectors.tasks_todo(cw[name]))


def task_of(cw, name: str, registration):
    [task] = [t for t in todo(cw, name) if t.instance_id == registration.process_id]
    return task


def test_r_cust_4_submit_starts_the_process_and_the_county_reviewer_gets_the_task(cw):
    reg = submit(cw)
    assert reg.process is not None and reg.process.business_key == f"customer_registration:{reg.pk}"
    assert reg.process.data["source"] == "county"
    assert reg.process.snapshot["customer_data"]["name"] == "武汉长江物流有限公司"
    assert [t.node_name for t in todo(cw, "rev_county")] == ["区县预审"]
    assert [t.node_name for t in todo(cw, "rev_city")] == ["区县预审"]  # may take it straight
    for name in ("rev_county_2", "rev_city_b", "rev_bureau", "rev_province", "me"):
        assert todo(cw, name) == []


def test_r_cust_4_approval_path_through_every_stage_on_the_generic_task_pages(cw):
    """Approving through the process services (the 我的待办 pages) moves the stage and, at the
    end, issues the number: the business effect follows the process."""
    reg = submit(cw)
    for reviewer, node, stage_after in (("rev_county", "county_review", Stage.CITY_REVIEW),
                                        ("rev_city", "city_review", Stage.FINAL_REVIEW),
                                        ("rev_city", "final_review", Stage.APPROVED)):
        task = task_of(cw, reviewer, reg)
        assert task.node_id == node
        process_services.task_complete(user=cw[reviewer], task=task, action="approve", opinion="同意")
        reg.refresh_from_db()
        assert reg.stage == stage_after
    assert reg.customer.key_number == "4201001" and reg.key_number == "4201001"
    assert reg.process.status == InstanceStatus.COMPLETED
    assert list(reg.actions.values_list("stage", "action", "opinion")) == [
        ("county_review", "submit", ""), ("county_review", "approve", "同意"), ("city_review", "approve", "同意"),
        ("final_review", "approve", "同意")]


def test_r_cust_4_bureau_pre_review_goes_to_the_reviewer_of_the_applications_business_line(cw):
    reg = submit(cw, applicant="bureau_mgr")
    assert reg.process.data == {**reg.process.data, "source": "bureau", "business_line": "letters"}
    assert [t.node_name for t in todo(cw, "rev_bureau")] == ["市局专业局预审"]
    assert todo(cw, "rev_bureau_parcels") == []  # another business line
    assert todo(cw, "rev_county") == []
    reg = approve_all(cw, reg, "rev_bureau", "rev_city", "rev_province")  # 终审 by the province too
    assert reg.stage == Stage.APPROVED


def test_r_cust_4_final_review_by_the_city_or_the_province(cw):
    reg = approve_all(cw, submit(cw), "rev_county", "rev_city")
    assert [t.node_name for t in todo(cw, "rev_city")] == ["终审"]
    assert [t.node_name for t in todo(cw, "rev_province")] == ["终审"]
    reg = approve_all(cw, reg, "rev_province")
    assert reg.stage == Stage.APPROVED
    assert todo(cw, "rev_city") == []  # 或签: the other reviewer's task is closed


def test_r_cust_4_take_straight_is_logged_and_the_county_task_closes(cw):
    reg = services.registration_take(user=cw["rev_city"], registration=submit(cw), opinion="重点客户")
    assert reg.stage == Stage.CITY_REVIEW
    assert todo(cw, "rev_county") == []
    assert reg.actions.last().action == ReviewAction.Kind.TAKE


@pytest.mark.parametrize("reviewer,node,chain", [
    ("rev_county", "county_review", ()),
    ("rev_city", "county_review", ()),
    ("rev_city", "city_review", ("rev_county",)),
    ("rev_city", "final_review", ("rev_county", "rev_city")),
    ("rev_province", "final_review", ("rev_county", "rev_city")),
])
def test_every_rejection_point_through_the_task_list_closes_the_application_for_reapplying(cw, reviewer, node,
                                                                                          chain):
    reg = approve_all(cw, submit(cw), *chain)
    task = task_of(cw, reviewer, reg)
    assert task.node_id == node
    process_services.task_complete(user=cw[reviewer], task=task, action="reject", opinion="资料不全")
    reg.refresh_from_db()
    assert (reg.stage, reg.outcome, reg.can_reapply) == (Stage.REJECTED, Outcome.REJECTED, True)
    assert [(a.stage, a.opinion) for a in reg.last_opinions()][-1] == (node, "资料不全")
    assert not Customer.objects.exists()
    assert todo(cw, reviewer) == []
    reg = services.registration_reapply(user=cw["me"], registration=reg, relationship_data=relationship(cw))
    assert reg.stage == Stage.COUNTY_REVIEW and reg.process.status == InstanceStatus.RUNNING
    assert [t.node_id for t in todo(cw, "rev_county")] == ["county_review"]
    reg = approve_all(cw, reg, "rev_county", "rev_city", "rev_city")
    assert reg.customer.key_number == "4201001"


def test_development_failed_is_final(cw):
    reg = services.registration_reject(user=cw["rev_city"], registration=approve_all(cw, submit(cw), "rev_county"),
                                       reason="客户无意向", failed=True)
    assert (reg.stage, reg.outcome, reg.can_reapply) == (Stage.REJECTED, Outcome.FAILED, False)
    assert reg.process.status == InstanceStatus.REJECTED
    assert reg.actions.last().action == ReviewAction.Kind.FAIL


def test_send_back_from_first_review_returns_to_pre_review(cw):
    reg = approve_all(cw, submit(cw), "rev_county")
    process_services.task_send_back(user=cw["rev_city"], task=task_of(cw, "rev_city", reg), opinion="请区县复核")
    reg.refresh_from_db()
    assert reg.stage == Stage.COUNTY_REVIEW
    assert reg.actions.last().action == ReviewAction.Kind.SEND_BACK
    assert [t.node_id for t in todo(cw, "rev_county")] == ["county_review"]


def test_applicant_withdraws_and_may_reapply(cw):
    reg = submit(cw)
    with pytest.raises(PermissionDenied):
        services.registration_withdraw(user=cw["peer"], registration=reg)
    reg = services.registration_withdraw(user=cw["me"], registration=reg, opinion="信息有误")
    assert (reg.stage, reg.outcome, reg.can_reapply) == (Stage.REJECTED, Outcome.WITHDRAWN, True)
    assert todo(cw, "rev_county") == [] and reg.actions.last().action == ReviewAction.Kind.WITHDRAW


def test_final_approval_failing_on_the_number_leaves_the_task_open(cw):
    NumberSegment.objects.all().delete()
    reg = approve_all(cw, submit(cw), "rev_county", "rev_city")
    task = task_of(cw, "rev_city", reg)
    with pytest.raises(Exception) as exc:
        process_services.task_complete(user=cw["rev_city"], task=task, action="approve")
    assert "key_number" in exc.value.message_dict
    reg.refresh_from_db()
    assert reg.stage == Stage.FINAL_REVIEW and task_of(cw, "rev_city", reg).pk == task.pk


def test_review_entry_page_counts_the_reviewers_open_tasks(cw):
    submit(cw)
    approve_all(cw, submit(cw, name="第二家公司"), "rev_county")
    client = Client()
    client.force_login(cw["rev_city"])
    resp = client.get(reverse("customers:review_home"))
    counts = {c.stage: c.count for c in resp.context["counts"]}
    assert counts == {"county_review": 1, "bureau_review": 0, "city_review": 1, "final_review": 0}
    resp = client.get(reverse("customers:review_list", args=["city_review"]))
    assert "第二家公司" in resp.content.decode() and "武汉长江物流" not in resp.content.decode()


# --- 客户资料调取申请 on the process engine (R-CUST-5) -------------------------------------------


def _customer(cw):
    return approve_all(cw, submit(cw), "rev_county", "rev_city", "rev_city").customer


def test_r_cust_5_access_request_goes_to_the_centres_task_list_and_partial_grant(cw):
    customer = _customer(cw)
    request = services.access_request_create(user=cw["sub"], customer=customer, content=AccessContent.ALL,
                                             reason="联合营销")
    assert request.process.business_key == f"data_access:{request.pk}"
    assert [t.node_name for t in todo(cw, "rev_city")] == ["调取审批"]
    assert [t.node_name for t in todo(cw, "rev_province")] == ["调取审批"]
    assert todo(cw, "rev_city_b") == []
    request = services.access_request_approve(user=cw["rev_city"], request=request,
                                              granted_content=AccessContent.BASIC, opinion="只开放基本信息")
    assert (request.status, request.granted_content, request.approver) == (
        AccessStatus.APPROVED, AccessContent.BASIC, cw["rev_city"])
    assert request.opinion == "只开放基本信息"
    assert AccessGrant.objects.get(request=request).content == AccessContent.BASIC
    assert todo(cw, "rev_province") == []


def test_r_cust_5_decided_on_the_generic_task_page(cw):
    customer = _customer(cw)
    asked = services.access_request_create(user=cw["sub"], customer=customer, content=AccessContent.BUSINESS,
                                           reason="x")
    [task] = todo(cw, "rev_city")
    process_services.task_complete(user=cw["rev_city"], task=task, action="approve")
    asked.refresh_from_db()
    assert asked.status == AccessStatus.APPROVED and asked.granted_content == AccessContent.BUSINESS
    refused = services.access_request_create(user=cw["peer"], customer=customer, content=AccessContent.ALL,
                                             reason="y")
    [task] = todo(cw, "rev_province")
    process_services.task_complete(user=cw["rev_province"], task=task, action="reject", opinion="无必要")
    refused.refresh_from_db()
    assert (refused.status, refused.opinion, refused.approver) == (AccessStatus.REJECTED, "无必要", cw["rev_province"])
    assert not AccessGrant.objects.filter(request=refused).exists()


def test_r_cust_5_a_reviewer_without_a_task_cannot_decide(cw):
    customer = _customer(cw)
    request = services.access_request_create(user=cw["sub"], customer=customer, content=AccessContent.ALL,
                                             reason="x")
    for name in ("rev_city_b", "rev_county", "peer"):
        with pytest.raises(PermissionDenied):
            services.access_request_approve(user=cw[name], request=request)
    give_role(cw["rev_county"], "reviewer_city")  # a role given later does not reach a task dispatched before
    with pytest.raises(PermissionDenied):
        services.access_request_approve(user=cw["rev_county"], request=request)


def test_withdraw_on_the_page_and_through_the_api(cw):
    reg = submit(cw)
    client = Client()
    client.force_login(cw["me"])
    page = client.get(reverse("customers:registration_detail", args=[reg.pk])).content.decode()
    assert 'id="withdraw"' in page
    resp = client.post(reverse("customers:registration_withdraw", args=[reg.pk]), follow=True)
    assert resp.status_code == 200
    reg.refresh_from_db()
    assert reg.outcome == Outcome.WITHDRAWN and 'id="withdraw"' not in resp.content.decode()
    second = submit(cw, name="第二家公司")
    api = Client()
    api.force_login(cw["peer"])
    url = f"/api/v1/customers/registrations/{second.pk}/withdraw/"
    assert api.post(url, {}).status_code in (403, 404)
    api.force_login(cw["me"])
    resp = api.post(url, {"opinion": "重复申报"})
    assert resp.status_code == 200 and resp.json()["outcome"] == "withdrawn"
    assert resp.json()["actions"][-1]["action"] == "withdraw"


def test_open_applications_without_a_process_start_their_review_again(cw):
    """Applications made before the review ran on the process engine (no process) start it again
    from the first stage with ``manage.py customers_resume_reviews``; a second run finds none."""
    from io import StringIO

    from django.core.management import call_command

    reg = submit(cw)
    old = reg.process
    type(reg).objects.filter(pk=reg.pk).update(process=None, stage=Stage.FINAL_REVIEW)
    old.delete()
    out = StringIO()
    call_command("customers_resume_reviews", "--dry-run", stdout=out)
    assert f"would start the review of 1 application(s): [{reg.pk}]" in out.getvalue()
    assert todo(cw, "rev_county") == []
    call_command("customers_resume_reviews", stdout=out)
    reg.refresh_from_db()
    assert reg.process is not None and reg.stage == Stage.COUNTY_REVIEW
    assert [t.node_name for t in todo(cw, "rev_county")] == ["区县预审"]
    assert reg.actions.filter(action=ReviewAction.Kind.SUBMIT).count() == 2
    out = StringIO()
    call_command("customers_resume_reviews", stdout=out)
    assert "started the review of 0 application(s)" in out.getvalue()
