"""Pages of 客户经理管理 (REQUIREMENTS §2): list with fuzzy query and filters, detail with tabs, the
step-wise creation, edit, enable/disable, training and experience rows; R-PERM-1 matrix."""

import datetime as dt

import pytest
from django.test import Client

from kam.managers.models import AccountManager, ManagerStatus, Training, WorkExperience
from kam.org.models import BusinessLine, User
from tests.helpers.matrix import export_probe, page_detail_probe, page_list_probe, run_matrix
from tests.helpers.world import grant_role

pytestmark = pytest.mark.django_db

LIST = "/managers/"


@pytest.fixture
def admin_client(world):
    me = world.user("me")
    for module in ("managers", "org", "users", "business_lines"):
        grant_role(me, module, "all")
    client = Client()
    client.force_login(me)
    return client


def test_r_perm_1_manager_pages_matrix(world, profiles):
    run_matrix(world, "managers", profiles, [
        page_list_probe(LIST), page_detail_probe(lambda o: f"/managers/{o.pk}/"),
        export_probe(f"{LIST}?export=xlsx"),
    ])


def test_section_2_list_fuzzy_query_and_filters(world, profiles, admin_client):
    def names(**params):
        resp = admin_client.get(LIST, params)
        assert resp.status_code == 200
        return {m.user.username for m in resp.context["page"].rows}

    assert names() == set(profiles)
    assert names(q="13800000005") == {"city_a"}   # phone
    assert names(q="E006") == {"other"}           # employee number
    assert names(q="dep") == {"dept"}             # account
    assert names(org_unit=world.unit("city_a").pk) == {"me", "peer", "dept", "sub", "city_a"}
    line = BusinessLine.objects.first()
    profiles["sub"].business_lines.add(line)
    assert names(business_line=line.pk) == {"sub"}
    AccountManager.objects.filter(pk=profiles["other"].pk).update(status=ManagerStatus.DISABLED)
    assert names(status="disabled") == {"other"}
    body = admin_client.get(LIST, {"q": "peer"}).content.decode()
    assert "E002" in body and "E001" not in body


def test_section_2_detail_shows_tabs(world, profiles, admin_client):
    m = profiles["peer"]
    Training.objects.create(manager=m, start_date=dt.date(2021, 3, 1), course="客户关系管理")
    WorkExperience.objects.create(manager=m, start_date=dt.date(2012, 1, 1), employer="某速递公司")
    body = admin_client.get(f"/managers/{m.pk}/").content.decode()
    for text in ("基本信息", "培训经历", "工作经验", "客户关系管理", "某速递公司", "E002"):
        assert text in body


def _wizard(client, step, **data):
    return client.post(f"/managers/new/?step={step}", data)


def test_section_2_wizard_saves_nothing_before_submit_and_everything_after(world, admin_client):
    line = BusinessLine.objects.first()
    assert admin_client.get("/managers/new/").status_code == 200
    resp = _wizard(admin_client, 1, login_mode="new", username="km900", org_unit=world.unit("county_1").pk,
                   superior="me", name="钱七", employee_no="KM900", gender="M",
                   business_lines=[line.pk], birth_date="1990-01-02")
    assert resp.status_code == 302 and resp["Location"].endswith("step=2")
    resp = _wizard(admin_client, 2, op="add", start_date="2020-01-01", end_date="2020-01-03", course="营销技巧")
    assert resp.status_code == 302
    # a bad row is refused with the field named
    resp = _wizard(admin_client, 2, op="add", start_date="2020-01-05", end_date="2020-01-01", course="x")
    assert resp.status_code == 200 and "结束日期不能早于开始日期" in resp.content.decode()
    resp = _wizard(admin_client, 2, op="next", start_date="2021-01-01", course="商务礼仪")  # filled row is kept
    assert resp["Location"].endswith("step=3")
    resp = _wizard(admin_client, 3, op="next", start_date="2010-01-01", end_date="2019-12-31", employer="某公司")
    assert resp["Location"].endswith("step=4")
    page = admin_client.get("/managers/new/?step=4").content.decode()
    assert "钱七" in page and "营销技巧" in page and "商务礼仪" in page and "某公司" in page
    assert not User.objects.filter(username="km900").exists()
    assert not AccountManager.objects.exists()
    resp = _wizard(admin_client, 4, op="submit", password="Init@pass-2026")
    assert resp.status_code == 302, resp.content.decode()[:2000]
    manager = AccountManager.objects.get(employee_no="KM900")
    assert resp["Location"] == f"/managers/{manager.pk}/"
    assert manager.user.username == "km900" and manager.user.superior == world.user("me")
    assert manager.user.must_change_password and manager.user.check_password("Init@pass-2026")
    assert sorted(t.course for t in manager.trainings.all()) == ["商务礼仪", "营销技巧"]
    assert [e.employer for e in manager.experiences.all()] == ["某公司"]
    assert list(manager.business_lines.all()) == [line]
    # the draft is gone
    assert admin_client.get("/managers/new/?step=4").context["step"] == 1


