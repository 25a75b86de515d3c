"""The shipped process definitions (R-PROC, REQUIREMENTS §9 流程管理; issue 4 item 7): each parses,
is loaded after migrate, active, loaded only once, listed on 流程定义 and 发起流程, and can be started
from the start form into the first handler's 我的待办."""

import json

import pytest
from django.core.management import call_command
from django.test import Client

from kam.processes import assignees, engine
from kam.processes.loader import DEFINITIONS_DIR, load_shipped_definitions
from kam.processes.models import ProcessDefinition, ProcessInstance, VersionStatus

from .shipped_helpers import make_cast

SHIPPED = {
    "complaint_handling": ("投诉处理流程", "服务管理流程"),
    "fault_handling": ("故障处理流程", "服务管理流程"),
    "service_request": ("服务请求处理流程", "服务管理流程"),
    "overall_sales": ("总体销售流程", "销售管理流程"),
    "marketing_plan": ("营销计划管理流程", "市场营销流程"),
    "marketing_campaign": ("营销活动管理流程", "市场营销流程"),
    "virtual_team": ("虚拟销售团队工作流程", "市场营销流程"),
}


@pytest.mark.parametrize("code", sorted(SHIPPED))
def test_shipped_file_parses_and_its_configuration_is_valid(code):
    """R-PROC: the diagram passes the engine's checks (restricted conditions, no scripts) and every
    step is configured (approver, time limit) without problems."""
    diagram = engine.parse((DEFINITIONS_DIR / f"{code}.bpmn").read_text(encoding="utf-8"))
    meta = json.loads((DEFINITIONS_DIR / f"{code}.json").read_text(encoding="utf-8"))
    assert diagram.process_id == code and (diagram.name, meta["category"]) == SHIPPED[code]
    assert meta["name"] == SHIPPED[code][0]
    config = meta["node_config"]
    assert assignees.validate_node_config(config, list(diagram.user_tasks), list(diagram.service_tasks)) == []
    assert set(config) == set(diagram.node_ids())
    assert all(config[node].get("time_limit_hours") for node in diagram.node_ids())
    assert all("approver" in config[node] for node in diagram.user_tasks)


@pytest.mark.django_db
def test_shipped_definitions_are_active_after_migrate_and_load_once():
    """R-PROC: migrate loads them (post_migrate), each with one active version 1; loading again
    adds nothing."""
    call_command("migrate", verbosity=0)
    for code, (name, category) in SHIPPED.items():
        definition = ProcessDefinition.objects.get(code=code)
        assert (definition.name, definition.category) == (name, category)
        active = definition.active_version
        assert active is not None and active.status == VersionStatus.ACTIVE and active.number == 1
        assert definition.versions.count() == 1
    assert load_shipped_definitions() == []
    assert {d.code: d.versions.count() for d in ProcessDefinition.objects.filter(code__in=SHIPPED)} == dict.fromkeys(
        SHIPPED, 1)


def test_definition_list_and_start_list_show_the_shipped_processes(pworld, django_user_model):
    """流程定义 (administrator) lists every shipped process with its active version; 发起流程 offers
    them to an account manager."""
    admin = django_user_model.objects.create_superuser("root", password="x", name="管理员",
                                                     must_change_password=False)
    c = Client()
    c.force_login(admin)
    page = c.get("/processes/definitions/?per_page=100").content.decode()
    for name, category in SHIPPED.values():
        assert name in page and category in page
    cast = make_cast(pworld)
    c.force_login(cast.am)
    page = c.get("/processes/start/").content.decode()
    for name, _category in SHIPPED.values():
        assert name in page


def test_complaint_started_from_the_start_form_reaches_the_centre_inbox(pworld):
    """发起流程 → 投诉处理流程: without the 投诉等级 the form says which value the process needs;
    with it, the county's 大客户中心 finds 受理 in 我的待办 and opens it."""
    cast = make_cast(pworld)
    c = Client()
    c.force_login(cast.am)
    resp = c.post("/processes/start/complaint_handling/", {"business_key": "TS-9", "title": "客户投诉 9",
                                                          "data": "{}"})
    assert resp.status_code == 200 and "severity" in resp.content.decode()
    assert not ProcessInstance.objects.filter(business_key="TS-9").exists()
    resp = c.post("/processes/start/complaint_handling/", {
        "business_key": "TS-9", "title": "客户投诉 9", "data": json.dumps({"severity": "一般"})}, follow=True)
    assert resp.status_code == 200 and "客户投诉 9" in resp.content.decode()
    centre = Client()
    centre.force_login(cast.centre)
    resp = centre.get("/processes/tasks/")
    [task] = resp.context["page"].rows
    assert "客户投诉 9" in resp.content.decode() and "受理" in resp.content.decode()
    detail = centre.get(f"/processes/tasks/{task.pk}/").content.decode()
    assert "受理" in detail and "驳回" in detail and "同意" in detail
