"""Account-manager profiles (REQUIREMENTS §2): creation in one transaction, rows, enable/disable."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from kam.managers import selectors, services
from kam.managers.models import AccountManager, ManagerStatus, Training, WorkExperience
from kam.org.models import BusinessLine, User
from tests.helpers.world import grant_role

pytestmark = pytest.mark.django_db

PASSWORD = "Init@pass-2026"


def _create_new_login(world, **kw):
    data = dict(
        username="km001", org_unit=world.unit("county_1"), password=PASSWORD, name="张三",
        employee_no="KM001", gender="M", phone="13900000001", email="zs@example.com",
        birth_date=dt.date(1990, 5, 1), education="bachelor", title="客户经理", hire_date=dt.date(2015, 7, 1),
        business_lines=list(BusinessLine.objects.all()[:2]),
        trainings=[{"start_date": dt.date(2016, 3, 1), "end_date": dt.date(2016, 3, 5), "organiser": "省培训中心",
                    "course": "大客户营销", "result": "合格"}],
        experiences=[{"start_date": dt.date(2010, 1, 1), "end_date": dt.date(2015, 6, 30), "employer": "某公司",
                      "position": "销售代表"}],
    )
    data.update(kw)
    return services.manager_create(**data)


def test_section_2_create_with_new_login_saves_everything(world):
    manager = _create_new_login(world)
    user = User.objects.get(username="km001")
    assert manager.user == user and user.name == "张三" and user.phone == "13900000001"
    assert user.org_unit == world.unit("county_1")
    assert user.must_change_password, "R-AUTH-1: the initial password is one-time"
    assert user.check_password(PASSWORD)
    assert user.roles.filter(code="account_manager").exists()
    assert manager.business_lines.count() == 2
    assert [t.course for t in manager.trainings.all()] == ["大客户营销"]
    assert [e.employer for e in manager.experiences.all()] == ["某公司"]
    assert manager.status == ManagerStatus.ENABLED


def test_section_2_create_is_all_or_nothing(world):
    """A bad row in the last step leaves neither the login nor the profile behind."""
    with pytest.raises(ValidationError) as exc:
        _create_new_login(world, experiences=[{"start_date": dt.date(2012, 1, 1), "end_date": dt.date(2011, 1, 1),
                                               "employer": "某公司"}])
    assert "experiences[1].end_date" in exc.value.message_dict
    assert not User.objects.filter(username="km001").exists()
    assert not AccountManager.objects.exists() and not Training.objects.exists()


def test_section_2_create_names_the_bad_fields(world):
    _create_new_login(world)
    with pytest.raises(ValidationError) as exc:
        _create_new_login(world, password="123", gender="X", org_unit=None)
    errors = exc.value.message_dict
    assert {"username", "org_unit", "password"} <= set(errors)
    with pytest.raises(ValidationError) as exc:
        _create_new_login(world, username="km002", gender="X", education="phd?")
    assert {"employee_no", "gender", "education"} <= set(exc.value.message_dict)


def test_section_2_attach_profile_to_existing_user(world):
    peer = world.user("peer")
    manager = services.manager_create(user=peer, employee_no="P1", name="李四")
    peer.refresh_from_db()
    assert manager.user == peer and peer.name == "李四"
    assert peer.roles.filter(code="account_manager").exists()
    with pytest.raises(ValidationError) as exc:
        services.manager_create(user=peer, employee_no="P2")
    assert "user" in exc.value.message_dict


def test_r_perm_1_create_outside_scope_is_refused(world):
    me = world.user("me")
    grant_role(me, "managers", "unit")
    services.manager_create(actor=me, user=world.user("peer"), employee_no="P1")
    with pytest.raises(PermissionDenied):
        services.manager_create(actor=me, user=world.user("other"), employee_no="O1")
    assert not AccountManager.objects.filter(employee_no="O1").exists()


def test_section_2_update_and_rows(world, profiles):
    m = profiles["peer"]
    services.manager_update(manager=m, name="王五", phone="13111111111", title="高级客户经理",
                            business_lines=[BusinessLine.objects.first()])
    m.refresh_from_db()
    assert (m.name, m.phone, m.title, m.business_lines.count()) == ("王五", "13111111111", "高级客户经理", 1)
    t = services.training_add(manager=m, start_date=dt.date(2021, 1, 1), course="谈判技巧")
    e = services.experience_add(manager=m, start_date=dt.date(2018, 1, 1), employer="邮政支局")
    assert m.trainings.count() == 1 and m.experiences.count() == 1
    with pytest.raises(ValidationError) as exc:
        services.training_add(manager=m, start_date=dt.date(2021, 1, 1), end_date=dt.date(2020, 1, 1), course="x")
    assert "end_date" in exc.value.message_dict
    services.training_remove(training=t)
    services.experience_remove(experience=e)
    assert not Training.objects.exists() and not WorkExperience.objects.exists()


def test_section_2_disable_keeps_history_and_login(world, profiles):
    m = profiles["peer"]
    services.training_add(manager=m, start_date=dt.date(2021, 1, 1), course="谈判技巧")
    with pytest.raises(ValidationError) as exc:
        services.manager_disable(manager=m, reason="  ")
    assert "reason" in exc.value.message_dict
    services.manager_disable(manager=m, reason="调离岗位")
    m.refresh_from_db()
    assert m.status == ManagerStatus.DISABLED and m.disabled_reason == "调离岗位" and m.disabled_at
    assert m.trainings.count() == 1, "history stays"
    assert m.user.is_active, "the login is not touched"
    with pytest.raises(ValidationError):
        services.manager_disable(manager=m, reason="again")
    services.manager_enable(manager=m)
    m.refresh_from_db()
    assert m.status == ManagerStatus.ENABLED and m.disabled_at is None and m.disabled_reason == ""


def test_section_2_disabled_manager_is_not_assignable(world, profiles):
    """A disabled manager gets no new work, customers or templates."""
    m = profiles["peer"]
    services.ensure_assignable(m)
    services.manager_disable(manager=m, reason="离职")
    assert not AccountManager.objects.assignable().filter(pk=m.pk).exists()
    with translation.override("zh-hans"), pytest.raises(ValidationError) as exc:
        services.ensure_assignable(m)
    assert "客户经理已停用" in exc.value.message_dict["manager"][0]
    with pytest.raises(ValidationError) as exc:
        services.ensure_assignable(m, field="owner")
    assert "owner" in exc.value.message_dict
    me = world.user("me")
    grant_role(me, "managers", "all")
    offered = set(selectors.active_managers(me).values_list("pk", flat=True))
    assert m.pk not in offered and profiles["me"].pk in offered
    services.manager_enable(manager=m)
    services.ensure_assignable(m)
    assert m.pk in set(selectors.active_managers(me).values_list("pk", flat=True))


def test_section_2_inactive_login_is_not_assignable(world, profiles):
    m = profiles["peer"]
    User.objects.filter(pk=m.user_id).update(is_active=False)
    m.user.refresh_from_db()
    with pytest.raises(ValidationError):
        services.ensure_assignable(m)
    assert not AccountManager.objects.assignable().filter(pk=m.pk).exists()


def test_section_2_active_managers_by_unit_and_line(world, profiles):
    me = world.user("me")
    grant_role(me, "managers", "all")
    line = BusinessLine.objects.first()
    services.manager_update(manager=profiles["dept"], business_lines=[line])
    in_county = {m.user.username for m in selectors.active_managers(me, org_unit=world.unit("county_1"))}
    assert in_county == {"me", "peer", "dept"}
    assert [m.user.username for m in selectors.active_managers(me, business_line=line)] == ["dept"]


def test_section_2_fuzzy_query(world, profiles):
    qs = AccountManager.objects.all()
    assert {m.user.username for m in qs.search("pee")} == {"peer"}       # account
    assert {m.user.username for m in qs.search("E00")} == set(profiles)  # employee number
    assert {m.user.username for m in qs.search("13800000003")} == {"dept"}  # phone
    services.manager_update(manager=profiles["other"], name="欧阳修")
    assert {m.user.username for m in qs.search("欧阳")} == {"other"}     # name
    assert qs.search("  ").count() == len(profiles)


def test_section_2_delete_profile_keeps_login(world, profiles):
    m = profiles["peer"]
    services.manager_delete(manager=m)
    assert not AccountManager.objects.filter(pk=m.pk).exists()
    assert User.objects.filter(pk=world.user("peer").pk).exists()
