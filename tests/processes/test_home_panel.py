"""The home page panel 我的流程待办 (R-PROC, 工作派发): a user's own open tasks and the pool tasks
(待领取) waiting for them to claim are both counted and listed."""

import re

from django.test import Client

from kam.processes import services
from kam.processes.loader import DEFINITIONS_DIR
from kam.processes.selectors import tasks_claimable

TWO_STEP = (DEFINITIONS_DIR / "two_step_approval.bpmn").read_text(encoding="utf-8")


def _definition(code, node_config):
    xml = TWO_STEP.replace('id="two_step_approval"', f'id="{code}"').replace(
        'bpmnElement="two_step_approval"', f'bpmnElement="{code}"')
    version = services.definition_save(user=None, xml=xml, node_config=node_config, name=f"首页待办 {code}")
    services.version_activate(user=None, version=version)


def _home(user):
    client = Client()
    client.force_login(user)
    html = client.get("/").content.decode()
    start = html.find("我的流程待办")
    if start < 0:
        return None, html
    count = re.search(r'kam-panel-count">(\d+)<', html[start - 600:start + 600])
    return (int(count.group(1)) if count else None), html


def test_pool_tasks_are_counted_in_the_home_panel(pworld):
    """R-PROC: 待领取 pool tasks count in 我的流程待办 for every candidate until one claims them."""
    me, peer, other = pworld.user("me"), pworld.user("peer"), pworld.user("other")
    _definition("home_pool", {"supervisor_review": {"approver": {"kind": "user", "users": ["me", "peer"]},
                                                   "dispatch": "pool"},
                              "leader_review": {"approver": {"kind": "user", "users": ["dept"]}}})
    _definition("home_own", {"supervisor_review": {"approver": {"kind": "user", "users": ["me"]}},
                             "leader_review": {"approver": {"kind": "user", "users": ["dept"]}}})
    services.instance_start(user=pworld.user("sub"), definition_code="home_pool", business_key="HP-1",
                            title="专线开通 1")
    services.instance_start(user=pworld.user("sub"), definition_code="home_pool", business_key="HP-2",
                            title="专线开通 2")
    services.instance_start(user=pworld.user("sub"), definition_code="home_own", business_key="HO-1",
                            title="报销 1")
    count, html = _home(me)
    assert count == 3 and "待领取：主管审批 · 专线开通 1" in html and "报销 1" in html
    count, html = _home(peer)
    assert count == 2 and "专线开通 2" in html and "?tab=claimable" in html  # only pool tasks: the 待领取 tab
    assert _home(other)[0] is None
    task = tasks_claimable(peer).get(instance__business_key="HP-1")
    services.task_claim(user=peer, task=task)
    assert _home(peer)[0] == 2  # claimed: now in peer's own tasks
    assert _home(me)[0] == 2  # gone from me's pool
