"""Demo step of performance assessment: the seed metric catalogue (requirements-spec-excerpt §5.2.2
and the operator manual's example), atomic indicators, indicators and a template assigned to every
account manager for last month and this month, metric values for last month, and last month
computed — so results, details and the scorecard can be seen at once."""

from __future__ import annotations

from decimal import Decimal

from kam.core import clock
from kam.core.demo import DemoContext
from kam.org.models import User

from . import calendar as cal
from . import services
from .models import (
    Assignment,
    AtomicIndicator,
    Indicator,
    Metric,
    MetricSource,
    MetricValue,
    RunTrigger,
    SubjectType,
    Template,
)

# code, name, unit, is percentage, value range for the demo
METRICS = [
    ("private_line_revenue", "专线收入", "元", False, (30000, 130000)),
    ("customer_contacts", "客户联络次数", "次", False, (0, 40)),
    ("customer_visits", "客户拜访次数", "次", False, (0, 20)),
    ("analysis_report_timeliness", "客户分析报告提交及时性", "分", True, (50, 100)),
    ("new_opportunities", "新商机数", "个", False, (0, 8)),
    ("new_prospects", "新潜在客户数", "个", False, (0, 10)),
    ("relationships_confirmed", "商务关系确定数", "个", False, (0, 6)),
    ("churn_rate", "离网率", "%", True, (0, 12)),
]


def _count_intervals(steps: list[tuple[int, int]], top: int) -> list[dict]:
    """[(upper bound, score)…] ascending over counts, the last open-ended interval scoring 100."""
    rows, lower = [], None
    for upper, score in steps:
        rows.append({"lower": lower, "lower_closed": False, "upper": upper, "upper_closed": False, "score": score})
        lower = upper
    rows[0]["lower"] = None
    for r in rows[1:]:
        r["lower_closed"] = True
    rows.append({"lower": lower, "lower_closed": True, "upper": None, "upper_closed": False, "score": top})
    return rows


def assessment_demo(ctx: DemoContext) -> None:
    if Metric.objects.exclude(source=MetricSource.BUILTIN).exists():
        return
    rng = ctx.rng
    metrics = {}
    for code, name, unit, pct, _range in METRICS:
        # Metrics computed from the platform's data are registered by their apps (BUILTIN_METRICS).
        metrics[code] = services.metric_create(code=code, name=name, unit=unit, is_percentage=pct,
                                               source=MetricSource.IMPORT)
    revenue = [
        {"lower": 0, "lower_closed": False, "upper": 50000, "upper_closed": True, "score": 0},
        {"lower": 50000, "lower_closed": False, "upper": 60000, "upper_closed": True, "score": 10},
        {"lower": 60000, "lower_closed": False, "upper": 70000, "upper_closed": True, "score": 20},
        {"lower": 70000, "lower_closed": False, "upper": 80000, "upper_closed": True, "score": 40},
        {"lower": 80000, "lower_closed": False, "upper": 90000, "upper_closed": True, "score": 65},
        {"lower": 90000, "lower_closed": False, "upper": 100000, "upper_closed": False, "score": 90},
        {"lower": 100000, "lower_closed": True, "upper": None, "upper_closed": False, "score": 100},
    ]
    churn = [  # listed descending: the lower the churn, the better
        {"lower": None, "lower_closed": False, "upper": 2, "upper_closed": True, "score": 100},
        {"lower": 2, "lower_closed": False, "upper": 5, "upper_closed": True, "score": 60},
        {"lower": 5, "lower_closed": False, "upper": None, "upper_closed": False, "score": 0},
    ][::-1]
    specs = {
        "专线本月收入": ("private_line_revenue", revenue, {"domain_lower": Decimal(0), "domain_lower_closed": False}),
        "客户联络次数": ("customer_contacts", _count_intervals([(10, 0), (20, 60)], 100), {}),
        "客户拜访次数": ("customer_visits", _count_intervals([(4, 0), (8, 50), (12, 80)], 100), {}),
        "分析报告及时性": ("analysis_report_timeliness", _count_intervals([(60, 0), (80, 60), (90, 80)], 100), {}),
        "新商机数": ("new_opportunities", _count_intervals([(1, 0), (3, 60)], 100), {}),
        "新潜在客户数": ("new_prospects", _count_intervals([(2, 0), (5, 70)], 100), {}),
        "商务关系确定数": ("relationships_confirmed", _count_intervals([(1, 0), (2, 70)], 100), {}),
        "离网率": ("churn_rate", churn, {"domain_lower": Decimal(0), "domain_upper": Decimal(100)}),
    }
    atomics = {}
    for name, (code, intervals, extra) in specs.items():
        # The demo is loaded whatever the day: the lock window (R-ASM-5) concerns users' edits.
        atomics[name] = services._atomic_save(AtomicIndicator(), {"name": name, "metric": metrics[code], **extra},
                                              intervals)
    indicators = {}
    for name, parts in {
        "信息化收入": [("专线本月收入", "0.7"), ("离网率", "0.3")],
        "销售过程": [("客户联络次数", "0.3"), ("客户拜访次数", "0.4"), ("分析报告及时性", "0.3")],
        "销售结果": [("新商机数", "0.33"), ("新潜在客户数", "0.33"), ("商务关系确定数", "0.34")],
    }.items():
        indicators[name] = services._indicator_save(
            Indicator(name=name), [{"atomic": atomics[a], "weight": w} for a, w in parts])
    today = clock.today()
    last = cal.previous_month(today)
    template = services._template_save(
        Template(name="客户经理月度考核模板", subject_type=SubjectType.MANAGER, valid_from=cal.parse_month(last),
                 valid_to=cal.suggested_valid_to(cal.month_of(today))),
        [{"indicator": indicators["信息化收入"], "weight": "0.5"},
         {"indicator": indicators["销售过程"], "weight": "0.2"},
         {"indicator": indicators["销售结果"], "weight": "0.3"}],
        # 一票否决: a churn rate of 11.5% or more sets the total to 0.
        [{"atomic": atomics["离网率"], "threshold": "11.5", "total": "0"}])
    managers = list(User.objects.filter(roles__code="account_manager", is_active=True, org_unit__isnull=False)
                    .distinct().order_by("pk").values_list("pk", "org_unit_id"))
    Assignment.objects.bulk_create(
        [Assignment(template=template, subject_type=SubjectType.MANAGER, subject_id=pk, user_id=pk, org_unit_id=unit,
                    month_from=last, month_to=cal.month_of(today)) for pk, unit in managers], batch_size=5000)
    values = []
    for pk, unit in managers:
        for code, _name, _unit, pct, (lo, hi) in METRICS:
            if rng.random() < 0.03:
                continue  # a few values missing, to show the missing-data report
            value = Decimal(rng.randint(lo * 100, hi * 100)) / 100 if (pct or code == "private_line_revenue") \
                else Decimal(rng.randint(lo, hi))
            values.append(MetricValue(metric=metrics[code], subject_type=SubjectType.MANAGER, subject_id=pk,
                                      user_id=pk, org_unit_id=unit, period=last, value=value,
                                      source=metrics[code].source, updated_at=clock.now()))
    MetricValue.objects.bulk_create(values, batch_size=5000)
    # As the scheduler computes it on the computation day (R-ASM-3); then published for confirmation
    # (发布考核结果, decision 0026) while the confirmation window of the month is still open.
    services.run_start(user=None, period=last, trigger=RunTrigger.AUTO, background=False)
    from . import appeals

    if clock.today() <= appeals.confirmation_deadline(last):
        appeals.publication_create(user=None, period=last)
    ctx.data["assessment_template"] = template


