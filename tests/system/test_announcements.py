"""通知公告: the home page shows published, current announcements addressed to the user's unit or
an ancestor of it (a chosen unit's subtree) — REQUIREMENTS §0 系统管理."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from kam.system import services
from kam.system.models import AnnouncementStatus
from kam.system.selectors import announcements_for

pytestmark = pytest.mark.django_db

T0 = timezone.make_aware(dt.datetime(2026, 3, 10, 9, 0))


def visible(world, name):
    return {a.title for a in announcements_for(world.user(name))}


def test_audience_by_org_subtree(world):
    services.announcement_create(title="全体", publish=True)
    services.announcement_create(title="甲市", for_all=False, units=[world.unit("city_a")], publish=True)
    services.announcement_create(title="一区", for_all=False, units=[world.unit("county_1")], publish=True)
    services.announcement_create(title="乙市和营销部", for_all=False,
                                 units=[world.unit("city_b"), world.unit("dept")], publish=True)
    services.announcement_create(title="草稿")  # never published
    assert visible(world, "me") == {"全体", "甲市", "一区"}
    assert visible(world, "dept") == {"全体", "甲市", "一区", "乙市和营销部"}
    assert visible(world, "sub") == {"全体", "甲市"}
    assert visible(world, "city_a") == {"全体", "甲市"}
    assert visible(world, "other") == {"全体", "乙市和营销部"}


def test_publication_window_follows_the_clock(world):
    with time_machine.travel(T0, tick=False):
        services.announcement_create(title="下周", publish=True, publish_at=T0 + dt.timedelta(days=7),
                                     expire_at=T0 + dt.timedelta(days=14))
        services.announcement_create(title="本周", publish=True, expire_at=T0 + dt.timedelta(days=7))
        assert visible(world, "me") == {"本周"}
    with time_machine.travel(T0 + dt.timedelta(days=8), tick=False):
        assert visible(world, "me") == {"下周"}
    with time_machine.travel(T0 + dt.timedelta(days=15), tick=False):
        assert visible(world, "me") == set()


def test_withdrawn_announcements_disappear(world):
    a = services.announcement_create(title="撤回", publish=True)
    assert visible(world, "me") == {"撤回"}
    services.announcement_withdraw(announcement=a)
    assert a.status == AnnouncementStatus.DRAFT
    assert visible(world, "me") == set()


def test_checks_name_the_field(world):
    with pytest.raises(ValidationError) as err:
        services.announcement_create(title="无对象", for_all=False)
    assert "units" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        services.announcement_create(title="倒序", publish_at=T0, expire_at=T0 - dt.timedelta(hours=1))
    assert "expire_at" in err.value.message_dict


def test_everyone_reads_current_announcements_over_the_api(world, client):
    services.announcement_create(title="全体通知", content="<script>alert(1)</script>", publish=True)
    services.announcement_create(title="乙市", for_all=False, units=[world.unit("city_b")], publish=True)
    client.force_login(world.user("me"))  # no grant at all
    resp = client.get("/api/v1/system/announcements/current/")
    assert resp.status_code == 200
    assert [a["title"] for a in resp.json()] == ["全体通知"]
    assert client.get("/api/v1/system/announcements/").status_code == 403  # managing needs the grant
