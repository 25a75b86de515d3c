"""R-AUTH-1 over the API: token login (throttled by django-axes), token and session auth, the
one-time initial password, who am I, logout."""

import pytest
from django.utils import translation
from rest_framework.authtoken.models import Token

from kam.core.registry import MODULES
from kam.org.models import User
from tests.helpers.world import PASSWORD, grant_role, make_user

TOKEN_URL = "/api/v1/auth/token/"
ME_URL = "/api/v1/auth/me/"
PASSWORD_URL = "/api/v1/auth/password/"
USERS_URL = "/api/v1/org/users/"

pytestmark = pytest.mark.django_db


def obtain(api, username, password, **extra):
    return api.post(TOKEN_URL, {"username": username, "password": password}, format="json", **extra)


def test_r_auth_1_token_obtain_and_use(api, world):
    resp = obtain(api, "me", PASSWORD)
    assert resp.status_code == 200
    token = resp.json()["token"]
    assert resp.json()["must_change_password"] is False
    assert Token.objects.get(user=world.user("me")).key == token

    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = api.get(ME_URL)
    assert me.status_code == 200
    assert me.json()["username"] == "me"
    assert me.json()["org_unit"] == world.unit("county_1").pk
    # The login is recorded like a page login.
    assert User.objects.get(username="me").last_login is not None


def test_r_auth_1_token_wrong_password_is_400_with_message(api, world):
    resp = obtain(api, "me", "wrong-password")
    assert resp.status_code == 400
    with translation.override("zh-hans"):
        chinese = translation.gettext("Wrong account number or password.")
    assert chinese != "Wrong account number or password."
    assert resp.json() == {"non_field_errors": [chinese]}
    resp = obtain(api, "me", "wrong-password", HTTP_ACCEPT_LANGUAGE="en")
    assert resp.json() == {"non_field_errors": ["Wrong account number or password."]}
    assert not Token.objects.exists()


def test_r_auth_1_token_missing_fields_name_them(api, world):
    resp = api.post(TOKEN_URL, {"username": "me"}, format="json")
    assert resp.status_code == 400
    assert set(resp.json()) == {"password"}


def test_r_auth_1_token_throttled_after_five_failures(api, world):
    for _ in range(4):
        assert obtain(api, "me", "wrong-password").status_code == 400
    fifth = obtain(api, "me", "wrong-password")
    assert fifth.status_code == 403
    # Even the right password is refused while the account is locked.
    resp = obtain(api, "me", PASSWORD)
    assert resp.status_code == 403
    assert "锁定" in resp.json()["detail"]
    assert "15" in resp.json()["detail"]
    assert not Token.objects.exists()
    # Another account from the same address is not locked.
    assert obtain(api, "peer", PASSWORD).status_code == 200


def test_r_auth_1_inactive_user_gets_no_token(api, world):
    User.objects.filter(username="me").update(is_active=False)
    assert obtain(api, "me", PASSWORD).status_code == 400


def test_unauthenticated_call_is_401(api, world):
    assert api.get(USERS_URL).status_code == 401
    api.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert api.get(USERS_URL).status_code == 401


def test_session_auth_works(api, world):
    grant_role(world.user("me"), "users", "all", actions=("view",))
    api.force_login(world.user("me"))
    assert api.get(USERS_URL).status_code == 200
    assert api.get(ME_URL).json()["username"] == "me"


def test_r_auth_1_initial_password_must_be_changed_before_the_api_works(api, world):
    newbie = make_user("newbie", world.unit("county_1"), must_change_password=True)
    grant_role(newbie, "users", "all", actions=("view",))
    resp = obtain(api, "newbie", PASSWORD)
    assert resp.status_code == 200
    assert resp.json()["must_change_password"] is True
    api.credentials(HTTP_AUTHORIZATION=f"Token {resp.json()['token']}")

    blocked = api.get(USERS_URL)
    assert blocked.status_code == 403
    assert "初始密码" in blocked.json()["detail"]
    assert "/api/v1/auth/password/" in blocked.json()["detail"]
    blocked_en = api.get(USERS_URL, HTTP_ACCEPT_LANGUAGE="en")
    assert "initial password must be changed" in blocked_en.json()["detail"]
    assert api.get("/api/v1/org/modules/").status_code == 403

    me = api.get(ME_URL)
    assert me.status_code == 200
    assert me.json()["must_change_password"] is True

    wrong = api.post(PASSWORD_URL, {"old_password": "nope", "new_password": "Better#Pass-2026"}, format="json")
    assert wrong.status_code == 400
    assert set(wrong.json()) == {"old_password"}
    weak = api.post(PASSWORD_URL, {"old_password": PASSWORD, "new_password": "12345678"}, format="json")
    assert weak.status_code == 400
    assert set(weak.json()) == {"new_password"}

    done = api.post(PASSWORD_URL, {"old_password": PASSWORD, "new_password": "Better#Pass-2026"}, format="json")
    assert done.status_code == 200
    newbie.refresh_from_db()
    assert newbie.must_change_password is False
    assert newbie.check_password("Better#Pass-2026")
    assert api.get(USERS_URL).status_code == 200


def test_me_lists_roles_and_effective_grants(api, world):
    me = world.user("me")
    role = grant_role(me, "users", "subtree", actions=("view", "analyse"), code="r-users")
    grant_role(me, "users", "own", actions=("view", "change"), code="r-users-own")
    api.force_login(me)
    data = api.get(ME_URL).json()
    assert {r["code"] for r in data["roles"]} == {"r-users", "r-users-own"}
    assert role.pk in {r["id"] for r in data["roles"]}
    with translation.override("zh-hans"):
        label = str(MODULES["users"].label)
    assert data["grants"]["users"] == {
        "label": label, "view": True, "change": True, "analyse": True, "scopes": ["own", "subtree"],
    }
    assert "org" not in data["grants"]


def test_logout_deletes_the_token(api, world):
    token = obtain(api, "me", PASSWORD).json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.post("/api/v1/auth/logout/").status_code == 204
    assert not Token.objects.filter(key=token).exists()
    assert api.get(ME_URL).status_code == 401


def test_r_auth_1_token_expires(api, world):
    import datetime as dt

    import time_machine
    from django.utils import timezone

    start = timezone.now()
    with time_machine.travel(start, tick=False):
        token = obtain(api, "me", PASSWORD).json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    with time_machine.travel(start + dt.timedelta(hours=11), tick=False):
        assert api.get(ME_URL).status_code == 200
    with time_machine.travel(start + dt.timedelta(hours=12, minutes=1), tick=False):
        resp = api.get(ME_URL, HTTP_ACCEPT_LANGUAGE="en")
        assert resp.status_code == 401
        assert "expired" in resp.json()["detail"]
        assert not Token.objects.filter(key=token).exists()
        api.credentials()
        fresh = obtain(api, "me", PASSWORD).json()["token"]
    assert fresh != token
