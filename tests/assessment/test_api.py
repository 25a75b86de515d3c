"""API /api/v1/assessment/: the data scope (R-PERM-1, R-PERM-2) and the rules through the API."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from kam.assessment import services
from kam.assessment.models import AssessmentRun, Result, RunStatus, ScoreDetail
from kam.org.models import User
from tests.helpers.matrix import STANDARD_EXPECTED, api_detail_probe, api_list_probe, run_matrix

from .conftest import CONFIG_DAY, MONTH, REVENUE_INTERVALS, at, values_for
from .test_runs import ROWS

pytestmark = pytest.mark.django_db

BASE = "/api/v1/assessment"
NAMES = ("me", "peer", "dept", "sub", "city_a", "other")


@pytest.fixture
def computed(config):
    services.metric_values_save(items=values_for(config["world"], ROWS))
    with at(dt.date(2026, 4, 7)):
        services.run_start(user=None, period=MONTH, background=False)
    return config


@pytest.fixture
def admin_api(db):
    admin = User.objects.create_superuser(username="root", password="x", name="root", must_change_password=False)
    client = APIClient(headers={"accept-language": "en"})
    client.force_authenticate(admin)
    return client


def by_user(world, model_qs, field="subject_id"):
    return {name: model_qs.filter(**{field: world.user(name).pk}).first() for name in NAMES}


# --- R-PERM-2 on results: a manager sees their own, a supervisor their subordinates' ------------------------


def test_r_perm_2_results_api_matrix(computed):
    world = computed["world"]
    records = by_user(world, Result.objects.filter(period=MONTH))
    run_matrix(world, "assessment", records, [
        api_list_probe(f"{BASE}/results/?period={MONTH}"),
        api_detail_probe(lambda o: f"{BASE}/results/{o.pk}/"),
    ])


def test_r_perm_2_score_details_api_matrix(computed):
    world = computed["world"]
    records = by_user(world, ScoreDetail.objects.order_by("position"), field="result__subject_id")
    run_matrix(world, "assessment", records, [api_list_probe(f"{BASE}/score-details/"),
                                              api_detail_probe(lambda o: f"{BASE}/score-details/{o.pk}/")])


def test_r_perm_1_metric_values_and_assignments_api_matrix(computed):
    world = computed["world"]
    from kam.assessment.models import Assignment, MetricValue

    values = by_user(world, MetricValue.objects.filter(metric__code="new_ec"))
    values = {k: v for k, v in values.items() if v is not None}
    expected = {case: labels & set(values) for case, labels in STANDARD_EXPECTED.items()}
    run_matrix(world, "assessment_data", values, [api_list_probe(f"{BASE}/metric-values/")], expected=expected)
    run_matrix(world, "assessment_config", by_user(world, Assignment.objects.all()),
               [api_list_probe(f"{BASE}/assignments/"), api_detail_probe(lambda o: f"{BASE}/assignments/{o.pk}/")])


def test_r_perm_2_built_in_roles_manager_and_supervisor(computed):
    """With the shipped grants: the account manager "peer" sees only their own result; "me" as a
    supervisor sees their own and their subordinate's."""
    from kam.org.models import Role
    from kam.org.permissions import clear_cache

    world = computed["world"]
    me, peer = world.user("me"), world.user("peer")
    me.roles.add(Role.objects.get(code="supervisor"))
    clear_cache(me)
    for user, expected in ((peer, {"peer"}), (me, {"me", "sub"})):
        client = APIClient()
        client.force_authenticate(user)
        rows = client.get(f"{BASE}/results/").json()["results"]
        assert {r["subject_name"] for r in rows} == expected


# --- results with their breakdown ---------------------------------------------------------------------------


def test_result_breakdown_explains_the_total(computed, admin_api, django_assert_max_num_queries):
    world = computed["world"]
    with django_assert_max_num_queries(8):
        data = admin_api.get(f"{BASE}/results/", {"period": MONTH, "subject": world.user("sub").pk}).json()
    (row,) = data["results"]
    assert row["score"] == "45.300000" and row["total"] == "45.300000" and row["rank"] == 3
    info, ec = row["indicators"]
    assert (info["name"], info["weight"], info["score"]) == ("信息化收入", "0.60", "75.5000")
    assert info["atomics"][0] == {
        "atomic": computed["atomics"][0].pk, "name": "专线本月收入", "metric": "private_line_revenue",
        "value": "90000.0000", "interval": "(80000, 90000]", "explanation": "(80000, 90000]",
        "score": "65.00", "weight": "0.70",
        "contribution": "45.5000", "status": "ok",
    }
    assert ec["contribution"] == "0.000000"
    # Filter by org: county 1 and below holds me, peer and dept.
    rows = admin_api.get(f"{BASE}/results/", {"org": world.unit("county_1").pk}).json()["results"]
    assert {r["subject_name"] for r in rows} == {"me", "peer", "dept"}


