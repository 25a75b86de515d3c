"""Pages and API of 流程管理: permission matrix on every list/detail (R-PERM-1), the task inbox
through two users, the designer's save endpoint, the home panel."""

import json

import pytest
from django.test import Client

from kam.core import clock
from kam.processes import services
from kam.processes.loader import DEFINITIONS_DIR
from kam.processes.models import (
    HumanTask,
    InstanceStatus,
    ProcessDefinition,
    ProcessInstance,
    ProcessVersion,
    TaskStatus,
)
from tests.helpers.matrix import (
    WORLD_USERS,
    api_detail_probe,
    api_list_probe,
    page_detail_probe,
    page_list_probe,
    run_matrix,
)

TWO_STEP = (DEFINITIONS_DIR / "two_step_approval.bpmn").read_text(encoding="utf-8")


def _instances(world):
    version = ProcessDefinition.objects.get(code="two_step_approval").active_version
    return {label: ProcessInstance.objects.create(
        version=version, business_key=f"K-{label}", starter=world.user(label),
        starter_unit=world.user(label).org_unit, started_at=clock.now()) for label in WORLD_USERS}


def test_instance_pages_and_api_follow_the_data_scope(world):
    """R-PERM-1: 流程实例 by the starter's org unit and the starter."""
    records = _instances(world)
    run_matrix(world, "processes", records, [
        page_list_probe("/processes/instances/"),
        page_detail_probe(lambda o: f"/processes/instances/{o.pk}/"),
        api_list_probe("/api/v1/processes/instances/"),
        api_detail_probe(lambda o: f"/api/v1/processes/instances/{o.pk}/"),
    ])


def test_task_api_follows_the_data_scope(world):
    instances = _instances(world)
    records = {label: HumanTask.objects.create(instance=inst, node_id="supervisor_review", node_name="主管审批",
                                               assignee=None, created_at=clock.now())
               for label, inst in instances.items()}
    run_matrix(world, "processes", records, [
        api_list_probe("/api/v1/processes/tasks/"),
        api_detail_probe(lambda o: f"/api/v1/processes/tasks/{o.pk}/"),
    ])


def test_definition_pages_need_the_definitions_grant(world):
    """流程定义 is not tied to the org tree: any effective grant shows every definition."""
    ProcessDefinition.objects.all().delete()
    records = {label: ProcessDefinition.objects.create(code=f"def-{label}", name=f"流程{label}")
               for label in WORLD_USERS}
    everyone = set(WORLD_USERS)
    expected = {scope: everyone for scope in ("all", "custom", "unit", "subtree", "own", "own_sub", "two_roles")}
    run_matrix(world, "process_definitions", records, [
        page_list_probe("/processes/definitions/"),
        page_detail_probe(lambda o: f"/processes/definitions/{o.pk}/"),
    ], expected=expected)


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def test_two_users_handle_tasks_in_the_inbox(pworld):
    """我的待办 → 办理 (同意) → 我的已办; the next step appears in the leader's inbox; history shown."""
    boss = pworld.user("city_a")
    type(pworld.unit("county_2")).objects.filter(pk=pworld.unit("county_2").pk).update(head=boss)
    inst = services.instance_start(user=pworld.user("sub"), definition_code="two_step_approval",
                                   business_key="EXP-9", title="差旅报销 9", data={"金额": 300})
    me = _client(pworld.user("me"))
    resp = me.get("/processes/tasks/")
    assert resp.status_code == 200
    [task] = resp.context["page"].rows
    assert "差旅报销 9" in resp.content.decode() and "主管审批" in resp.content.decode()
    home = me.get("/").content.decode()
    assert "我的流程待办" in home and "差旅报销 9" in home
    page = me.get(f"/processes/tasks/{task.pk}/").content.decode()
    assert "同意" in page and "驳回" in page and "金额" in page
    resp = me.post(f"/processes/tasks/{task.pk}/", {"action": "approve", "opinion": "情况属实",
                                                    "version": task.version}, follow=True)
    assert "已同意" in resp.content.decode()
    assert list(me.get("/processes/tasks/").context["page"].rows) == []
    done = me.get("/processes/tasks/?tab=done")
    assert [t.pk for t in done.context["page"].rows] == [task.pk]
    # The same form sent again (another tab): told clearly, nothing changes.
    resp = me.post(f"/processes/tasks/{task.pk}/", {"action": "approve", "version": task.version}, follow=True)
    assert "该任务已被处理" in resp.content.decode()
    leader = _client(boss)
    [task2] = leader.get("/processes/tasks/").context["page"].rows
    assert task2.node_name == "领导审批"
    resp = leader.post(f"/processes/tasks/{task2.pk}/", {"action": "reject", "opinion": "",
                                                         "version": task2.version}, follow=True)
    assert "请填写驳回原因" in resp.content.decode()
    leader.post(f"/processes/tasks/{task2.pk}/", {"action": "reject", "opinion": "超标准",
                                                   "version": task2.version})
    inst.refresh_from_db()
    assert inst.status == InstanceStatus.REJECTED
    detail = _client(pworld.user("sub")).get(f"/processes/instances/{inst.pk}/").content.decode()
    assert "已驳回" in detail and "超标准" in detail and "情况属实" in detail
    assert 'id="kam-bpmn-viewer"' in detail
    xml = _client(pworld.user("sub")).get(f"/processes/instances/{inst.pk}/diagram/")
    assert xml.status_code == 200 and b"supervisor_review" in xml.content
    # Someone with no part in it sees neither the task nor the instance.
    other = _client(pworld.user("other"))
    assert other.get(f"/processes/tasks/{task.pk}/").status_code == 404
    assert other.get(f"/processes/instances/{inst.pk}/").status_code == 404


