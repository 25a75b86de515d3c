"""操作日志 and 登录日志 (REQUIREMENTS §0): every non-GET request of a logged-in user is logged with
its business action, duration and result; logins are logged with browser, OS and result."""

import pytest
from rest_framework.test import APIClient

from kam.system import services
from kam.system.middleware import operation
from kam.system.models import LoginLog, OperationLog
from kam.system.useragent import parse_user_agent
from tests.helpers.world import PASSWORD, grant_role

pytestmark = pytest.mark.django_db

CHROME_WIN = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/131.0.0.0 Safari/537.36")
EDGE = CHROME_WIN + " Edg/131.0.2903.86"
WECHAT_ANDROID = ("Mozilla/5.0 (Linux; Android 13; V2148A) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 "
                  "Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160065 MMWEBSDK/20231202 MicroMessenger/8.0.47")
SAFARI_IOS = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
              "Version/17.2 Mobile/15E148 Safari/604.1")


def test_user_agent_parsing():
    assert parse_user_agent(CHROME_WIN) == ("Chrome 131", "Windows 10/11")
    assert parse_user_agent(EDGE) == ("Edge 131", "Windows 10/11")
    assert parse_user_agent(WECHAT_ANDROID) == ("WeChat 8", "Android")
    assert parse_user_agent(SAFARI_IOS) == ("Safari 17", "iOS")
    assert parse_user_agent("") == ("", "")


def test_operation_log_written_for_a_post_with_duration_and_result(world):
    me = world.user("me")
    grant_role(me, "dictionaries", "all")
    api = APIClient(REMOTE_ADDR="10.1.2.3")
    api.force_login(me)
    resp = api.post("/api/v1/system/dict-types/", {"code": "visit_kind", "name": "拜访类型"}, format="json")
    assert resp.status_code == 201
    entry = OperationLog.objects.get()
    assert (entry.user, entry.username, entry.org_unit) == (me, "me", world.unit("county_1"))
    assert (entry.action, entry.module, entry.method) == ("create", "dictionaries", "POST")
    assert entry.url == "/api/v1/system/dict-types/"
    assert entry.ip == "10.1.2.3"
    assert entry.result == "success" and entry.status_code == 201 and entry.duration_ms >= 0
    assert entry.get_action_display() == "新增"

    resp = api.patch(f"/api/v1/system/dict-types/{resp.json()['id']}/", {"code": "bad code!"}, format="json")
    assert resp.status_code == 400
    failed = OperationLog.objects.order_by("-id").first()
    assert (failed.action, failed.result, failed.status_code) == ("update", "failure", 400)
    assert "code" in failed.error_message

    assert api.get("/api/v1/system/dict-types/").status_code == 200  # reads are not logged
    assert OperationLog.objects.count() == 2


def test_refused_writes_are_logged_as_failures(world):
    api = APIClient()
    api.force_login(world.user("me"))  # no grant
    assert api.post("/api/v1/system/dict-types/", {"code": "x", "name": "x"}, format="json").status_code == 403
    entry = OperationLog.objects.get()
    assert (entry.result, entry.status_code, entry.action) == ("failure", 403, "create")


def test_anonymous_requests_are_not_operation_logged(world):
    APIClient().post("/api/v1/system/dict-types/", {"code": "x"}, format="json")
    assert not OperationLog.objects.exists()


def test_declared_action_and_explicit_service(world):
    @operation("导出", module="customers", description="导出客户")
    def export_view(request):
        return None

    assert export_view.kam_operation == {"action": "export", "module": "customers", "description": "导出客户"}
    entry = services.log_operation(user=world.user("me"), action="授权", module="roles", description="授予角色")
    assert entry.action == "grant" and entry.org_unit == world.unit("county_1")
    with pytest.raises(ValueError):
        operation("飞行")


