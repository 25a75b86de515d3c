"""自动调度 / 人工调度, diagram timers, messages and service tasks (REQUIREMENTS §9, R-PROC):
timer start events started once per due time, boundary timers as rows in our database, the
message API, connectors (工单流) and webhooks signed with HMAC (local HTTP server, no internet)."""

import datetime as dt
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from kam.core import clock
from kam.processes import engine, schedule, services
from kam.processes.models import (
    EventAction,
    HumanTask,
    InstanceStatus,
    ProcessInstance,
    ServiceCall,
    ServiceCallStatus,
    TaskStatus,
    Timer,
    TimerKind,
)
from kam.processes.selectors import tasks_claimable, tasks_todo

NS = 'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="http://kam"'


def _bpmn(process_id: str, body: str, messages: str = "") -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions {NS}>{messages}'
            f'<bpmn:process id="{process_id}" name="{process_id}" isExecutable="true">{body}</bpmn:process>'
            f'</bpmn:definitions>')


def _deploy(xml, node_config):
    version = services.definition_save(user=None, xml=xml, node_config=node_config)
    return services.version_activate(user=None, version=version)


ME = {"approver": {"kind": "user", "users": ["me"]}}
PEER = {"approver": {"kind": "user", "users": ["peer"]}}


def _client(user):
    client = Client()
    client.force_login(user)
    return client


# --- schedule expressions ---------------------------------------------------------------------------


def test_schedule_expressions_cycle_cron_date():
    tz = dt.timezone(dt.timedelta(hours=8))
    at = dt.datetime(2026, 1, 31, 9, 0, tzinfo=tz)
    assert schedule.next_after("0 8 1 * *", at, tz) == dt.datetime(2026, 2, 1, 8, 0, tzinfo=tz)
    assert schedule.next_after("*/15 9 * * 1-5", at, tz) == dt.datetime(2026, 2, 2, 9, 0, tzinfo=tz)  # Monday
    assert schedule.next_after("R/2026-01-31T08:00:00+08:00/P1M", at, tz) == dt.datetime(2026, 2, 28, 8, 0,
                                                                                       tzinfo=tz)
    assert schedule.next_after("R2/2026-01-01T00:00:00+08:00/P1D", at, tz) is None  # two repetitions only
    assert schedule.next_after("2026-03-01T09:00:00+08:00", at, tz) == dt.datetime(2026, 3, 1, 9, tzinfo=tz)
    for bad in ("61 * * * *", "R/2026-01-01/PXD", "P1D", "every monday"):
        with pytest.raises(schedule.ScheduleError):
            schedule.check(bad)


def test_invalid_timer_in_a_diagram_is_refused_with_a_clear_message(pworld):
    xml = _bpmn("bad_timer", '<bpmn:startEvent id="s"><bpmn:timerEventDefinition><bpmn:timeCycle>sometimes'
                             '</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:startEvent>'
                             '<bpmn:userTask id="t" name="T"/><bpmn:sequenceFlow id="f" sourceRef="s" targetRef="t"/>')
    with pytest.raises(ValidationError, match="timer start event"):
        services.definition_save(user=None, xml=xml, node_config={})


# --- timer start events (自动调度) ------------------------------------------------------------------


MONTHLY = _bpmn("monthly_report", (
    '<bpmn:startEvent id="s"><bpmn:timerEventDefinition><bpmn:timeCycle>0 8 1 * *</bpmn:timeCycle>'
    '</bpmn:timerEventDefinition></bpmn:startEvent><bpmn:userTask id="report" name="月度报表"/>'
    '<bpmn:endEvent id="e"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="report"/>'
    '<bpmn:sequenceFlow id="f2" sourceRef="report" targetRef="e"/>'))


