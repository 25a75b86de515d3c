"""R-PERM-1 over every list, detail, export and API endpoint of 工作管理 (the permission matrix)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.helpers.matrix import (
    api_detail_probe,
    api_list_probe,
    export_probe,
    page_detail_probe,
    page_list_probe,
    run_matrix,
)

from . import records

pytestmark = pytest.mark.django_db
API = "/api/v1/work"


def api(resource: str):
    return [api_list_probe(f"{API}/{resource}/"), api_detail_probe(lambda o: f"{API}/{resource}/{o.pk}/")]


def test_r_perm_1_open_work_pages_api_and_export(ww):
    run_matrix(ww.world, "work", records.items(ww), [
        page_list_probe(reverse("work:open_list")),
        page_detail_probe(lambda o: reverse("work:item_detail", args=[o.pk])),
        page_detail_probe(lambda o: reverse("work:execute", args=[o.pk])),
        export_probe(reverse("work:open_list") + "?export=xlsx"),
        *api("items"),
    ])


def test_r_perm_1_completed_work_pages_and_export(ww):
    run_matrix(ww.world, "work", records.items(ww, state="done"), [
        page_list_probe(reverse("work:done_list")),
        export_probe(reverse("work:done_list") + "?export=xlsx"),
        export_probe(reverse("exchange:export", args=["work.items"])),
    ])


def test_r_perm_1_executions_appointments_checkins_api(ww):
    run_matrix(ww.world, "work", records.executions(ww), [
        *api("executions"), export_probe(reverse("exchange:export", args=["work.executions"]))])
    run_matrix(ww.world, "work", records.appointments(ww), api("appointments"))
    run_matrix(ww.world, "work", records.sessions(ww), api("checkin"))


def test_r_perm_1_dnd_pages_api_and_export(ww):
    run_matrix(ww.world, "work", records.dnd(ww), [
        page_list_probe(reverse("work:dnd_list")),
        export_probe(reverse("work:dnd_list") + "?export=xlsx"),
        *api("dnd"),
    ])


def test_r_perm_1_task_pages_api_and_export(ww):
    run_matrix(ww.world, "work_tasks", records.tasks(ww), [
        page_list_probe(reverse("work:task_list")),
        page_detail_probe(lambda o: reverse("work:task_detail", args=[o.pk])),
        export_probe(reverse("work:task_list") + "?export=xlsx"),
        *api("tasks"),
    ])
