"""R-AUTH-1: login by account number and password, throttling, the one-time initial password,
the password change page, logout, session expiry; and the language switch (§11)."""

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse

from kam.core import clock
from kam.org.models import User
from tests.helpers.world import PASSWORD, make_user

NEW_PASSWORD = "Kam-new-pass-42"


def login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


@pytest.mark.django_db
def test_r_auth_1_login_page_asks_for_account_number_and_password():
    resp = Client().get(reverse("login"))
    html = resp.content.decode()
    assert resp.status_code == 200
    assert "账号" in html and "密码" in html and "登录" in html


@pytest.mark.django_db
def test_r_auth_1_login_with_account_number_and_password(world):
    client = Client()
    resp = login(client, "me", PASSWORD)
    assert resp.status_code == 302
    assert resp["Location"] == reverse("home")
    resp = client.get(reverse("home"))
    assert resp.context["user"].username == "me"


@pytest.mark.django_db
def test_r_auth_1_wrong_password_shows_a_clear_message(world):
    client = Client()
    resp = login(client, "me", "wrong-password")
    assert resp.status_code == 200
    assert "账号或密码错误" in resp.content.decode()
    assert not resp.context["user"].is_authenticated


@pytest.mark.django_db
def test_r_auth_1_login_is_throttled_after_five_failures(world):
    client = Client()
    for _ in range(5 - 1):  # security.login_failure_limit defaults to 5
        resp = login(client, "me", "wrong-password")
        assert "账号或密码错误" in resp.content.decode()
    resp = login(client, "me", "wrong-password")
    assert resp.status_code in (403, 429)
    html = resp.content.decode()
    assert "登录失败次数过多" in html and "连续登录失败 5 次" in html and "请 15 分钟后再试" in html
    # Locked: even the right password is refused now.
    resp = login(client, "me", PASSWORD)
    assert resp.status_code in (403, 429)
    assert "登录失败次数过多" in resp.content.decode()
    assert not client.session.get("_auth_user_id")
    # Another account from the same address is not locked (account × address).
    resp = login(client, "peer", PASSWORD)
    assert resp.status_code == 302


@pytest.mark.django_db
def test_r_auth_1_first_login_forces_the_password_change(world):
    make_user("newbie", world.unit("county_1"), must_change_password=True)
    client = Client()
    resp = login(client, "newbie", PASSWORD)
    assert resp.status_code == 302
    # Any page sends the user to the password change page with a notice.
    resp = client.get(reverse("home"), follow=True)
    assert resp.redirect_chain[-1][0].startswith(reverse("password_change"))
    assert "必须先修改密码" in resp.content.decode()
    resp = client.get(reverse("org:user_list"))
    assert resp.status_code == 302 and resp["Location"].startswith(reverse("password_change"))

    resp = client.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert resp.status_code == 302
    assert resp["Location"] == reverse("home")
    # Still logged in, and free to work.
    resp = client.get(reverse("home"))
    assert resp.status_code == 200
    assert "密码已修改" in resp.content.decode()
    user = User.objects.get(username="newbie")
    assert not user.must_change_password
    assert user.check_password(NEW_PASSWORD)
    assert user.password_changed_at is not None


@pytest.mark.django_db
def test_r_auth_1_password_change_page_names_the_wrong_field(world):
    client = Client()
    client.force_login(world.user("me"))
    url = reverse("password_change")
    assert "原密码" in client.get(url).content.decode()

    resp = client.post(url, {"old_password": "nope", "new_password": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert resp.status_code == 200
    assert resp.context["form"].errors["old_password"] == ["原密码错误。"]

    resp = client.post(url, {"old_password": PASSWORD, "new_password": NEW_PASSWORD, "new_password2": "other-1x"})
    assert "两次输入的新密码不一致" in resp.content.decode()

    resp = client.post(url, {"old_password": PASSWORD, "new_password": "12345678", "new_password2": "12345678"})
    assert "new_password" in resp.context["form"].errors
    assert User.objects.get(username="me").check_password(PASSWORD)


@pytest.mark.django_db
def test_r_auth_1_logout_is_a_post(world):
    client = Client()
    client.force_login(world.user("me"))
    assert client.get(reverse("logout")).status_code == 405
    resp = client.post(reverse("logout"))
    assert resp.status_code == 302
    assert client.get(reverse("home")).status_code == 302


@pytest.mark.django_db
def test_r_auth_1_session_expires_after_inactivity(world):
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    client = Client()
    with time_machine.travel(clock.now(), tick=False) as traveller:
        login(client, "me", PASSWORD)
        assert client.get(reverse("home")).status_code == 200
        traveller.shift(dt.timedelta(seconds=settings.SESSION_COOKIE_AGE - 60))
        assert client.get(reverse("home")).status_code == 200  # activity renews the session
        traveller.shift(dt.timedelta(seconds=settings.SESSION_COOKIE_AGE + 60))
        resp = client.get(reverse("home"))
        assert resp.status_code == 302
        assert resp["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_language_switch_between_chinese_and_english(world):
    client = Client()
    client.force_login(world.user("me"))
    html = client.get(reverse("home")).content.decode()
    assert "首页" in html and "修改密码" in html
    resp = client.post(reverse("set_language"), {"language": "en", "next": reverse("home")})
    assert resp.status_code == 302
    html = client.get(reverse("home")).content.decode()
    assert 'lang="en"' in html
    assert "Home" in html and "Change password" in html and "System" in html
    assert "首页" not in html
    client.post(reverse("set_language"), {"language": "zh-hans", "next": reverse("home")})
    html = client.get(reverse("home")).content.decode()
    assert "首页" in html and "系统管理" in html