# --- writes through the API -------------------------------------------------------------------------------------


def test_metric_values_bulk_post_is_all_or_nothing(config, admin_api):
    world = config["world"]
    me = world.user("me").pk
    body = [
        {"metric": "visits", "subject_type": "manager", "subject": me, "period": MONTH, "value": "12"},
        {"metric": "visits", "subject_type": "manager", "subject": me, "period": "2026/03", "value": "1"},
        {"metric": "new_ec", "subject_type": "manager", "subject": 999999, "period": MONTH, "value": "1"},
    ]
    resp = admin_api.post(f"{BASE}/metric-values/", body, format="json")
    assert resp.status_code == 400
    errors = resp.json()["errors"]
    assert [e["index"] for e in errors] == [1, 2]
    assert errors[0]["errors"] == {"period": ["Enter a month as YYYY-MM, e.g. 2026-03."]}
    assert errors[1]["errors"] == {"subject": ["999999 is not an account manager."]}
    assert admin_api.get(f"{BASE}/metric-values/").json()["count"] == 0
    resp = admin_api.post(f"{BASE}/metric-values/", body[:1], format="json")
    assert resp.status_code == 200 and resp.json() == {"saved": 1}
    (row,) = admin_api.get(f"{BASE}/metric-values/", {"period": MONTH}).json()["results"]
    assert row["value"] == "12.0000" and row["metric"] == "visits"


def test_atomic_indicator_api_names_the_interval(config, admin_api):
    metric = config["metrics"][0]
    intervals = [dict(r) for r in REVENUE_INTERVALS]
    intervals[3]["upper"] = "80000.125"
    body = {"name": "新原子指标", "metric": metric.pk, "intervals": intervals, "domain_lower": "0",
            "domain_lower_closed": False}
    with at(CONFIG_DAY):
        resp = admin_api.post(f"{BASE}/atomic-indicators/", body, format="json")
        assert resp.status_code == 400
        assert resp.json() == {"intervals": ["Interval 4: the upper bound 80000.125 has more than 2 decimals."]}
        intervals[3]["upper"] = 80000
        resp = admin_api.post(f"{BASE}/atomic-indicators/", body, format="json")
        assert resp.status_code == 201, resp.json()
    assert [i["text"] for i in resp.json()["intervals"]][-1] == "[100000, +∞)"
    # R-ASM-5 through the API.
    with at(dt.date(2026, 4, 3)):
        resp = admin_api.patch(f"{BASE}/atomic-indicators/{resp.json()['id']}/", {"description": "x"}, format="json")
    assert resp.status_code == 400
    assert "locked from day 1 to day 5" in resp.json()["non_field_errors"][0]


def test_template_api_weights_and_warning(config, admin_api):
    i_info, i_ec = config["indicators"]
    body = {"name": "九月模板", "valid_from": "2026-09-01", "valid_to": "2026-09-30",
            "components": [{"indicator": i_info.pk, "weight": "0.33"}, {"indicator": i_ec.pk, "weight": "0.33"}]}
    with at(CONFIG_DAY):
        resp = admin_api.post(f"{BASE}/templates/", body, format="json")
        assert resp.status_code == 400
        assert "add up to 0.66" in resp.json()["components"][0]
        body["components"][1]["weight"] = "0.67"
        resp = admin_api.post(f"{BASE}/templates/", body, format="json")
    assert resp.status_code == 201
    assert "Set “valid to” to 2026-10-31" in resp.json()["warning"]


