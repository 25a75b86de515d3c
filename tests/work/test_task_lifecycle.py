"""A task after it is made: edit (name and content always; work type, dates and do-not-disturb choice
only before generation), 关闭 (its open work items are cancelled with the reason 任务关闭), delete (only
without work items), and its customer list imported through the spec ``work.task_customers``
(R-IMP-1: template with 填写说明, every row checked first, errors by row and column, nothing saved on
any error) — services, pages and API, within the data scope (R-PERM-1)."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
import time_machine
import xlsxwriter
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from python_calamine import CalamineWorkbook

from kam.core.registry import TODO_SOURCES
from kam.work import services
from kam.work.models import Appointment, State, Task, TaskStatus, TaskTarget, WorkItem

from .conftest import at, login

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 3, 10)
API = "/api/v1/work"


def text(resp) -> str:
    return re.sub(r"\s+", " ", resp.content.decode())


def workbook(rows, header=("大客户号", "客户名称")) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf)
    ws = wb.add_worksheet()
    ws.write_row(0, 0, list(header))
    for i, row in enumerate(rows, start=1):
        ws.write_row(i, 0, list(row))
    wb.close()
    return buf.getvalue()


def task(ww, who="lead", generate=True, **kw) -> Task:
    kw.setdefault("customer_ids", [ww.customers["me"].pk, ww.customers["sub"].pk])
    t = services.task_create(user=ww[who], name=kw.pop("name", "春季外呼"), start_on=DAY,
                             due_on=DAY + dt.timedelta(days=5), **kw)
    if generate:
        services.task_generate(user=ww[who], task=t)
    t.refresh_from_db()
    return t


FORM = {"name": "名单走访", "channel": "visit", "start_on": "2026-03-10", "due_on": "2026-03-12", "dnd_policy": "skip"}


# --- edit ------------------------------------------------------------------------------------------


@time_machine.travel(at(DAY, 8), tick=False)
def test_task_edit_before_and_after_generation(ww):
    pending = task(ww, generate=False)
    services.task_update(user=ww["lead"], task=pending, name="春季走访", channel="visit",
                         due_on=DAY + dt.timedelta(days=9), description="带资料")
    pending.refresh_from_db()
    assert (pending.name, pending.channel, pending.due_on) == ("春季走访", "visit", DAY + dt.timedelta(days=9))

    done = task(ww)
    services.task_update(user=ww["lead"], task=done, name="春季外呼（改）", description="新说明")
    with pytest.raises(ValidationError) as err:
        services.task_update(user=ww["lead"], task=done, start_on=DAY + dt.timedelta(days=1))
    assert "start_on" in err.value.message_dict
    with pytest.raises(ValidationError):
        services.task_update(user=ww["lead"], task=done, due_on=DAY - dt.timedelta(days=1), name="x")
    done.refresh_from_db()
    assert done.name == "春季外呼（改）" and done.start_on == DAY


@time_machine.travel(at(DAY, 8), tick=False)
def test_task_edit_page_locks_generation_fields(ww):
    t = task(ww)
    c = login(ww["lead"])
    detail = text(c.get(reverse("work:task_detail", args=[t.pk])))
    assert reverse("work:task_edit", args=[t.pk]) in detail and "关闭任务" in detail and "删除" in detail
    page = text(c.get(reverse("work:task_edit", args=[t.pk])))
    assert "修改任务：春季外呼" in page and "已生成工作，不可再改" in page
    resp = c.post(reverse("work:task_edit", args=[t.pk]), {"name": "春季外呼二期", "description": "第二期",
                                                           "channel": "visit", "start_on": "2026-04-01",
                                                           "due_on": "2026-04-02", "dnd_policy": "skip"})
    assert resp.status_code == 302, text(resp)[:2000]
    t.refresh_from_db()
    assert (t.name, t.description, t.channel, t.start_on) == ("春季外呼二期", "第二期", "call", DAY)
    assert "任务已保存" in text(c.get(resp.url, follow=True)) or "春季外呼二期" in text(c.get(resp.url))
    # Blank name: the form shows the error, nothing changes.
    resp = c.post(reverse("work:task_edit", args=[t.pk]), {"name": " ", "due_on": "2026-03-15"})
    assert resp.status_code == 200 and "该字段是必填项" in text(resp)


# --- close -----------------------------------------------------------------------------------------


@time_machine.travel(at(DAY, 8), tick=False)
def test_task_close_cancels_open_items_with_the_reason(ww):
    t = task(ww)
    items = list(WorkItem.objects.filter(task=t).order_by("pk"))
    assert len(items) == 2
    services.appointment_make(user=ww["me"], item=next(i for i in items if i.manager == ww["me"]),
                              at=at(DAY, 15))
    services.checkin_start(user=ww["sub"])
    sub_item = next(i for i in items if i.manager == ww["sub"])
    with time_machine.travel(at(DAY, 9), tick=False):
        services.work_item_execute(user=ww["sub"], item=sub_item, branch="success", sub_result="agree")
    c = login(ww["lead"])
    resp = c.post(reverse("work:task_close", args=[t.pk]), follow=True)
    page = text(resp)
    assert "任务已关闭，1 项未完成工作已注销" in page and "已关闭" in page
    t.refresh_from_db()
    assert t.status == TaskStatus.CLOSED and t.closed_by == ww["lead"] and t.closed_at is not None
    me_item = WorkItem.objects.get(task=t, manager=ww["me"])
    assert (me_item.state, me_item.cancel_reason, me_item.cancelled_by) == (State.CANCELLED, "任务关闭", ww["lead"])
    assert WorkItem.objects.get(pk=sub_item.pk).state == State.DONE  # completed work stays completed
    assert not Appointment.objects.filter(done=False).exists()
    # The cancelled item shows its reason on 已完成工作查询; the closed task has no more buttons.
    assert "任务关闭" in text(login(ww["me"]).get(reverse("work:item_detail", args=[me_item.pk])))
    assert "关闭任务" not in page and reverse("work:task_edit", args=[t.pk]) not in page
    with pytest.raises(ValidationError):
        services.task_close(user=ww["lead"], task=t)
    with pytest.raises(ValidationError):
        services.task_update(user=ww["lead"], task=t, name="再改")
    with pytest.raises(ValidationError):
        services.task_generate(user=ww["lead"], task=t)
    # A closed task leaves the creator's task list (工作列表).
    assert not list(TODO_SOURCES["campaign"].entries(ww["lead"], at(DAY + dt.timedelta(days=30), 0)))


# --- delete ----------------------------------------------------------------------------------------


@time_machine.travel(at(DAY, 8), tick=False)
def test_task_delete_only_without_work_items(ww):
    t = task(ww)
    c = login(ww["lead"])
    resp = c.post(reverse("work:task_delete", args=[t.pk]))
    assert resp.status_code == 200 and "任务已有工作，不能删除；请改为关闭任务" in text(resp)
    assert Task.objects.filter(pk=t.pk).exists()
    empty = task(ww, generate=False, name="草稿任务")
    resp = c.post(reverse("work:task_delete", args=[empty.pk]))
    assert resp.status_code == 302
    assert not Task.objects.filter(pk=empty.pk).exists() and not TaskTarget.objects.filter(task_id=empty.pk).exists()


@time_machine.travel(at(DAY, 8), tick=False)
def test_r_perm_1_task_edit_close_delete_outside_scope(ww):
    t = task(ww)
    for who in ("other", "me"):  # "me" sees nothing of lead's tasks (own records only)
        c = login(ww[who])
        assert c.get(reverse("work:task_edit", args=[t.pk])).status_code in (403, 404)
        assert c.post(reverse("work:task_close", args=[t.pk])).status_code in (403, 404)
        assert c.post(reverse("work:task_delete", args=[t.pk])).status_code in (403, 404)
        assert c.patch(f"{API}/tasks/{t.pk}/", {"name": "x"}, content_type="application/json").status_code in (403, 404)
        assert c.post(f"{API}/tasks/{t.pk}/close/").status_code in (403, 404)
        assert c.delete(f"{API}/tasks/{t.pk}/").status_code in (403, 404)
        with pytest.raises(Exception):  # noqa: B017 - PermissionDenied or out of scope
            services.task_close(user=ww[who], task=t)
    t.refresh_from_db()
    assert t.status == TaskStatus.GENERATED and t.name == "春季外呼"


@time_machine.travel(at(DAY, 8), tick=False)
def test_api_task_edit_close_delete(ww):
    c = login(ww["lead"])
    t = task(ww)
    resp = c.patch(f"{API}/tasks/{t.pk}/", {"name": "接口改名"}, content_type="application/json")
    assert resp.status_code == 200 and resp.json()["name"] == "接口改名"
    resp = c.patch(f"{API}/tasks/{t.pk}/", {"start_on": "2026-03-20"}, content_type="application/json")
    assert resp.status_code == 400 and "start_on" in resp.json()
    assert c.delete(f"{API}/tasks/{t.pk}/").status_code == 400
    resp = c.post(f"{API}/tasks/{t.pk}/close/")
    assert resp.status_code == 200 and resp.json()["status"] == "closed" and resp.json()["closed_by"] == ww["lead"].pk
    assert set(WorkItem.objects.filter(task=t).values_list("cancel_reason", flat=True)) == {"任务关闭"}
    assert c.post(f"{API}/tasks/{t.pk}/close/").status_code == 400
    draft = task(ww, generate=False, name="草稿")
    assert c.delete(f"{API}/tasks/{draft.pk}/").status_code == 204
    assert not Task.objects.filter(pk=draft.pk).exists()


# --- the customer list import (work.task_customers) -------------------------------------------------


@time_machine.travel(at(DAY, 8), tick=False)
def test_task_customer_spec_on_the_generic_exchange_pages(ww):
    """The list of a task exports within the task's scope; the generic import page refuses the rows
    (a list belongs to a task: it is imported on the task form)."""
    t = task(ww, generate=False)
    lead, other = login(ww["lead"]), login(ww["other"])
    wb = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(
        lead.get(reverse("exchange:export", args=["work.task_customers"])).streaming_content)))
    cells = " ".join(str(c) for r in wb.get_sheet_by_index(0).to_python() for c in r)
    assert "客户me" in cells and "客户sub" in cells and "春季外呼" in cells
    wb = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(
        other.get(reverse("exchange:export", args=["work.task_customers"])).streaming_content)))
    assert "客户me" not in " ".join(str(c) for r in wb.get_sheet_by_index(0).to_python() for c in r)
    upload = SimpleUploadedFile("名单.xlsx", workbook([(ww.customers["me"].key_number, "")]))
    resp = lead.post(reverse("exchange:import", args=["work.task_customers"]), {"mode": "create", "file": upload},
                     follow=True)
    assert "请在新建任务的表单中导入客户名单" in text(resp)
    assert TaskTarget.objects.filter(task=t).count() == 2


def test_task_customer_template_has_instructions(ww):
    resp = login(ww["lead"]).get(reverse("exchange:template", args=["work.task_customers"]))
    assert resp.status_code == 200
    wb = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(resp.streaming_content)))
    assert "填写说明" in wb.sheet_names
    header = wb.get_sheet_by_index(0).to_python()[0]
    assert header[:2] == ["大客户号", "客户名称"]
    notes = " ".join(str(c) for r in wb.get_sheet_by_name("填写说明").to_python() for c in r)
    assert "您数据范围内的客户" in notes


@time_machine.travel(at(DAY, 8), tick=False)
def test_task_form_import_refuses_the_whole_file_on_any_error(ww):
    c = login(ww["lead"])
    create = text(c.get(reverse("work:task_create")))
    assert reverse("exchange:template", args=["work.task_customers"]) in create and "填写说明" in create
    data = workbook([
        (ww.customers["me"].key_number, ""),
        (ww.customers["other"].key_number, ""),  # row 3: outside lead's scope
        ("", "客户sub"),
        ("", ""),  # empty rows are skipped
        ("NOPE-1", ""),  # row 6: does not exist
        (ww.customers["me"].key_number, ""),  # row 7: twice in the file
        ("", "没有这个客户"),
    ])
    resp = c.post(reverse("work:task_create"), {**FORM, "customer_file": SimpleUploadedFile("名单.xlsx", data)})
    page = text(resp)
    assert resp.status_code == 200
    assert "第3行 大客户号: 不存在或不在您的数据范围内" in page
    assert "第6行 大客户号: 不存在或不在您的数据范围内" in page
    assert "第7行 大客户号:" in page and "在文件中重复出现（第2、7行）" in page
    assert "第8行 客户名称: 不存在或不在您的数据范围内" in page
    assert "下载错误报告" in page and "base64," in page
    assert not Task.objects.exists() and not TaskTarget.objects.exists() and not WorkItem.objects.exists()


@time_machine.travel(at(DAY, 8), tick=False)
def test_service_import_error_report_names_rows(ww):
    data = workbook([(ww.customers["other"].key_number, ""), (ww.customers["me"].key_number, "客户peer")])
    with pytest.raises(services.TaskImportError) as err:
        services.task_create(user=ww["lead"], name="x", start_on=DAY, due_on=DAY, customer_file=data)
    assert err.value.messages == ["第2行 大客户号: 不存在或不在您的数据范围内",
                                  "第3行 客户名称: 与大客户号不是同一个客户"]
    report = CalamineWorkbook.from_filelike(io.BytesIO(err.value.result.report)).get_sheet_by_index(0).to_python()
    assert "错误信息" in report[0] and any("不存在或不在您的数据范围内" in str(c) for c in report[1])
    assert not Task.objects.exists()


@time_machine.travel(at(DAY, 8), tick=False)
def test_api_task_with_an_excel_customer_list(ww):
    c = login(ww["lead"])
    ok = workbook([(ww.customers["me"].key_number, ""), ("", "客户sub")])
    resp = c.post(f"{API}/tasks/", {**FORM, "customer_file": SimpleUploadedFile("名单.xlsx", ok)})
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["imported"] and body["generated_count"] == 2
    bad = workbook([(ww.customers["other"].key_number, "")])
    resp = c.post(f"{API}/tasks/", {**FORM, "customer_file": SimpleUploadedFile("名单.xlsx", bad)})
    assert resp.status_code == 400
    assert "第2行 大客户号: 不存在或不在您的数据范围内" in resp.content.decode()
    assert Task.objects.count() == 1
