"""Pages and API of result confirmation and appeals — REQUIREMENTS §7 beyond seeds, decision 0026:
发布考核结果, 考核结果确认, the scorecard and the result query with the confirmation state, 申诉管理, the
task page of the reviewer, ``/api/v1/assessment/…``; the permission matrix (R-PERM-1, R-PERM-2) on
the appeal and confirmation lists."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.test import Client
from django.urls import reverse

from kam.assessment import appeals
from kam.assessment.models import Appeal, AppealStatus, ConfirmationState, Publication, ResultConfirmation
from tests.helpers.matrix import api_detail_probe, api_list_probe, page_detail_probe, page_list_probe, run_matrix

from .appeals_fixtures import (
    IN_WINDOW,
    PUBLISH_DAY,
    SUB_TOTAL,
    confirmation_of,
    result_of,
    task_in_list,
)
from .conftest import MONTH, at

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text(resp) -> str:
    assert resp.status_code == 200, resp.status_code
    return resp.content.decode()


# --- pages ---------------------------------------------------------------------------------------------------------


def test_publish_page(appeals_computed):
    admin = client_for(appeals_computed.user("asm_admin"))
    with at(PUBLISH_DAY):
        runs = text(admin.get(reverse("assessment:run_list")))
        assert "发布考核结果" in runs and reverse("assessment:publication_create") in runs
        page = text(admin.get(reverse("assessment:publication_create")))
        assert "2026-04-15" in page and "自动确认" in page
        resp = admin.post(reverse("assessment:publication_create"), {"period": MONTH})
        assert resp.status_code == 302
        listing = text(admin.get(resp["Location"]))
    assert "2026-03的考核结果已发布：6条待确认，截止2026-04-15。" in listing
    assert "确认中" in listing
    assert Publication.objects.get().result_count == 6
    with at(PUBLISH_DAY):  # the account manager may not publish
        assert client_for(appeals_computed.user("sub")).get(reverse("assessment:publication_create")).status_code == 403


def test_manager_confirms_from_the_confirmation_page(appeals_published):
    sub = client_for(appeals_published.user("sub"))
    with at(IN_WINDOW):
        page = text(sub.get(reverse("assessment:confirmation_list")))
        assert "考核结果确认" in page and "待确认" in page and "45.30" in page
        rows = sub.get(reverse("assessment:confirmation_list")).context["page"].rows
        assert [r.subject_label for r in rows] == ["sub"]  # only the user's own results
        url = reverse("assessment:confirmation_confirm", args=[rows[0].pk])
        assert "确认后不能再申诉" in text(sub.get(url))
        resp = sub.post(url)
        assert resp.status_code == 302
        page = text(sub.get(resp["Location"]))
    assert "您2026-03的考核结果已确认。" in page and "已确认" in page
    assert confirmation_of(appeals_published, "sub").state == ConfirmationState.CONFIRMED
    # Another manager's confirmation is not reachable.
    with at(IN_WINDOW):
        other = confirmation_of(appeals_published, "peer")
        assert sub.post(reverse("assessment:confirmation_confirm", args=[other.pk])).status_code == 404


def test_scorecard_and_result_query_show_the_confirmation_state(appeals_published):
    world = appeals_published
    result = result_of(world, "sub")
    sub, me = client_for(world.user("sub")), client_for(world.user("me"))
    with at(IN_WINDOW):
        card = text(sub.get(reverse("assessment:result_detail", args=[result.pk])))
        assert "确认状态" in card and "待确认" in card and "kam-confirm" in card and "kam-appeal" in card
        card = text(me.get(reverse("assessment:result_detail", args=[result.pk])))
        assert "待确认" in card and "kam-confirm\"" not in card  # the supervisor sees, does not confirm
        resp = sub.post(reverse("assessment:confirmation_confirm", args=[confirmation_of(world, "sub").pk]),
                        {"next": reverse("assessment:result_detail", args=[result.pk])})
        assert resp["Location"] == reverse("assessment:result_detail", args=[result.pk])
        listing = me.get(reverse("assessment:result_list"), {"period": MONTH})
        states = {r.subject_label: r.confirmation_state for r in listing.context["page"].rows}
        assert states == {"me": "pending", "sub": "confirmed"}
        assert "确认状态" in text(listing)
        pending = me.get(reverse("assessment:result_list"), {"confirmation": "pending"}).context["page"].rows
        assert [r.subject_label for r in pending] == ["me"]
        resp = me.post(reverse("assessment:confirmation_confirm", args=[confirmation_of(world, "me").pk]),
                       {"next": "https://elsewhere.example/"})  # no redirect off the site
        assert resp["Location"] == reverse("assessment:confirmation_list")


def test_appeal_from_the_page_decided_on_the_reviewers_task_page(appeals_published):
    """The manager appeals from 考核结果确认; the supervisor answers 主管审核 on the task page with the
    step data; the manager sees the decision and the adjusted total."""
    world = appeals_published
    sub, me = client_for(world.user("sub")), client_for(world.user("me"))
    confirmation = confirmation_of(world, "sub")
    with at(IN_WINDOW):
        form = text(sub.get(reverse("assessment:appeal_create", args=[confirmation.pk])))
        assert "客户拜访次数" in form and "申诉理由" in form
        resp = sub.post(reverse("assessment:appeal_create", args=[confirmation.pk]),
                        {"reason": "拜访记录漏计2次", "indicator_name": "客户拜访次数", "expected_score": "48.3"})
        assert resp.status_code == 302, resp.content.decode()[:2000]
        detail = text(sub.get(resp["Location"]))
        assert "审核中" in detail and "申诉中" in detail and "kam-appeal-withdraw" in detail
        listing = me.get(reverse("assessment:appeal_list"))
        assert [a.subject_label for a in listing.context["page"].rows] == ["sub"]
        task = task_in_list(world.user("me"), "主管审核")
        task_page = text(me.get(reverse("processes:task_detail", args=[task.pk])))
        assert "调整分值" in task_page
        resp = me.post(reverse("processes:task_detail", args=[task.pk]), {
            "action": "approve", "version": task.version, "opinion": "同意",
            "step-adjust_delta": "3", "step-decision_reason": "核实漏计2次拜访"})
        assert resp.status_code == 302
        appeal = Appeal.objects.get()
        detail = text(sub.get(reverse("assessment:appeal_detail", args=[appeal.pk])))
    assert appeal.status == AppealStatus.ACCEPTED
    assert "已采纳" in detail and "核实漏计2次拜访" in detail and "申诉结束" in detail
    assert "kam-process-history" in detail and "调整理由" in detail  # the history with the step data
    assert result_of(world, "sub").total == SUB_TOTAL + 3


def test_appellant_withdraws_from_the_appeal_page(appeals_published):
    world = appeals_published
    with at(IN_WINDOW):
        appeal = appeals.appeal_create(user=world.user("sub"), confirmation=confirmation_of(world, "sub"),
                                       reason="拜访记录漏计")
        me = client_for(world.user("me"))
        me.post(reverse("assessment:appeal_withdraw", args=[appeal.pk]))
        appeal.refresh_from_db()
        assert appeal.status == AppealStatus.OPEN  # only the appellant withdraws
        sub = client_for(world.user("sub"))
        resp = sub.post(reverse("assessment:appeal_withdraw", args=[appeal.pk]))
        assert "申诉已撤回。" in text(sub.get(resp["Location"]))
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.WITHDRAWN
    assert confirmation_of(world, "sub").state == ConfirmationState.PENDING


# --- API -----------------------------------------------------------------------------------------------------------


def test_api_publish_confirm_appeal_withdraw(appeals_computed):
    world = appeals_computed
    admin, sub, peer = (client_for(world.user(n)) for n in ("asm_admin", "sub", "peer"))
    with at(PUBLISH_DAY):
        resp = admin.post("/api/v1/assessment/publications/", {"period": MONTH}, content_type="application/json")
        assert resp.status_code == 201, resp.content
        assert resp.json()["deadline"] == "2026-04-15" and resp.json()["result_count"] == 6
        assert sub.post("/api/v1/assessment/publications/", {"period": MONTH},
                        content_type="application/json").status_code == 403
    peer_result, sub_result = result_of(world, "peer"), result_of(world, "sub")
    with at(IN_WINDOW):
        admin, sub = client_for(world.user("asm_admin")), client_for(world.user("sub"))  # sessions expire
        assert peer.get(f"/api/v1/assessment/results/{peer_result.pk}/").json()["confirmation_state"] == "pending"
        resp = peer.post(f"/api/v1/assessment/results/{peer_result.pk}/confirm/")
        assert resp.status_code == 200 and resp.json()["state"] == "confirmed"
        assert peer.get(f"/api/v1/assessment/results/{peer_result.pk}/").json()["confirmation_state"] == "confirmed"
        assert peer.post(f"/api/v1/assessment/results/{sub_result.pk}/confirm/").status_code == 404
        resp = sub.post(f"/api/v1/assessment/results/{sub_result.pk}/appeal/", {"reason": ""},
                        content_type="application/json")
        assert resp.status_code == 400, resp.content
        resp = sub.post(f"/api/v1/assessment/results/{sub_result.pk}/appeal/",
                        {"reason": "拜访记录漏计", "indicator_name": "客户拜访次数", "expected_score": "48.3"},
                        content_type="application/json")
        assert resp.status_code == 201, resp.content
        body = resp.json()
        assert (body["status"], body["result_state"], body["expected_score"]) == ("open", "appealing", "48.30")
        resp = sub.post(f"/api/v1/assessment/results/{sub_result.pk}/appeal/", {"reason": "再次"},
                        content_type="application/json")
        assert resp.status_code == 400 and "已有申诉正在审核中" in resp.content.decode()
        assert [a["id"] for a in sub.get("/api/v1/assessment/appeals/").json()["results"]] == [body["id"]]
        states = {c["subject_label"]: c["state"] for c in
                  sub.get("/api/v1/assessment/confirmations/").json()["results"]}
        assert states == {"sub": "appealing"}
        resp = sub.post(f"/api/v1/assessment/appeals/{body['id']}/withdraw/", {"reason": "核实无误"},
                        content_type="application/json")
        assert resp.status_code == 200 and resp.json()["status"] == "withdrawn"
        resp = admin.post(f"/api/v1/assessment/publications/{Publication.objects.get().pk}/withdraw/",
                          {"reason": "重新计算"}, content_type="application/json")
        assert resp.status_code == 200 and resp.json()["withdrawn_at"]
    schema = admin.get("/api/v1/schema/").content.decode()
    for path in ("/api/v1/assessment/results/{id}/confirm/", "/api/v1/assessment/results/{id}/appeal/",
                 "/api/v1/assessment/appeals/{id}/withdraw/", "/api/v1/assessment/publications/"):
        assert path in schema


# --- permission matrix ---------------------------------------------------------------------------------------------


def test_permission_matrix_appeals_and_confirmations(appeals_published):
    """R-PERM-1 / R-PERM-2 on 申诉管理 (page and API) and the confirmations API: an appeal per world
    user, each placed at that user's unit and owned by them."""
    world = appeals_published
    names = ("me", "peer", "dept", "sub", "city_a", "other")
    with at(IN_WINDOW):
        records = {n: appeals.appeal_create(user=world.user(n), confirmation=confirmation_of(world, n),
                                            reason=f"{n}的申诉") for n in names}
    run_matrix(world, "assessment", records, [
        page_list_probe(reverse("assessment:appeal_list")),
        page_detail_probe(lambda o: reverse("assessment:appeal_detail", args=[o.pk])),
        api_list_probe("/api/v1/assessment/appeals/"),
        api_detail_probe(lambda o: f"/api/v1/assessment/appeals/{o.pk}/"),
    ])
    confirmations = {n: ResultConfirmation.objects.get(user=world.user(n)) for n in names}
    run_matrix(world, "assessment", confirmations, [api_list_probe("/api/v1/assessment/confirmations/")])


def test_expected_score_is_checked(appeals_published):
    world = appeals_published
    with at(IN_WINDOW):
        sub = client_for(world.user("sub"))
        resp = sub.post(reverse("assessment:appeal_create", args=[confirmation_of(world, "sub").pk]),
                        {"reason": "x", "expected_score": "250"})
        assert "期望分值请输入0至200之间的数" in text(resp)
    assert not Appeal.objects.exists()
    assert D(0) <= SUB_TOTAL