# --- 考核目标 (decision 0025) -----------------------------------------------------------------------------


def targets_demo(ctx: DemoContext) -> None:
    """A few targets of 专线收入: the province's year target decomposed to its branches, and the unit
    with the most account managers: its year target → 12 months → last month to each of its managers
    (100,000 / 110,000 / 125,000 a month each), published so 目标达成 and completion-rate indicators
    can use them."""
    from django.db.models import Count

    from kam.org.models import OrgUnit

    from . import targets
    from .models import Target, TargetSubjectType

    revenue = Metric.objects.filter(code="private_line_revenue").first()
    if revenue is None or Target.objects.exists():
        return
    last = cal.previous_month(clock.today())
    year = last[:4]
    unit = (OrgUnit.objects.filter(users__roles__code="account_manager", users__is_active=True)
            .annotate(n=Count("users", distinct=True)).order_by("-n", "path").first())
    if unit is None:
        return
    root = OrgUnit.objects.filter(parent__isnull=True).order_by("path").first()
    if root is not None and root.pk not in (unit.pk, unit.parent_id) and OrgUnit.objects.filter(
            parent=root, enabled=True).exists():
        top = targets.target_create(metric=revenue, subject_type=TargetSubjectType.UNIT, subject_id=root.pk,
                                    period=year, target_value="120000000", sprint_value="132000000",
                                    challenge_value="150000000")
        targets.target_decompose(target=top, split="units")
    managers = targets.unit_managers(unit.pk).count()
    if not managers:
        return
    yearly = targets.target_create(metric=revenue, subject_type=TargetSubjectType.UNIT, subject_id=unit.pk,
                                   period=year, target_value=1200000 * managers, sprint_value=1320000 * managers,
                                   challenge_value=1500000 * managers)
    months = {t.period: t for t in targets.target_decompose(target=yearly, split="months")}
    targets.target_decompose(target=months[last], split="managers")
    targets.tier_metrics_set(metric=revenue, create_missing=True)
    targets.targets_publish(period=last, metric=revenue)
