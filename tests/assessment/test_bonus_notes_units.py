"""加分项 (bonus points) and 非KPI考核信息 (assessment notes) of sections (室) and departments (部门)
on the pages: the subject type is chosen first, then a subject of that type within the user's
scope of assessment results (R-PERM-1, R-PERM-2); the bonus window of R-ASM-6 applies as for
account managers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from kam.assessment.models import AssessmentNote, Bonus
from kam.org import services as org_services
from kam.org.models import DataScope, OrgKind, User
from tests.helpers.world import grant_role

from .conftest import MONTH, at

pytestmark = pytest.mark.django_db


@pytest.fixture
def units(world):
    """A section under 营销部 (city A) and a department with a section in 三县 (city B)."""
    mk = org_services.org_unit_create
    world.units["section"] = mk(name="大客户室", code="K1DS", parent=world.unit("dept"), kind=OrgKind.SECTION)
    world.units["dept_b"] = mk(name="乙市营销部", code="K3D", parent=world.unit("county_3"), kind=OrgKind.DEPARTMENT)
    world.units["section_b"] = mk(name="乙市政企室", code="K3DS", parent=world.units["dept_b"], kind=OrgKind.SECTION)
    return world


def _client(user: User) -> Client:
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(user)
    return client


@pytest.fixture
def admin(db):
    user = User.objects.create_superuser(username="root", password="x", name="root", must_change_password=False)
    return _client(user)


def test_r_asm_6_bonus_page_for_a_section_create_edit_and_filter(units, admin):
    section = units.unit("section")
    with at(dt.date(2026, 4, 8)):
        form = admin.get(reverse("assessment:bonus_create")).content.decode()
        assert "考核对象类型" in form and "营销部 / 大客户室" in form and "一区 / 营销部" in form
        resp = admin.post(reverse("assessment:bonus_create"), {
            "subject_type": "section", "section": section.pk, "period": MONTH, "points": "4", "reason": "室的贡献"})
        assert resp.status_code == 302
        bonus = Bonus.objects.get()
        assert (bonus.subject_type, bonus.subject_id, bonus.org_unit, bonus.user) == ("section", section.pk,
                                                                                      section, None)
        admin.post(reverse("assessment:bonus_edit", args=[bonus.pk]), {"points": "6", "reason": "室的贡献（改）"})
        bonus.refresh_from_db()
        assert str(bonus.points) == "6.00" and bonus.reason == "室的贡献（改）"
        listing = admin.get(reverse("assessment:bonus_list"), {"subject_type": "section"}).content.decode()
        assert "室的贡献（改）" in listing and "大客户室" in listing
        assert "室的贡献" not in admin.get(reverse("assessment:bonus_list"),
                                        {"subject_type": "department"}).content.decode()
        # Without the subject of the chosen type the page says what is missing.
        missing = admin.post(reverse("assessment:bonus_create"), {
            "subject_type": "section", "period": MONTH, "points": "1", "reason": "x"}).content.decode()
        assert "请选择考核对象。" in missing
    with at(dt.date(2026, 4, 16)):  # after the adjustment window of March
        admin.force_login(User.objects.get(username="root"))  # a new session on a new day
        late = admin.post(reverse("assessment:bonus_create"), {
            "subject_type": "section", "section": section.pk, "period": MONTH, "points": "1", "reason": "迟到"})
    assert "2026-03 的加分项已不能再新增或修改" in late.content.decode()
    assert Bonus.objects.count() == 1


def test_note_page_for_a_department_create_edit_and_filter(units, admin):
    dept = units.unit("dept")
    with at(dt.date(2026, 4, 8)):
        resp = admin.post(reverse("assessment:note_create"), {
            "subject_type": "department", "department": dept.pk, "period": MONTH, "text": "部门协作良好"})
        assert resp.status_code == 302
        note = AssessmentNote.objects.get()
        assert (note.subject_type, note.subject_id, note.org_unit) == ("department", dept.pk, dept)
        admin.post(reverse("assessment:note_edit", args=[note.pk]), {"text": "部门协作良好，响应及时"})
        note.refresh_from_db()
        assert note.text == "部门协作良好，响应及时"
        listing = admin.get(reverse("assessment:note_list"), {"subject_type": "department"}).content.decode()
        assert "部门协作良好，响应及时" in listing and "营销部" in listing
        assert "部门协作良好" not in admin.get(reverse("assessment:note_list"),
                                          {"subject_type": "manager"}).content.decode()


def test_r_perm_1_units_outside_the_scope_are_neither_offered_nor_accepted(units):
    city_a = units.user("city_a")
    grant_role(city_a, "assessment", DataScope.SUBTREE)
    client = _client(city_a)
    with at(dt.date(2026, 4, 8)):
        form = client.get(reverse("assessment:bonus_create")).content.decode()
        assert "大客户室" in form and "营销部" in form
        assert "乙市营销部" not in form and "乙市政企室" not in form
        for url, extra in ((reverse("assessment:bonus_create"), {"points": "1", "reason": "越权"}),
                           (reverse("assessment:note_create"), {"text": "越权"})):
            for kind, unit in (("section", "section_b"), ("department", "dept_b")):
                resp = client.post(url, {"subject_type": kind, kind: units.unit(unit).pk, "period": MONTH, **extra})
                assert resp.status_code == 200
                assert "选择一个有效的选项" in resp.content.decode()
        assert not Bonus.objects.exists() and not AssessmentNote.objects.exists()
        ok = client.post(reverse("assessment:note_create"), {
            "subject_type": "department", "department": units.unit("dept").pk, "period": MONTH, "text": "本市部门"})
        assert ok.status_code == 302
    assert AssessmentNote.objects.get().org_unit == units.unit("dept")
