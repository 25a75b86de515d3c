"""在线用户 and 强退 (REQUIREMENTS §0, R-AUTH-1): logged-in sessions are listed; a forced logout
ends the other user's session at once and is written to the operation log."""

import datetime as dt

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client
from rest_framework.authtoken.models import Token

from kam.core import clock
from kam.system import services
from kam.system.models import OperationLog, Parameter, UserSession
from tests.helpers.world import grant_role

pytestmark = pytest.mark.django_db

ME_URL = "/api/v1/auth/me/"
SESSIONS_URL = "/api/v1/system/online-sessions/"


def test_login_registers_the_session_and_logout_ends_it(world):
    peer = Client(HTTP_USER_AGENT="Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) Firefox/133.0")
    peer.force_login(world.user("peer"))
    row = UserSession.objects.get(user=world.user("peer"))
    assert row.session_key == peer.session.session_key
    peer.logout()
    assert not UserSession.objects.exists()


def test_activity_is_refreshed_at_most_once_a_minute(world):
    start = clock.now()
    with time_machine.travel(start, tick=False):
        peer = Client()
        peer.force_login(world.user("peer"))
    row = UserSession.objects.get()
    with time_machine.travel(start + dt.timedelta(seconds=30), tick=False):
        peer.get(ME_URL)
    row.refresh_from_db()
    assert row.last_activity == start
    with time_machine.travel(start + dt.timedelta(seconds=90), tick=False):
        peer.get(ME_URL)
    row.refresh_from_db()
    assert row.last_activity == start + dt.timedelta(seconds=90)


def test_idle_session_ends_after_the_session_minutes_parameter(world):
    """R-AUTH-1: sessions expire — after ``security.session_minutes`` without a request."""
    services.parameter_update(parameter=Parameter.objects.get(key="security.session_minutes"), value=30)
    start = clock.now()
    with time_machine.travel(start, tick=False):
        peer = Client()
        peer.force_login(world.user("peer"))
    with time_machine.travel(start + dt.timedelta(minutes=29), tick=False):
        assert peer.get(ME_URL).status_code == 200
    with time_machine.travel(start + dt.timedelta(minutes=29 + 31), tick=False):
        assert peer.get(ME_URL).status_code in (401, 403)
    assert not UserSession.objects.exists()


def test_stale_rows_are_purged(world):
    peer = Client()
    peer.force_login(world.user("peer"))
    Session.objects.all().delete()  # expired and cleared by Django
    assert services.online_sessions_purge() == 1
    assert not UserSession.objects.exists()


def test_expired_sessions_are_not_listed_and_live_ones_not_purged(world):
    admin = world.user("me")
    grant_role(admin, "online_users", "all")
    peer = Client()
    peer.force_login(world.user("peer"))
    boss = Client()
    boss.force_login(admin)
    assert services.online_sessions_purge() == 0  # both sessions are live
    Session.objects.filter(session_key=peer.session.session_key).update(expire_date=clock.now() - dt.timedelta(1))
    assert [r["username"] for r in boss.get(SESSIONS_URL).json()["results"]] == ["me"]
    assert [s.user.username for s in boss.get("/system/online/").context["page"].rows] == ["me"]
    assert services.online_sessions_purge() == 1


def test_forced_logout_ends_the_other_users_session(world):
    admin, peer_user = world.user("me"), world.user("peer")
    grant_role(admin, "online_users", "all")
    peer = Client()
    peer.force_login(peer_user)
    Token.objects.create(user=peer_user)
    assert peer.get(ME_URL).status_code == 200

    boss = Client()
    boss.force_login(admin)
    listed = boss.get(SESSIONS_URL).json()["results"]
    assert {r["username"] for r in listed} == {"me", "peer"}
    target = next(r for r in listed if r["username"] == "peer")

    resp = boss.post(f"{SESSIONS_URL}{target['id']}/force-logout/", {"revoke_tokens": True},
                     content_type="application/json")
    assert resp.status_code == 204
    assert peer.get(ME_URL).status_code in (401, 403)  # the next request is anonymous
    assert not Token.objects.filter(user=peer_user).exists()
    assert [r["username"] for r in boss.get(SESSIONS_URL).json()["results"]] == ["me"]

    entry = OperationLog.objects.get()  # logged once, as 强退
    assert (entry.action, entry.module, entry.user, entry.result) == ("force_logout", "online_users", admin,
                                                                      "success")
    assert "peer" in entry.description


def test_own_session_cannot_be_forced_out(world):
    admin = world.user("me")
    grant_role(admin, "online_users", "all")
    boss = Client()
    boss.force_login(admin)
    own = UserSession.objects.get(user=admin)
    resp = boss.post(f"{SESSIONS_URL}{own.pk}/force-logout/", {}, content_type="application/json")
    assert resp.status_code == 400
    assert boss.get(ME_URL).status_code == 200


def test_forced_logout_needs_the_change_grant(world):
    admin = world.user("me")
    grant_role(admin, "online_users", "all", actions=("view",))
    peer = Client()
    peer.force_login(world.user("peer"))
    boss = Client()
    boss.force_login(admin)
    target = UserSession.objects.get(user=world.user("peer"))
    assert boss.post(f"{SESSIONS_URL}{target.pk}/force-logout/").status_code == 403
    assert peer.get(ME_URL).status_code == 200


def test_page_login_and_logout_are_logged_and_tracked(world):
    from kam.system.models import LoginLog
    from tests.helpers.world import PASSWORD

    browser = Client(HTTP_USER_AGENT="Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0 Safari/537.36",
                     REMOTE_ADDR="10.0.0.8")
    browser.post("/accounts/login/", {"username": "peer", "password": "wrong"})
    resp = browser.post("/accounts/login/", {"username": "peer", "password": PASSWORD})
    assert resp.status_code == 302
    row = UserSession.objects.get(user=world.user("peer"))
    assert (row.ip, row.browser, row.os) == ("10.0.0.8", "Chrome 131", "Windows 10/11")
    browser.post("/accounts/logout/")
    assert not UserSession.objects.exists()
    assert list(LoginLog.objects.order_by("id").values_list("result", "message")) == [
        ("failure", "账号或密码错误"), ("success", "登录成功"), ("success", "退出成功")]
    assert not OperationLog.objects.exists()  # logins and logouts are not business operations