def test_withdraw_from_the_instance_page(pworld):
    inst = services.instance_start(user=pworld.user("sub"), definition_code="two_step_approval", business_key="W9")
    resp = _client(pworld.user("sub")).post(f"/processes/instances/{inst.pk}/withdraw/", follow=True)
    assert "申请已撤回" in resp.content.decode()
    inst.refresh_from_db()
    assert inst.status == InstanceStatus.WITHDRAWN


def test_api_start_list_and_complete(pworld):
    sub = _client(pworld.user("sub"))
    resp = sub.post("/api/v1/processes/instances/", {"definition_code": "two_step_approval", "business_key": "WO-1",
                                                     "title": "工单 1", "data": {"amount": 5}},
                    content_type="application/json")
    assert resp.status_code == 201, resp.content
    assert resp.json()["current_nodes"] == ["supervisor_review"]
    bad = sub.post("/api/v1/processes/instances/", {"definition_code": "nope", "business_key": "X"},
                   content_type="application/json")
    assert bad.status_code == 400 and "definition_code" in bad.json()
    me = _client(pworld.user("me"))
    [row] = me.get("/api/v1/processes/tasks/", {"mine": "todo"}).json()["results"]
    assert row["node_name"] == "主管审批" and row["instance"]["business_key"] == "WO-1"
    url = f"/api/v1/processes/tasks/{row['id']}/complete/"
    ok = me.post(url, {"action": "approve", "opinion": "好", "version": row["version"]},
                 content_type="application/json")
    assert ok.status_code == 200 and ok.json()["status"] == TaskStatus.DONE
    again = me.post(url, {"action": "approve", "version": row["version"]}, content_type="application/json")
    assert again.status_code == 400 and "该任务已被处理" in json.dumps(again.json(), ensure_ascii=False)
    assert me.get("/api/v1/processes/tasks/", {"mine": "done"}).json()["results"][0]["id"] == row["id"]
    detail = sub.get(f"/api/v1/processes/instances/{resp.json()['id']}/").json()
    assert [e["action"] for e in detail["events"]][:3] == ["start", "assign", "approve"]


@pytest.fixture
def designer(world):
    from tests.helpers.world import grant_role

    grant_role(world.user("me"), "process_definitions", "all")
    return _client(world.user("me"))