def test_timer_start_event_starts_one_instance_per_due_time(pworld):
    """R-PROC 自动调度: monthly on day 1 at 08:00 (cron) — started by the sweep, once per due time."""
    type(pworld.user("me")).objects.create_superuser("root", password="x", name="root")
    with time_machine.travel(dt.datetime(2026, 1, 20, 10, 0, tzinfo=dt.UTC), tick=False):
        version = _deploy(MONTHLY, {"report": ME})
        assert version.start_timer == "0 8 1 * *"
        assert version.next_start_at == dt.datetime(2026, 2, 1, 0, 0, tzinfo=dt.UTC)  # 08:00 Beijing
        assert services.starts_fire_due() == 0
    with time_machine.travel(dt.datetime(2026, 2, 1, 1, 0, tzinfo=dt.UTC), tick=False):  # 09:00 Beijing
        assert services.starts_fire_due() == 1
        assert services.starts_fire_due() == 0  # the same due time never twice
        [inst] = ProcessInstance.objects.filter(version=version)
        assert inst.business_key == "monthly_report-202602010800" and inst.starter.username == "root"
        assert inst.events.get(action=EventAction.START).opinion == "由调度自动发起"
        assert [t.node_name for t in tasks_todo(pworld.user("me"))] == ["月度报表"]
        version.refresh_from_db()
        assert version.next_start_at == dt.datetime(2026, 3, 1, 0, 0, tzinfo=dt.UTC)
    with time_machine.travel(dt.datetime(2026, 4, 2, 0, 0, tzinfo=dt.UTC), tick=False):  # missed March + April
        assert services.starts_fire_due() == 2
    assert sorted(ProcessInstance.objects.values_list("business_key", flat=True)) == [
        "monthly_report-202602010800", "monthly_report-202603010800", "monthly_report-202604010800"]
    services.version_retire(user=None, version=version)
    version.refresh_from_db()
    assert version.next_start_at is None


def test_manual_start_page_lists_none_start_definitions_and_starts_one(pworld):
    """R-PROC 人工调度: a form with business key, title and data."""
    _deploy(MONTHLY, {"report": ME})
    client = _client(pworld.user("sub"))
    page = client.get("/processes/start/").content.decode()
    assert "两级审批" in page and "monthly_report" not in page
    form = client.get("/processes/start/two_step_approval/").content.decode()
    assert 'name="business_key"' in form
    bad = client.post("/processes/start/two_step_approval/", {"business_key": "", "data": "{"})
    assert bad.status_code == 200 and "业务编号" in bad.content.decode()
    response = client.post("/processes/start/two_step_approval/", {
        "business_key": "HAND-1", "title": "手工发起", "data": '{"amount": 300}'})
    inst = ProcessInstance.objects.get(business_key="HAND-1")
    assert response.status_code == 302 and response["Location"] == f"/processes/instances/{inst.pk}/"
    assert inst.data == {"amount": 300} and inst.starter == pworld.user("sub")
    assert client.get("/processes/start/monthly_report/").status_code == 404


# --- boundary timers ------------------------------------------------------------------------------


BOUNDARY = _bpmn("boundary_test", (
    '<bpmn:startEvent id="s"/><bpmn:userTask id="review" name="审核"/>'
    '<bpmn:boundaryEvent id="too_late" attachedToRef="review"><bpmn:timerEventDefinition>'
    '<bpmn:timeDuration>PT2H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>'
    '<bpmn:userTask id="handle_late" name="超时处理"/><bpmn:endEvent id="e"/>'
    '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="review"/>'
    '<bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="e"/>'
    '<bpmn:sequenceFlow id="f3" sourceRef="too_late" targetRef="handle_late"/>'
    '<bpmn:sequenceFlow id="f4" sourceRef="handle_late" targetRef="e"/>'))


def test_interrupting_boundary_timer_is_a_row_and_takes_the_boundary_path(pworld):
    _deploy(BOUNDARY, {"review": ME, "handle_late": PEER})
    inst = services.instance_start(user=pworld.user("sub"), definition_code="boundary_test", business_key="B-1")
    [timer] = Timer.objects.filter(instance=inst, kind=TimerKind.BOUNDARY)
    assert timer.event == "kam_timer_too_late"
    assert abs(timer.due_at - inst.started_at - dt.timedelta(hours=2)) < dt.timedelta(seconds=5)
    assert services.timers_fire_due() == 0
    with time_machine.travel(clock.now() + dt.timedelta(hours=3)):
        assert services.timers_fire_due() == 1
        assert services.timers_fire_due() == 0
    inst.refresh_from_db()
    assert inst.current_nodes == ["handle_late"]
    assert list(tasks_todo(pworld.user("me"))) == []
    assert HumanTask.objects.get(instance=inst, node_id="review").status == TaskStatus.CANCELLED
    assert inst.events.filter(action=EventAction.TIMEOUT).count() == 1
    services.task_complete(user=pworld.user("peer"), task=tasks_todo(pworld.user("peer"))[0], action="approve")
    inst.refresh_from_db()
    assert inst.status == InstanceStatus.COMPLETED