def test_section_2_wizard_step_1_names_bad_fields(world, profiles, admin_client):
    resp = _wizard(admin_client, 1, login_mode="new", username="me", superior="ghost", employee_no="E001")
    assert resp.status_code == 200
    errors = {f: " ".join(e) for f, e in resp.context["form"].errors.items()}
    assert "该账号已被使用" in errors["username"] and "ghost" in errors["superior"]
    assert "该工号已被使用" in errors["employee_no"] and "org_unit" in errors and "name" in errors
    resp = _wizard(admin_client, 1, login_mode="existing", user="peer", employee_no="P9")
    assert "该用户已有客户经理档案" in resp.context["form"].errors["user"][0]


def test_section_2_wizard_existing_user_and_generated_password(world, admin_client):
    _wizard(admin_client, 1, login_mode="existing", user="peer", employee_no="P100")
    _wizard(admin_client, 2, op="next")
    _wizard(admin_client, 3, op="next")
    resp = _wizard(admin_client, 4, op="submit")
    assert resp.status_code == 302
    assert AccountManager.objects.get(employee_no="P100").user == world.user("peer")
    # a new login with an empty password field gets a generated one-time password, shown once
    _wizard(admin_client, 1, login_mode="new", username="km901", org_unit=world.unit("county_1").pk, name="孙八",
            employee_no="KM901")
    _wizard(admin_client, 2, op="next")
    _wizard(admin_client, 3, op="next")
    resp = _wizard(admin_client, 4, op="submit", password="")
    page = admin_client.get(resp["Location"]).content.decode()
    assert "km901 的初始密码" in page


def test_section_2_wizard_final_check_reports_and_keeps_draft(world, profiles, admin_client):
    _wizard(admin_client, 1, login_mode="new", username="km902", org_unit=world.unit("county_1").pk, name="周九",
            employee_no="KM902")
    _wizard(admin_client, 2, op="next")
    _wizard(admin_client, 3, op="next")
    # meanwhile someone takes the employee number
    AccountManager.objects.filter(pk=profiles["peer"].pk).update(employee_no="KM902")
    resp = _wizard(admin_client, 4, op="submit", password="Init@pass-2026")
    assert resp.status_code == 200
    assert "该工号已被使用" in resp.content.decode()
    assert not User.objects.filter(username="km902").exists()


def test_section_2_edit_disable_enable_pages(world, profiles, admin_client):
    m = profiles["peer"]
    resp = admin_client.post(f"/managers/{m.pk}/edit/", {"name": "改名", "employee_no": "E002", "phone": "1",
                                                          "title": "高级客户经理"})
    assert resp.status_code == 302
    m.refresh_from_db()
    assert m.user.name == "改名" and m.title == "高级客户经理"
    page = admin_client.get(f"/managers/{m.pk}/disable/").content.decode()
    assert "用户管理" in page  # the page says the login stays
    resp = admin_client.post(f"/managers/{m.pk}/disable/", {"reason": ""})
    assert resp.status_code == 200 and not AccountManager.objects.get(pk=m.pk).status == "disabled"
    resp = admin_client.post(f"/managers/{m.pk}/disable/", {"reason": "长期病假"})
    assert resp.status_code == 302
    page = admin_client.get(f"/managers/{m.pk}/").content.decode()
    assert "长期病假" in page and "停用" in page
    assert User.objects.get(pk=m.user_id).is_active
    admin_client.post(f"/managers/{m.pk}/enable/")
    assert AccountManager.objects.get(pk=m.pk).status == ManagerStatus.ENABLED


