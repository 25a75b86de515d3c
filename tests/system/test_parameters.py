"""参数设置: typed parameters with the defaults of REQUIREMENTS (R-ASM-3, R-ASM-5, R-ASM-6, R-AUTH-1),
read by the rules through one selector."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from kam.system import services
from kam.system.cache import request_cache
from kam.system.models import Parameter
from kam.system.selectors import param

pytestmark = pytest.mark.django_db


def test_defaults_of_the_rules():
    assert param("assessment.lock_first_day") == 1
    assert param("assessment.lock_last_day") == 5
    assert param("assessment.compute_day") == 7
    assert param("assessment.adjust_last_day") == 15
    assert param("security.login_failure_limit") == 5
    assert param("security.session_minutes") == 120
    assert param("security.password_min_length") == 8
    assert param("security.initial_password_change") is True
    with pytest.raises(KeyError):
        param("no.such.key")


def test_a_changed_parameter_is_read_by_the_selector():
    p = Parameter.objects.get(key="assessment.lock_last_day")
    with request_cache():
        assert param("assessment.lock_last_day") == 5
        services.parameter_update(parameter=p, value="6")
        assert param("assessment.lock_last_day") == 6
    assert param("assessment.lock_last_day") == 6


def test_a_missing_row_falls_back_to_the_default():
    Parameter.objects.filter(key="assessment.compute_day").delete()
    assert param("assessment.compute_day") == 7


@pytest.mark.parametrize("value_type,text,expected", [
    ("int", " 12 ", 12), ("decimal", "12.50", Decimal("12.50")), ("bool", "否", False), ("bool", "true", True),
    ("date", "2026-03-01", dt.date(2026, 3, 1)), ("str", "甲", "甲"),
])
def test_values_are_typed(value_type, text, expected):
    services.parameter_create(key="custom.x", name="自定义", value=text, value_type=value_type)
    assert param("custom.x") == expected


def test_wrong_values_get_a_clear_message_naming_the_field():
    p = Parameter.objects.get(key="assessment.compute_day")
    with translation.override("zh-hans"):
        with pytest.raises(ValidationError) as err:
            services.parameter_update(parameter=p, value="七")
        assert err.value.message_dict == {"value": ["请输入整数，例如 5。"]}
        with pytest.raises(ValidationError) as err:
            services.parameter_update(parameter=p, value="40")
        assert err.value.message_dict == {"value": ["取值不能大于 28。"]}
    with translation.override("en"), pytest.raises(ValidationError) as err:
        services.parameter_create(key="custom.d", name="日期", value="31/01/2026", value_type="date")
    assert err.value.message_dict == {"value": ["Enter a date as YYYY-MM-DD, e.g. 2026-01-31."]}
    p.refresh_from_db()
    assert p.value == "7"
    with pytest.raises(ValidationError):
        services.parameter_delete(parameter=p)  # built-in


def test_r_auth_1_login_safety_reads_the_parameters():
    from kam.system.security import ParameterMinimumLengthValidator, lockout_cooloff, login_failure_limit

    assert login_failure_limit() == 5
    assert lockout_cooloff() == dt.timedelta(minutes=15)
    services.parameter_update(parameter=Parameter.objects.get(key="security.login_failure_limit"), value="3")
    services.parameter_update(parameter=Parameter.objects.get(key="security.password_min_length"), value="12")
    assert login_failure_limit() == 3
    validator = ParameterMinimumLengthValidator()
    validator.validate("Long-enough-1")
    with pytest.raises(ValidationError):
        validator.validate("Short-pw-1")


def test_list_page_queries_do_not_grow_with_rows(world, client):
    """A list of many rows with dictionary tags makes the same queries as a list of a few."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.helpers.world import grant_role

    me = world.user("me")
    grant_role(me, "operation_log", "all")
    client.force_login(me)
    for i in range(5):
        services.log_operation(user=me, action="export", description=f"{i}")
    client.get("/system/operation-log/")  # warm up (session refresh)
    with CaptureQueriesContext(connection) as few:
        client.get("/system/operation-log/", {"per_page": 500})
    for i in range(200):
        services.log_operation(user=me, action="update", description=f"more {i}")
    with CaptureQueriesContext(connection) as many:
        resp = client.get("/system/operation-log/", {"per_page": 500})
    assert len(resp.context["page"].rows) == 205
    assert len(many) == len(few)