def test_runs_api_starts_a_background_job(config, admin_api):
    from kam.jobs.services import execute_job

    services.metric_values_save(items=values_for(config["world"], ROWS))
    with at(dt.date(2026, 3, 20)):
        resp = admin_api.post(f"{BASE}/runs/", {"period": MONTH}, format="json")
    assert resp.status_code == 400
    assert "has not ended yet" in resp.json()["period"][0]
    with at(dt.date(2026, 4, 2)):
        resp = admin_api.post(f"{BASE}/runs/", {"period": MONTH}, format="json")
        assert resp.status_code == 202 and resp.json()["status"] == RunStatus.QUEUED
        run_id = resp.json()["id"]
        # A second start while queued is refused.
        assert admin_api.post(f"{BASE}/runs/", {"period": MONTH}, format="json").status_code == 400
        execute_job(AssessmentRun.objects.get(pk=run_id).job_id)
        data = admin_api.get(f"{BASE}/runs/{run_id}/").json()
    assert data["status"] == RunStatus.SUCCEEDED and data["result_count"] == 6
    assert data["report"]["missing_values"][0]["missing_count"] == 2


def test_adjustments_api_window_and_scope(computed, admin_api):
    result = Result.objects.get(period=MONTH, subject_label="peer")
    with at(dt.date(2026, 4, 16)):
        resp = admin_api.post(f"{BASE}/adjustments/", {"result": result.pk, "delta": "1", "reason": "r"},
                              format="json")
    assert resp.status_code == 400 and "days 1 to 15" in resp.json()["period"][0]
    with at(dt.date(2026, 4, 15)):
        resp = admin_api.post(f"{BASE}/adjustments/", {"result": result.pk, "delta": "-4.2", "reason": "投诉"},
                              format="json")
    assert resp.status_code == 201, resp.json()
    assert admin_api.get(f"{BASE}/results/{result.pk}/").json()["total"] == "20.000000"
    assert admin_api.get(f"{BASE}/adjustments/").json()["results"][0]["reason"] == "投诉"


def test_bonus_and_notes_api(computed, admin_api):
    world = computed["world"]
    peer = world.user("peer").pk
    with at(dt.date(2026, 4, 8)):
        resp = admin_api.post(f"{BASE}/bonuses/", {"period": MONTH, "subject_type": "manager", "subject": peer,
                                                   "points": "5", "reason": "额外贡献"}, format="json")
        assert resp.status_code == 201, resp.json()
        assert admin_api.get(f"{BASE}/results/", {"subject": peer}).json()["results"][0]["total"] == "29.200000"
        resp = admin_api.post(f"{BASE}/notes/", {"period": MONTH, "subject_type": "manager", "subject": peer,
                                                 "text": "工作认真"}, format="json")
        assert resp.status_code == 201
        note = resp.json()["id"]
        resp = admin_api.patch(f"{BASE}/notes/{note}/", {"text": "工作认真，积极主动"}, format="json")
        assert resp.json()["text"] == "工作认真，积极主动" and resp.json()["subject_name"] == "peer"


def test_r_perm_2_adjustments_api_matrix(computed):
    world = computed["world"]
    from kam.assessment.models import Adjustment

    with at(dt.date(2026, 4, 8)):
        for name in NAMES:
            services.adjustment_create(user=None, result=Result.objects.get(subject_id=world.user(name).pk),
                                       delta="1", reason="r")
    run_matrix(world, "assessment", by_user(world, Adjustment.objects.all()),
               [api_list_probe(f"{BASE}/adjustments/"), api_detail_probe(lambda o: f"{BASE}/adjustments/{o.pk}/")])


def test_assessment_api_schema_without_warnings():
    from django.urls import include, path
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema
    from rest_framework.routers import DefaultRouter

    from kam.assessment.api import router_register

    router = DefaultRouter()
    router_register(router)
    GENERATOR_STATS.reset()
    schema = SchemaGenerator(patterns=[path("api/v1/", include(router.urls))]).get_schema(request=None, public=True)
    assert not GENERATOR_STATS
    validate_schema(schema)
    for p in ("metrics/", "metric-values/", "atomic-indicators/", "indicators/", "templates/", "assignments/",
              "runs/", "results/", "adjustments/", "score-details/", "bonuses/", "notes/"):
        assert f"/api/v1/assessment/{p}" in schema["paths"]


def test_missing_data_report_before_computing(config, admin_api):
    services.metric_values_save(items=values_for(config["world"], ROWS))
    data = admin_api.get(f"{BASE}/runs/preview/", {"period": MONTH}).json()
    assert data["subjects"] == 6
    assert {m["atomic_name"]: m["missing_count"] for m in data["missing_values"]} == {
        "专线本月收入": 2, "客户拜访次数": 2, "新增EC数": 2}
    assert admin_api.get(f"{BASE}/runs/preview/", {"period": "2026-3"}).status_code == 400