def test_boundary_timer_row_goes_when_the_task_is_done_in_time(pworld):
    _deploy(BOUNDARY, {"review": ME, "handle_late": PEER})
    inst = services.instance_start(user=pworld.user("sub"), definition_code="boundary_test", business_key="B-2")
    services.task_complete(user=pworld.user("me"), task=tasks_todo(pworld.user("me"))[0], action="approve")
    inst.refresh_from_db()
    assert inst.status == InstanceStatus.COMPLETED
    assert not Timer.objects.filter(instance=inst, fired_at__isnull=True).exists()


# --- messages -------------------------------------------------------------------------------------


PAYMENT = _bpmn("payment_wait", (
    '<bpmn:startEvent id="s"/><bpmn:userTask id="order" name="下单"/>'
    '<bpmn:intermediateCatchEvent id="wait_paid" name="等待付款"><bpmn:messageEventDefinition messageRef="m_paid"/>'
    '</bpmn:intermediateCatchEvent><bpmn:exclusiveGateway id="g" default="f_small"/>'
    '<bpmn:userTask id="big" name="大额复核"/><bpmn:endEvent id="e"/>'
    '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="order"/>'
    '<bpmn:sequenceFlow id="f2" sourceRef="order" targetRef="wait_paid"/>'
    '<bpmn:sequenceFlow id="f3" sourceRef="wait_paid" targetRef="g"/>'
    '<bpmn:sequenceFlow id="f_big" sourceRef="g" targetRef="big"><bpmn:conditionExpression>amount &gt; 1000'
    '</bpmn:conditionExpression></bpmn:sequenceFlow>'
    '<bpmn:sequenceFlow id="f_small" sourceRef="g" targetRef="e"/>'
    '<bpmn:sequenceFlow id="f4" sourceRef="big" targetRef="e"/>'), '<bpmn:message id="m_paid" name="paid"/>')


