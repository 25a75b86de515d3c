"""Step data (环节表单, R-PROC): a step's configured fields are asked on the task page and by the API
when the step is approved, checked with a message naming the field, merged into the instance data
(which following gateways read) and kept on the history entry."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from kam.processes import services
from kam.processes.loader import DEFINITIONS_DIR
from kam.processes.models import EventAction, TaskEvent
from kam.processes.selectors import tasks_todo

TWO_STEP = (DEFINITIONS_DIR / "two_step_approval.bpmn").read_text(encoding="utf-8")
FIELDS = [
    {"name": "result", "label": "处理结果", "type": "choice", "required": True,
     "choices": [["fixed", "已解决"], ["open", "未解决"]]},
    {"name": "minutes", "label": "处理时长", "type": "number"},
    {"name": "visit_on", "label": "回访日期", "type": "date"},
    {"name": "helper", "label": "协助人", "type": "user"},
    {"name": "note", "label": "说明", "type": "text", "required": True},
]


def _version(pworld, fields=FIELDS, code="step_data_test"):
    xml = TWO_STEP.replace('id="two_step_approval"', f'id="{code}"').replace(
        'bpmnElement="two_step_approval"', f'bpmnElement="{code}"')
    version = services.definition_save(user=None, xml=xml, name="环节表单测试", node_config={
        "supervisor_review": {"approver": {"kind": "user", "users": [pworld.user("me").username]},
                              "fields": fields},
        "leader_review": {"approver": {"kind": "user", "users": [pworld.user("city_a").username]}}})
    services.version_activate(user=None, version=version)
    return version


def _start(pworld, key="SD-1"):
    inst = services.instance_start(user=pworld.user("sub"), definition_code="step_data_test", business_key=key,
                                   data={"amount": 1})
    [task] = list(tasks_todo(pworld.user("me")))
    return inst, task


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def _complete(pworld, task, data, action="approve", opinion="ok"):
    return services.task_complete(user=pworld.user("me"), task=task, action=action, opinion=opinion,
                                  expected_version=task.version, data=data)


def test_values_are_checked_with_the_field_named(pworld):
    """R-PROC: required, number, choice, date and user fields are checked; each message names the field."""
    _version(pworld)
    inst, task = _start(pworld)
    with pytest.raises(ValidationError) as err:
        _complete(pworld, task, {"minutes": "abc", "visit_on": "2026-13-40", "helper": "nobody", "result": "maybe"})
    messages = err.value.message_dict
    assert set(messages) == {"result", "minutes", "visit_on", "helper", "note"}
    assert "处理结果" in messages["result"][0] and "已解决" in messages["result"][0]
    assert "处理时长" in messages["minutes"][0]
    assert "回访日期" in messages["visit_on"][0]
    assert "协助人" in messages["helper"][0] and "nobody" in messages["helper"][0]
    assert "说明" in messages["note"][0]
    task.refresh_from_db()
    assert task.is_open  # nothing happened


def test_values_are_merged_into_the_data_and_kept_in_the_history(pworld):
    """R-PROC: the typed values join the instance data and the 同意 history entry; undeclared keys are dropped."""
    _version(pworld)
    inst, task = _start(pworld)
    _complete(pworld, task, {"result": "fixed", "minutes": "45", "visit_on": "2026-11-30",
                             "helper": pworld.user("other").username, "note": " 已更换 ", "amount": 999})
    inst.refresh_from_db()
    assert inst.data == {"amount": 1, "result": "fixed", "minutes": 45, "visit_on": "2026-11-30",
                         "helper": pworld.user("other").username, "note": "已更换"}
    event = TaskEvent.objects.get(instance=inst, action=EventAction.APPROVE)
    assert event.data["result"] == "fixed" and event.data["minutes"] == 45
    assert inst.current_nodes == ["leader_review"]


def test_reject_needs_no_step_data(pworld):
    """R-PROC: 驳回 ends the instance without asking the step's fields."""
    _version(pworld)
    inst, task = _start(pworld)
    _complete(pworld, task, {}, action="reject", opinion="材料不全")
    inst.refresh_from_db()
    assert inst.status == "rejected"


