"""Pages of 加分项 (bonus points) and 非KPI考核信息 (assessment notes): list, create, edit, delete,
Excel export, the data scope (R-PERM-1, R-PERM-2) and the bonus window (R-ASM-6 calendar: a
month's bonus points stay open until the last adjustment day of the next month)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from kam.assessment import services
from kam.assessment.models import AssessmentNote, Bonus, Result
from kam.org.models import User
from tests.helpers.matrix import export_probe, page_list_probe, run_matrix

from .conftest import MONTH, at, values_for
from .test_runs import ROWS

pytestmark = pytest.mark.django_db

NAMES = ("me", "peer", "dept", "sub", "city_a", "other")


@pytest.fixture
def computed(config):
    services.metric_values_save(items=values_for(config["world"], ROWS))
    with at(dt.date(2026, 4, 7)):
        services.run_start(user=None, period=MONTH, background=False)
    return config


@pytest.fixture
def admin(db):
    user = User.objects.create_superuser(username="root", password="x", name="root", must_change_password=False)
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(user)
    return client


def test_r_asm_6_bonus_window_days_15_and_16(computed):
    peer = computed["world"].user("peer").pk
    with at(dt.date(2026, 4, 15)):
        bonus = services.bonus_create(user=None, subject_type="manager", subject_id=peer, period=MONTH, points="5",
                                      reason="额外贡献")
    assert Result.objects.get(period=MONTH, subject_id=peer).total == D("29.2")
    with at(dt.date(2026, 4, 16)):
        with pytest.raises(ValidationError) as exc:
            services.bonus_create(user=None, subject_type="manager", subject_id=peer, period=MONTH, points="1",
                                  reason="迟到的")
        assert "period" in exc.value.error_dict
        with pytest.raises(ValidationError):
            services.bonus_update(user=None, bonus=bonus, points="6", reason="改")
        with pytest.raises(ValidationError):
            services.bonus_delete(user=None, bonus=bonus)
        # The current month is open.
        services.bonus_create(user=None, subject_type="manager", subject_id=peer, period="2026-04", points="1",
                              reason="本月")
    with at(dt.date(2026, 4, 1)):
        services.bonus_update(user=None, bonus=bonus, points="2.5", reason="改为2.5")
        assert Result.objects.get(period=MONTH, subject_id=peer).total == D("26.7")
        services.bonus_delete(user=None, bonus=bonus)
        assert Result.objects.get(period=MONTH, subject_id=peer).total == D("24.2")


def test_bonus_pages_create_edit_delete_and_export(computed, admin):
    peer = computed["world"].user("peer")
    with at(dt.date(2026, 4, 8)):
        html = admin.get(reverse("home")).content.decode()
        assert reverse("assessment:bonus_list") in html and reverse("assessment:note_list") in html
        resp = admin.post(reverse("assessment:bonus_create"), {"subject": peer.pk, "period": MONTH, "points": "5",
                                                               "reason": "额外贡献"}, follow=True)
        assert resp.status_code == 200
        listing = admin.get(reverse("assessment:bonus_list")).content.decode()
        assert "额外贡献" in listing and "peer" in listing
        bonus = Bonus.objects.get()
        assert Result.objects.get(period=MONTH, subject_id=peer.pk).total == D("29.2")
        edit = admin.get(reverse("assessment:bonus_edit", args=[bonus.pk])).content.decode()
        assert 'value="5"' in edit and reverse("assessment:bonus_delete", args=[bonus.pk]) in edit
        bad = admin.post(reverse("assessment:bonus_edit", args=[bonus.pk]), {"points": "1.234", "reason": "x"})
        assert "请输入正的分值，最多2位小数。" in bad.content.decode()
        admin.post(reverse("assessment:bonus_edit", args=[bonus.pk]), {"points": "3", "reason": "额外贡献"})
        assert Result.objects.get(period=MONTH, subject_id=peer.pk).total == D("27.2")
        export = admin.get(reverse("assessment:bonus_list"), {"export": "xlsx"})
        assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxmlformats")
        admin.post(reverse("assessment:bonus_delete", args=[bonus.pk]))
    assert not Bonus.objects.exists()
    assert Result.objects.get(period=MONTH, subject_id=peer.pk).total == D("24.2")
    with at(dt.date(2026, 4, 16)):
        admin.force_login(User.objects.get(username="root"))  # a new session on a new day
        late = admin.post(reverse("assessment:bonus_create"), {"subject": peer.pk, "period": MONTH, "points": "5",
                                                               "reason": "迟到"})
    assert "2026-03 的加分项已不能再新增或修改" in late.content.decode()


def test_note_pages_create_edit_delete(computed, admin):
    peer = computed["world"].user("peer")
    with at(dt.date(2026, 4, 8)):
        page = admin.get(reverse("assessment:note_create")).content.decode()
        assert 'value="2026-03"' in page
        admin.post(reverse("assessment:note_create"), {"subject": peer.pk, "period": MONTH, "text": "工作认真"})
        note = AssessmentNote.objects.get()
        assert "工作认真" in admin.get(reverse("assessment:note_list")).content.decode()
        admin.post(reverse("assessment:note_edit", args=[note.pk]), {"text": "工作认真，积极主动"})
        note.refresh_from_db()
        assert note.text == "工作认真，积极主动"
        admin.post(reverse("assessment:note_delete", args=[note.pk]))
    assert not AssessmentNote.objects.exists()


def test_r_perm_2_bonus_and_note_lists_and_exports_matrix(computed):
    world = computed["world"]
    bonuses, notes = {}, {}
    with at(dt.date(2026, 4, 8)):
        for n in NAMES:
            pk = world.user(n).pk
            bonuses[n] = services.bonus_create(user=None, subject_type="manager", subject_id=pk, period=MONTH,
                                               points="1", reason=f"b-{n}")
            notes[n] = services.note_create(user=None, subject_type="manager", subject_id=pk, period=MONTH,
                                            text=f"n-{n}")
        run_matrix(world, "assessment", bonuses, [page_list_probe(reverse("assessment:bonus_list")),
                                                  export_probe(reverse("assessment:bonus_list") + "?export=xlsx")])
        run_matrix(world, "assessment", notes, [page_list_probe(reverse("assessment:note_list")),
                                                export_probe(reverse("assessment:note_list") + "?export=xlsx")])