def test_message_api_by_id_and_by_business_key(pworld):
    """R-PROC 接口: POST …/instances/{id}/message/ — also correlated by business key."""
    _deploy(PAYMENT, {"order": ME, "big": PEER})
    me = pworld.user("me")
    insts = [services.instance_start(user=pworld.user("sub"), definition_code="payment_wait", business_key=f"PAY-{i}")
             for i in range(2)]
    for task in list(tasks_todo(me)):
        services.task_complete(user=me, task=task, action="approve")
    client = _client(pworld.user("sub"))
    # not waiting for this message: a clear 400
    response = client.post(f"/api/v1/processes/instances/{insts[0].pk}/message/", {"name": "shipped"},
                           content_type="application/json")
    assert response.status_code == 400 and "shipped" in response.content.decode()
    response = client.post(f"/api/v1/processes/instances/{insts[0].pk}/message/",
                           {"name": "paid", "data": {"amount": 5000}}, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["current_nodes"] == ["big"] and response.json()["data"]["amount"] == 5000
    # by business key: the path segment is ignored when business_key is given
    response = client.post("/api/v1/processes/instances/message/",
                           {"name": "paid", "business_key": "PAY-1", "data": {"amount": 10}},
                           content_type="application/json")
    assert response.status_code == 200, response.content
    insts[1].refresh_from_db()
    assert insts[1].status == InstanceStatus.COMPLETED
    assert insts[1].events.filter(action=EventAction.MESSAGE, opinion="paid").exists()


# --- service tasks --------------------------------------------------------------------------------


SERVICE = _bpmn("service_test", (
    '<bpmn:startEvent id="s"/><bpmn:serviceTask id="notify" name="通知外部系统"/>'
    '<bpmn:userTask id="check" name="核对"/><bpmn:endEvent id="e"/>'
    '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="notify"/>'
    '<bpmn:sequenceFlow id="f2" sourceRef="notify" targetRef="check"/>'
    '<bpmn:sequenceFlow id="f3" sourceRef="check" targetRef="e"/>'))


class _Hook:
    """A local HTTP server thread answering POSTs; ``fail`` first answers are 500."""

    def __init__(self, fail=0):
        self.received: list[tuple[bytes, str]] = []
        self.fail = fail
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.received.append((body, self.headers.get("X-KAM-Signature", "")))
                if hook.fail > 0:
                    hook.fail -= 1
                    self.send_response(500)
                    self.end_headers()
                    return
                answer = json.dumps({"ticket": "WO-77"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def test_webhook_service_task_posts_signed_json_and_goes_on(pworld, django_capture_on_commit_callbacks):
    with _Hook() as hook:
        _deploy(SERVICE, {"notify": {"webhook": {"url": hook.url, "secret": "s3cret", "timeout_seconds": 2,
                                                 "retries": 2}}, "check": ME})
        with django_capture_on_commit_callbacks(execute=True):
            inst = services.instance_start(user=pworld.user("sub"), definition_code="service_test",
                                           business_key="WH-1", data={"amount": 1})
    [(body, signature)] = hook.received
    assert signature == "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert json.loads(body)["business_key"] == "WH-1" and json.loads(body)["step"] == "notify"
    inst.refresh_from_db()
    call = ServiceCall.objects.get(instance=inst)
    assert (call.status, call.attempts, call.result) == (ServiceCallStatus.DONE, 1, {"ticket": "WO-77"})
    assert inst.current_nodes == ["check"] and inst.data["ticket"] == "WO-77"


def test_failing_webhook_waits_with_the_error_and_can_be_retried(pworld, django_capture_on_commit_callbacks):
    with _Hook(fail=2) as hook:
        _deploy(SERVICE, {"notify": {"webhook": {"url": hook.url, "secret": "k", "timeout_seconds": 2,
                                                 "retries": 2}}, "check": ME})
        with django_capture_on_commit_callbacks(execute=True):
            inst = services.instance_start(user=pworld.user("sub"), definition_code="service_test",
                                           business_key="WH-2")
        call = ServiceCall.objects.get(instance=inst)
        assert (call.status, call.attempts, call.last_error) == (ServiceCallStatus.FAILED, 2, "HTTP 500")
        inst.refresh_from_db()
        assert inst.status == InstanceStatus.RUNNING and inst.current_nodes == ["notify"]
        assert inst.events.filter(action=EventAction.SERVICE_ERROR, opinion="HTTP 500").exists()
        with pytest.raises(PermissionDenied):  # not a process administrator
            services.service_call_retry(user=pworld.user("me"), call=call)
        admin = type(pworld.user("me")).objects.create_superuser("root", password="x", name="root")
        call = services.service_call_retry(user=admin, call=call)
    assert (call.status, call.attempts) == (ServiceCallStatus.DONE, 3)
    inst.refresh_from_db()
    assert inst.current_nodes == ["check"]


def test_unreachable_webhook_is_recorded_not_raised(pworld, django_capture_on_commit_callbacks):
    _deploy(SERVICE, {"notify": {"webhook": {"url": "http://127.0.0.1:9/none", "secret": "k", "timeout_seconds": 1,
                                             "retries": 1}}, "check": ME})
    with django_capture_on_commit_callbacks(execute=True):
        inst = services.instance_start(user=pworld.user("sub"), definition_code="service_test", business_key="WH-3")
    call = ServiceCall.objects.get(instance=inst)
    assert call.status == ServiceCallStatus.FAILED and call.last_error


def test_work_order_connector_opens_a_pool_task_and_its_answer_goes_on(pworld, role_of,
                                                                       django_capture_on_commit_callbacks):
    """工单流: the service task's ``work_order`` connector opens a task in the 工单 pool."""
    role = role_of("work_order")
    for name in ("me", "peer"):
        pworld.user(name).roles.add(role)
    _deploy(SERVICE, {"notify": {"connector": "work_order", "params": {"role": "work_order", "org": "city"},
                                 "time_limit_hours": 8}, "check": {"approver": {"kind": "user", "users": ["dept"]}}})
    with django_capture_on_commit_callbacks(execute=True):
        inst = services.instance_start(user=pworld.user("sub"), definition_code="service_test", business_key="WO-1")
    [task] = tasks_claimable(pworld.user("peer"))
    assert task.node_name == "通知外部系统" and task.due_at is not None
    services.task_claim(user=pworld.user("peer"), task=task)
    task.refresh_from_db()
    services.task_complete(user=pworld.user("peer"), task=task, action="approve", opinion="已派单处理")
    inst.refresh_from_db()
    assert inst.current_nodes == ["check"] and inst.data["work_order_opinion"] == "已派单处理"
    assert ServiceCall.objects.get(instance=inst).status == ServiceCallStatus.DONE


def test_service_task_needs_a_connector_or_webhook(pworld):
    with pytest.raises(ValidationError, match="连接器|connector"):
        services.definition_save(user=None, xml=SERVICE, node_config={"check": ME})
    with pytest.raises(ValidationError, match="连接器|connector"):
        services.definition_save(user=None, xml=SERVICE, node_config={"check": ME, "notify": {"connector": "nope"}})


def test_engine_rewrites_waits_into_messages():
    diagram = engine.parse(SERVICE)
    assert diagram.service_tasks == {"notify": "通知外部系统"} and diagram.node_ids() == ["check", "notify"]
    assert engine.parse(BOUNDARY).timers == {"too_late": "PT2H"}