def test_bad_field_declarations_are_refused(pworld):
    """R-PROC: fields need a name, a known type and, for a choice, choices."""
    with pytest.raises(ValidationError) as err:
        _version(pworld, fields=[{"name": "1bad"}, {"name": "x", "type": "colour"}, {"name": "y", "type": "choice"},
                                 {"name": "leader_review"}])
    assert len(err.value.message_dict["node_config"]) == 4


def test_task_page_asks_the_fields_and_history_shows_them(pworld):
    """R-PROC: the task page renders the step's fields; a missing value is named; the answer shows in the history."""
    _version(pworld)
    inst, task = _start(pworld)
    me = _client(pworld.user("me"))
    page = me.get(f"/processes/tasks/{task.pk}/").content.decode()
    assert "处理结果" in page and "已解决" in page and 'name="step-result"' in page
    assert 'name="step-visit_on"' in page and 'type="date"' in page
    resp = me.post(f"/processes/tasks/{task.pk}/", {"action": "approve", "version": task.version,
                                                    "step-result": "fixed"}, follow=True)
    assert "说明" in resp.content.decode() and "必填" in resp.content.decode()
    resp = me.post(f"/processes/tasks/{task.pk}/", {"action": "approve", "version": task.version,
                                                    "step-result": "fixed", "step-note": "已处理",
                                                    "step-minutes": "30"}, follow=True)
    assert "已同意" in resp.content.decode()
    detail = _client(pworld.user("sub")).get(f"/processes/instances/{inst.pk}/").content.decode()
    assert "处理结果" in detail and "已解决" in detail and "处理时长" in detail


def test_api_complete_takes_the_step_data(pworld):
    """R-PROC: ``data`` of ``tasks/{id}/complete/``; a bad value is a 400 keyed by the field."""
    _version(pworld)
    inst, task = _start(pworld)
    me = _client(pworld.user("me"))
    url = f"/api/v1/processes/tasks/{task.pk}/complete/"
    bad = me.post(url, {"action": "approve", "version": task.version, "data": {"result": "fixed", "minutes": "x",
                                                                             "note": "n"}},
                  content_type="application/json")
    assert bad.status_code == 400 and "minutes" in bad.json() and "处理时长" in bad.json()["minutes"][0]
    ok = me.post(url, {"action": "approve", "version": task.version, "data": {"result": "open", "note": "待跟进"}},
                 content_type="application/json")
    assert ok.status_code == 200, ok.content
    events = _client(pworld.user("sub")).get(f"/api/v1/processes/instances/{inst.pk}/").json()["events"]
    assert [e["data"] for e in events if e["action"] == "approve"] == [{"result": "open", "note": "待跟进"}]


def test_countersigned_step_keeps_every_approvers_values(pworld):
    """R-PROC 会签 with step fields: ``<field>`` holds the last approver's value and ``<field>_all``
    every approver's, in the order they approved, for the following gateways."""
    xml = TWO_STEP.replace('id="two_step_approval"', 'id="countersign_data"').replace(
        'bpmnElement="two_step_approval"', 'bpmnElement="countersign_data"')
    version = services.definition_save(user=None, xml=xml, name="会签表单", node_config={
        "supervisor_review": {"approver": {"kind": "user", "users": ["me", "peer"]}, "mode": "all",
                              "fields": [FIELDS[0]]},
        "leader_review": {"approver": {"kind": "user", "users": ["city_a"]}}})
    services.version_activate(user=None, version=version)
    inst = services.instance_start(user=pworld.user("sub"), definition_code="countersign_data", business_key="CS-1")
    for name, value in (("me", "fixed"), ("peer", "open")):
        [task] = [t for t in tasks_todo(pworld.user(name)) if t.instance_id == inst.pk]
        services.task_complete(user=pworld.user(name), task=task, action="approve", opinion="ok",
                               expected_version=task.version, data={"result": value})
    inst.refresh_from_db()
    assert inst.data["result"] == "open" and inst.data["result_all"] == ["fixed", "open"]
    assert [t.node_id for t in tasks_todo(pworld.user("city_a"))] == ["leader_review"]