def test_designer_saves_a_new_version_or_says_what_is_wrong(designer, world):
    page = designer.get("/processes/designer/")
    assert page.status_code == 200 and "bpmn-modeler.production.min.js" in page.content.decode()
    resp = designer.post("/processes/designer/save/", json.dumps({
        "xml": TWO_STEP, "node_config": json.dumps({"supervisor_review": {"approver": {"kind": "superior"}}}),
        "name": "两级审批"}), content_type="application/json")
    assert resp.status_code == 200, resp.content
    assert "版本 2" in resp.json()["message"]
    version = ProcessVersion.objects.get(pk=resp.json()["id"])
    assert version.created_by == world.user("me") and version.node_config["supervisor_review"]
    bad = designer.post("/processes/designer/save/", json.dumps({"xml": "<bpmn", "node_config": "{}"}),
                        content_type="application/json")
    assert bad.status_code == 400 and "流程图无效" in bad.json()["errors"]["bpmn_xml"][0]
    bad_cfg = designer.post("/processes/designer/save/", json.dumps({"xml": TWO_STEP, "node_config": "{oops"}),
                            content_type="application/json")
    assert bad_cfg.status_code == 400 and "JSON" in json.dumps(bad_cfg.json(), ensure_ascii=False)
    # Activation from the definition page.
    resp = designer.post(f"/processes/versions/{version.pk}/activate/", follow=True)
    assert "已启用" in resp.content.decode()
    assert version.definition.active_version == version
    assert designer.get(f"/processes/versions/{version.pk}/xml/").content.decode() == TWO_STEP


def test_designer_save_needs_the_change_grant(world):
    from tests.helpers.world import grant_role

    grant_role(world.user("me"), "process_definitions", "all", actions=("view",))
    c = _client(world.user("me"))
    assert c.get("/processes/designer/").status_code == 200
    resp = c.post("/processes/designer/save/", json.dumps({"xml": TWO_STEP}), content_type="application/json")
    assert resp.status_code == 403


def test_delegate_and_copy_from_the_task_page(pworld):
    services.instance_start(user=pworld.user("sub"), definition_code="two_step_approval", business_key="DC",
                            title="委派测试")
    me = _client(pworld.user("me"))
    [task] = me.get("/processes/tasks/").context["page"].rows
    resp = me.post(f"/processes/tasks/{task.pk}/", {"action": "cc", "to_user": "other", "opinion": "请知悉"},
                   follow=True)
    assert "已抄送给 other" in resp.content.decode()
    copies = _client(pworld.user("other")).get("/processes/tasks/copied/")
    assert [e.instance_id for e in copies.context["page"].rows] == [task.instance_id]
    assert "委派测试" in copies.content.decode()
    resp = me.post(f"/processes/tasks/{task.pk}/", {"action": "delegate", "to_user": "nobody"}, follow=True)
    assert "没有该账号的有效用户" in resp.content.decode()
    me.post(f"/processes/tasks/{task.pk}/", {"action": "delegate", "to_user": "peer", "version": task.version})
    peer = _client(pworld.user("peer"))
    page = peer.get(f"/processes/tasks/{task.pk}/").content.decode()
    assert "委派人" in page and 'value="delegate"' not in page


def test_task_lists_never_load_the_engine_state(pworld):
    """Listing tasks (page, API, home panel) reads our tables only: no engine state, no diagram."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for i in range(3):
        services.instance_start(user=pworld.user("sub"), definition_code="two_step_approval", business_key=f"Q{i}")
    me = _client(pworld.user("me"))
    for url in ("/processes/tasks/", "/api/v1/processes/tasks/?mine=todo", "/", "/processes/instances/"):
        with CaptureQueriesContext(connection) as ctx:
            assert me.get(url).status_code == 200
        sql = " ".join(q["sql"] for q in ctx.captured_queries)
        assert "engine_state" not in sql and "bpmn_xml" not in sql, url


def test_add_and_remove_approvers_from_the_task_page(pworld):
    services.instance_start(user=pworld.user("sub"), definition_code="two_step_approval", business_key="AR")
    me = _client(pworld.user("me"))
    [task] = me.get("/processes/tasks/").context["page"].rows
    resp = me.post(f"/processes/tasks/{task.pk}/", {"action": "add_after", "to_user": "peer"}, follow=True)
    assert "peer 已加为审批人" in resp.content.decode()
    page = me.get(f"/processes/tasks/{task.pk}/").content.decode()
    assert "本环节其他审批人" in page
    [other] = list(HumanTask.objects.filter(instance=task.instance, assignee=pworld.user("peer")))
    resp = me.post(f"/processes/tasks/{task.pk}/", {"action": "remove_signer", "removed": other.pk}, follow=True)
    assert "已减签" in resp.content.decode()
    other.refresh_from_db()
    assert other.status == TaskStatus.CANCELLED