def test_login_log_success_and_failure(world):
    api = APIClient(HTTP_USER_AGENT=CHROME_WIN, REMOTE_ADDR="10.9.8.7")
    assert api.post("/api/v1/auth/token/", {"username": "me", "password": "wrong"}, format="json").status_code == 400
    assert api.post("/api/v1/auth/token/", {"username": "me", "password": PASSWORD},
                    format="json").status_code == 200
    assert api.post("/api/v1/auth/token/", {"username": "nobody", "password": "x"}, format="json").status_code == 400
    failed, ok, unknown = LoginLog.objects.order_by("id")
    assert (failed.username, failed.user, failed.result) == ("me", world.user("me"), "failure")
    assert (ok.result, ok.ip, ok.browser, ok.os) == ("success", "10.9.8.7", "Chrome 131", "Windows 10/11")
    assert ok.org_unit == world.unit("county_1")
    assert (unknown.username, unknown.user, unknown.result) == ("nobody", None, "failure")


def test_login_log_records_the_lockout(world):
    api = APIClient()
    for _ in range(5):
        api.post("/api/v1/auth/token/", {"username": "me", "password": "wrong"}, format="json")
    results = list(LoginLog.objects.order_by("id").values_list("result", flat=True))
    assert results == ["failure"] * 4 + ["locked"]
    api.post("/api/v1/auth/token/", {"username": "me", "password": PASSWORD}, format="json")
    assert LoginLog.objects.order_by("-id").first().result == "locked"


def test_clearing_old_entries(world):
    import datetime as dt

    from kam.core import clock

    me = world.user("me")
    old = services.log_operation(user=me, action="other", description="旧")
    OperationLog.objects.filter(pk=old.pk).update(created_at=clock.now() - dt.timedelta(days=400))
    services.log_operation(user=me, action="other", description="新")
    grant_role(me, "operation_log", "all")
    assert services.operation_log_clear(actor=me) == 1
    assert set(OperationLog.objects.values_list("description", flat=True)) == {"新", "清理了 1 条操作日志"}


def test_token_authenticated_api_writes_are_logged(world):
    from rest_framework.authtoken.models import Token

    me = world.user("me")
    grant_role(me, "parameters", "all")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=me).key}")
    p = api.get("/api/v1/system/parameters/", {"q": "compute_day"}).json()["results"][0]
    resp = api.patch(f"/api/v1/system/parameters/{p['id']}/", {"value": "x"}, format="json")
    assert resp.status_code == 400
    assert resp.json() == {"value": ["请输入整数，例如 5。"]}
    assert api.patch(f"/api/v1/system/parameters/{p['id']}/", {"value": "6"}, format="json").status_code == 200
    entries = list(OperationLog.objects.order_by("id").values_list("user__username", "module", "action", "result"))
    assert entries == [("me", "parameters", "update", "failure"), ("me", "parameters", "update", "success")]


def test_log_lists_filter_by_user_date_result_and_action(world):
    import datetime as dt

    from django.utils import timezone

    me, peer = world.user("me"), world.user("peer")
    grant_role(me, "operation_log", "all")
    grant_role(me, "login_log", "all")
    march = timezone.make_aware(dt.datetime(2026, 3, 5, 10, 0))
    a = services.log_operation(user=peer, action="export", description="a")
    b = services.log_operation(user=me, action="delete", description="b", result="failure")
    OperationLog.objects.filter(pk=a.pk).update(created_at=march)
    LoginLog.objects.create(username="peer", user=peer, result="failure", created_at=march)
    LoginLog.objects.create(username="me", user=me, result="success")
    api = APIClient()
    api.force_login(me)

    def ids(url, **params):
        return [r["id"] for r in api.get(url, params).json()["results"]]

    url = "/api/v1/system/operation-logs/"
    assert ids(url, user="pee") == [a.pk]
    assert ids(url, action="delete") == [b.pk]
    assert ids(url, result="failure") == [b.pk]
    assert ids(url, date_from="2026-03-05", date_to="2026-03-05") == [a.pk]
    assert ids(url, date_to="2026-03-04") == []
    logins = [r["username"] for r in api.get("/api/v1/system/login-logs/", {"result": "failure"}).json()["results"]]
    assert logins == ["peer"]
    page = api.get("/system/login-log/", {"date_from": "2026-03-01", "date_to": "2026-03-31"})
    assert [r.username for r in page.context["page"].rows] == ["peer"]
