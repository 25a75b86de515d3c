"""Tables of 考核目标, 目标发布设置 and 目标达成."""

from __future__ import annotations

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from kam.core.tables import ActionsColumn, KamTable

from .kernel import fmt
from .models import Target, TargetTierMetrics, TierReached
from .targets import attainment_text

TIER_BADGES = {TierReached.NONE: "secondary", TierReached.TARGET: "primary", TierReached.SPRINT: "success",
               TierReached.CHALLENGE: "warning"}


def number(value) -> str:
    return "—" if value is None else fmt(value)


class TierValues:
    """The three tier columns (目标/冲刺/挑战) as numbers."""

    def render_target_value(self, value):
        return number(value)

    def render_sprint_value(self, value):
        return number(value)

    def render_challenge_value(self, value):
        return number(value)


class TargetTable(TierValues, KamTable):
    metric = tables.Column(accessor="metric__name", verbose_name=_("metric"), orderable=True,
                           order_by=("metric__code",))
    subject = tables.Column(verbose_name=_("subject"), accessor="pk", orderable=True,
                            order_by=("org_unit__path", "subject_type", "subject_id"))
    org_unit = tables.Column(accessor="org_unit__name", verbose_name=_("organisation unit"))
    period = tables.Column(verbose_name=_("period"), orderable=True)
    target_value = tables.Column(verbose_name=_("target value"), orderable=True)
    sprint_value = tables.Column(verbose_name=_("sprint value"), empty_values=())
    challenge_value = tables.Column(verbose_name=_("challenge value"), empty_values=())
    parent = tables.Column(verbose_name=_("decomposed from"), accessor="parent_id", empty_values=())
    split = tables.Column(verbose_name=_("decomposition"), empty_values=())
    actions = ActionsColumn({"edit": "assessment:target_edit", "delete": "assessment:target_delete"})

    class Meta(KamTable.Meta):
        model = Target
        fields = ("metric", "subject", "subject_type", "org_unit", "period", "direction", "target_value",
                  "sprint_value", "challenge_value", "parent", "split")

    def render_subject(self, record):
        prefix = "↳ " if record.parent_id else ""
        return format_html('{}<a href="{}">{}</a>', prefix, reverse("assessment:target_detail", args=[record.pk]),
                           record.subject_name)

    def render_parent(self, record):
        if not record.parent_id:
            return "—"
        parent = record.parent
        return format_html('<a href="{}">{} · {}</a>', reverse("assessment:target_detail", args=[parent.pk]),
                           parent.subject_name, parent.period)

    def render_split(self, record):
        if not record.split:
            return "—"
        return f"{record.get_split_display()} · {record.get_split_method_display()}"


class TierMetricsTable(KamTable):
    metric = tables.Column(accessor="metric__name", verbose_name=_("measured metric"),
                           linkify=("assessment:target_tiers_edit", [tables.A("pk")]))
    target_metric = tables.Column(accessor="target_metric__name", verbose_name=_("metric of the target value"))
    sprint_metric = tables.Column(accessor="sprint_metric__name", verbose_name=_("metric of the sprint value"))
    challenge_metric = tables.Column(accessor="challenge_metric__name",
                                     verbose_name=_("metric of the challenge value"))
    actions = ActionsColumn({"edit": "assessment:target_tiers_edit", "delete": "assessment:target_tiers_delete"})

    class Meta(KamTable.Meta):
        model = TargetTierMetrics
        fields = ("metric", "target_metric", "sprint_metric", "challenge_metric", "updated_at")


class AttainmentTable(TierValues, KamTable):
    metric = tables.Column(accessor="metric__name", verbose_name=_("metric"), orderable=True,
                           order_by=("metric__code",))
    subject = tables.Column(verbose_name=_("subject"), accessor="pk", orderable=True,
                            order_by=("org_unit__path", "subject_type", "subject_id"))
    org_unit = tables.Column(accessor="org_unit__name", verbose_name=_("organisation unit"))
    period = tables.Column(verbose_name=_("period"))
    actual = tables.Column(verbose_name=_("actual"), orderable=True, empty_values=())
    target_value = tables.Column(verbose_name=_("target value"))
    target_pct = tables.Column(verbose_name=_("target attainment"), accessor="pk", empty_values=())
    sprint_value = tables.Column(verbose_name=_("sprint value"), empty_values=())
    sprint_pct = tables.Column(verbose_name=_("sprint attainment"), accessor="pk", empty_values=())
    challenge_value = tables.Column(verbose_name=_("challenge value"), empty_values=())
    challenge_pct = tables.Column(verbose_name=_("challenge attainment"), accessor="pk", empty_values=())
    tier_reached = tables.Column(verbose_name=_("tier reached"), orderable=True, empty_values=(),
                                 attrs={"td": {"class": "kam-tier"}})

    class Meta(KamTable.Meta):
        model = Target
        fields = ("metric", "subject", "subject_type", "org_unit", "period", "direction", "actual", "target_value",
                  "target_pct",
                  "sprint_value", "sprint_pct", "challenge_value", "challenge_pct", "tier_reached")

    def render_subject(self, record):
        return format_html('<a href="{}">{}</a>', reverse("assessment:target_detail", args=[record.pk]),
                           record.subject_name)

    def render_actual(self, value):
        return number(value)

    def render_target_pct(self, record):
        return attainment_text(record.actual, record.target_value, record.direction)

    def render_sprint_pct(self, record):
        return attainment_text(record.actual, record.sprint_value, record.direction)

    def render_challenge_pct(self, record):
        return attainment_text(record.actual, record.challenge_value, record.direction)

    def render_tier_reached(self, value):
        tier = TierReached(value or TierReached.NONE)
        return format_html('<span class="badge text-bg-{}" data-tier="{}">{}</span>', TIER_BADGES[tier], tier.value,
                           tier.label)
