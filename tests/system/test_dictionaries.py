"""字典管理 (REQUIREMENTS §0, RuoYi conventions): built-in dictionaries, one default per type,
coloured tags in lists, form choices with the default preselected, cached look-ups."""

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext

from kam.system import services
from kam.system.cache import request_cache
from kam.system.defaults import ensure_defaults
from kam.system.forms import DictChoiceField
from kam.system.models import DictType, DictValue
from kam.system.selectors import dict_default, dict_label, dict_values

pytestmark = pytest.mark.django_db


def test_builtin_dictionaries_are_shipped():
    assert dict_values("customer_level") == [
        ("diamond", "钻石级客户"), ("gold", "金牌客户"), ("silver", "银牌客户"), ("normal", "普通客户")]
    assert len(dict_values("industry")) >= 12
    for code in ("customer_status", "yes_no", "gender", "settlement_type", "cost_category"):
        assert dict_values(code), code
    assert dict_default("customer_level") == "normal"


def test_defaults_are_idempotent_and_keep_admin_changes():
    level = DictValue.objects.get(dict_type__code="customer_level", value="gold")
    services.dict_value_update(item=level, label="金卡客户")
    DictValue.objects.filter(dict_type__code="industry", value="it").delete()
    count = DictValue.objects.count()
    ensure_defaults()
    ensure_defaults()
    assert DictValue.objects.count() == count + 1  # only the deleted value came back
    assert dict_label("customer_level", "gold") == "金卡客户"


def test_at_most_one_default_per_type_in_the_database():
    level = DictType.objects.get(code="customer_level")
    with pytest.raises(IntegrityError), transaction.atomic():
        DictValue.objects.filter(dict_type=level, value="gold").update(is_default=True)


def test_service_moves_the_default_flag():
    level = DictType.objects.get(code="customer_level")
    gold = DictValue.objects.get(dict_type=level, value="gold")
    services.dict_value_update(item=gold, is_default=True)
    assert list(DictValue.objects.filter(dict_type=level, is_default=True).values_list("value", flat=True)) == [
        "gold"]
    new = services.dict_value_create(dict_type=level, value="bronze", label="铜牌客户", is_default=True)
    assert list(DictValue.objects.filter(dict_type=level, is_default=True)) == [new]
    assert dict_default("customer_level") == "bronze"


def test_value_checks_name_the_field():
    level = DictType.objects.get(code="customer_level")
    with pytest.raises(ValidationError) as err:
        services.dict_value_create(dict_type=level, value="x", label="X", tag_colour="rainbow")
    assert "tag_colour" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        services.dict_value_create(dict_type=level, value="gold", label="重复")
    assert err.value.messages
    with pytest.raises(ValidationError) as err:
        services.dict_value_create(dict_type=level, value="y", label="Y", is_default=True, enabled=False)
    assert "is_default" in err.value.message_dict
    with pytest.raises(ValidationError):
        services.dict_type_delete(dict_type=level)  # built-in


def test_disabled_values_leave_choices_but_keep_their_label():
    gold = DictValue.objects.get(dict_type__code="customer_level", value="gold")
    services.dict_value_update(item=gold, enabled=False)
    assert "gold" not in dict(dict_values("customer_level"))
    assert dict_label("customer_level", "gold") == "金牌客户"


def render(template: str, **ctx) -> str:
    return Template("{% load system_tags %}" + template).render(Context(ctx))


def test_dict_tag_renders_a_coloured_badge():
    html = render('{% dict_tag "customer_level" level %}', level="diamond")
    assert html == '<span class="badge text-bg-danger">钻石级客户</span>'
    level = DictType.objects.get(code="customer_level")
    services.dict_value_create(dict_type=level, value="vip", label="<b>贵宾</b>", tag_colour="#1677ff",
                               css_class="fs-6")
    html = render('{% dict_tag "customer_level" "vip" %}')
    assert html == ('<span class="badge fs-6" style="background-color: #1677ff; color: #fff">'
                    '&lt;b&gt;贵宾&lt;/b&gt;</span>')
    assert "unknown" in render('{% dict_tag "customer_level" "unknown" %}')
    assert render('{% dict_tag "customer_level" None %}') == ""
    assert render('{{ v|dict_label:"industry" }}', v="finance") == "金融保险"


def test_500_tags_in_one_request_make_one_query():
    rows = ["diamond", "gold", "silver", "normal", "unknown"] * 100
    template = '{% for r in rows %}{% dict_tag "customer_level" r %}{% endfor %}'
    with request_cache(), CaptureQueriesContext(connection) as queries:
        html = render(template, rows=rows)
    assert len(queries) == 1
    assert html.count("钻石级客户") == 100


def test_cache_drops_a_changed_value_at_once():
    with request_cache():
        assert dict_label("customer_level", "gold") == "金牌客户"
        gold = DictValue.objects.get(dict_type__code="customer_level", value="gold")
        services.dict_value_update(item=gold, label="黄金客户")
        assert dict_label("customer_level", "gold") == "黄金客户"


def test_dict_choice_field_offers_enabled_values_with_default_preselected():
    class CustomerForm(forms.Form):
        level = DictChoiceField("customer_level", label="客户级别")
        industry = DictChoiceField("industry", required=False)

    form = CustomerForm()
    assert form["level"].value() == "normal"
    assert [c[0] for c in form.fields["level"].choices] == ["diamond", "gold", "silver", "normal"]
    assert form.fields["industry"].choices[0] == ("", "---------")
    assert 'value="normal" selected' in str(form["level"])
    assert not CustomerForm({"level": "platinum"}).is_valid()
    assert CustomerForm({"level": "gold"}).is_valid()