def test_section_2_training_and_experience_rows_htmx(world, profiles, admin_client):
    m = profiles["peer"]
    resp = admin_client.post(f"/managers/{m.pk}/trainings/", {"training-start_date": "2022-01-01",
                                                              "training-course": "合同实务"}, HTTP_HX_REQUEST="true")
    assert resp.status_code == 200 and "合同实务" in resp.content.decode()
    row = Training.objects.get(manager=m)
    resp = admin_client.post(f"/managers/{m.pk}/trainings/", {"training-start_date": "2022-01-01"},
                             HTTP_HX_REQUEST="true")
    assert "kam-field-error" in resp.content.decode()
    admin_client.post(f"/managers/{m.pk}/trainings/{row.pk}/remove/", HTTP_HX_REQUEST="true")
    assert not Training.objects.exists()
    resp = admin_client.post(f"/managers/{m.pk}/experiences/", {"experience-start_date": "2010-01-01",
                                                                "experience-employer": "某支局"})
    assert resp.status_code == 302
    assert WorkExperience.objects.get(manager=m).employer == "某支局"


def test_r_perm_1_view_only_user_cannot_change(world, profiles):
    me = world.user("me")
    grant_role(me, "managers", "all", actions=("view",))
    client = Client()
    client.force_login(me)
    m = profiles["peer"]
    assert client.get(f"/managers/{m.pk}/").status_code == 200
    assert client.get("/managers/new/").status_code == 403
    assert client.post(f"/managers/{m.pk}/disable/", {"reason": "x"}).status_code == 403
    assert client.post(f"/managers/{m.pk}/trainings/", {"training-start_date": "2022-01-01",
                                                        "training-course": "c"}).status_code == 403
    assert AccountManager.objects.get(pk=m.pk).status == ManagerStatus.ENABLED


def test_section_2_disable_is_audited(world, profiles, admin_client):
    from django.contrib.contenttypes.models import ContentType

    from kam.audit.models import AuditEntry

    m = profiles["peer"]
    admin_client.post(f"/managers/{m.pk}/disable/", {"reason": "调离"})
    entry = AuditEntry.objects.filter(content_type=ContentType.objects.get_for_model(AccountManager),
                                      object_id=str(m.pk)).latest("at")
    assert entry.actor == world.user("me")
    assert entry.changes["status"] == ["enabled", "disabled"]


def test_list_query_count_does_not_grow_with_rows(world, profiles, admin_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        admin_client.get(LIST)
    for i in range(20):
        user = User.objects.create(username=f"extra{i}", name=f"额外{i}", org_unit=world.unit("county_3"))
        m = AccountManager.objects.create(user=user, employee_no=f"X{i:03d}")
        m.business_lines.set(BusinessLine.objects.all()[:2])
    with CaptureQueriesContext(connection) as many:
        resp = admin_client.get(LIST)
    assert len(resp.context["page"].rows) == 20
    assert len(many) <= len(few), [q["sql"] for q in many.captured_queries]


def test_section_2_delete_page_keeps_the_login(world, profiles, admin_client):
    m = profiles["peer"]
    assert admin_client.get(f"/managers/{m.pk}/delete/").status_code == 200
    resp = admin_client.post(f"/managers/{m.pk}/delete/")
    assert resp.status_code == 302 and resp["Location"] == LIST
    assert not AccountManager.objects.filter(pk=m.pk).exists()
    assert User.objects.filter(username="peer").exists()


def test_section_2_menu_entries(world, profiles, admin_client):
    page = admin_client.get("/").content.decode()
    assert "客户经理管理" in page and "客户经理新增" in page
