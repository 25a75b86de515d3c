"""Tables of the assessment list pages."""

from __future__ import annotations

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from kam.core.tables import BooleanColumn, KamTable

from .kernel import fmt, round2
from .models import (
    Adjustment,
    AssessmentNote,
    AssessmentRun,
    Assignment,
    AtomicIndicator,
    Bonus,
    Indicator,
    Metric,
    Result,
    ScoreDetail,
    Template,
)


class ScoreColumn(tables.Column):
    """An exact score shown with 2 decimals (half-up)."""

    def render(self, value):
        return round2(value)


class MetricTable(KamTable):
    code = tables.Column(verbose_name=_("code"), linkify=("assessment:metric_edit", [tables.A("pk")]), orderable=True)
    name = tables.Column(verbose_name=_("name"), orderable=True)
    is_percentage = BooleanColumn(verbose_name=_("percentage"))
    subject_types = tables.Column(verbose_name=_("Applies to"), accessor="pk", orderable=False)
    enabled = BooleanColumn(verbose_name=_("enabled"))

    class Meta(KamTable.Meta):
        model = Metric
        fields = ("code", "name", "unit", "is_percentage", "source", "subject_types", "enabled")

    def render_subject_types(self, record):
        from .models import SubjectType

        return "、".join(str(SubjectType(t).label) for t in record.subject_types)


class AtomicIndicatorTable(KamTable):
    name = tables.Column(verbose_name=_("name"), linkify=("assessment:atomic_detail", [tables.A("pk")]), orderable=True)
    metric = tables.Column(accessor="metric__name", verbose_name=_("metric"))
    intervals = tables.Column(verbose_name=_("score intervals"), accessor="pk", orderable=False)
    enabled = BooleanColumn(verbose_name=_("enabled"))

    class Meta(KamTable.Meta):
        model = AtomicIndicator
        fields = ("name", "metric", "mode", "missing_policy", "intervals", "enabled")

    def render_intervals(self, record):
        if record.mode == "rate":
            return _("full score %(full)s, floor %(floor)s, cap %(cap)s") % {
                "full": fmt(record.full_score), "floor": fmt(record.score_floor), "cap": fmt(record.score_cap)}
        if record.mode == "deduction":
            return _("full score %(full)s, −%(points)s per unit, at least %(floor)s") % {
                "full": fmt(record.full_score), "points": fmt(record.deduction_per_unit),
                "floor": fmt(record.score_floor)}
        return "；".join(f"{iv.text()}→{iv.score.normalize():f}" for iv in record.intervals.all())


class IndicatorTable(KamTable):
    name = tables.Column(verbose_name=_("name"), linkify=("assessment:indicator_detail", [tables.A("pk")]),
                         orderable=True)
    components = tables.Column(verbose_name=_("atomic indicators"), accessor="pk", orderable=False)
    enabled = BooleanColumn(verbose_name=_("enabled"))

    class Meta(KamTable.Meta):
        model = Indicator
        fields = ("name", "components", "description", "enabled")

    def render_components(self, record):
        return "＋".join(f"{c.atomic.name}×{c.weight}" for c in record.components.all())


class TemplateTable(KamTable):
    name = tables.Column(verbose_name=_("name"), linkify=("assessment:template_detail", [tables.A("pk")]),
                         orderable=True)
    valid_from = tables.Column(verbose_name=_("valid from"), orderable=True)
    components = tables.Column(verbose_name=_("assessment indicators"), accessor="pk", orderable=False)
    enabled = BooleanColumn(verbose_name=_("enabled"))

    class Meta(KamTable.Meta):
        model = Template
        fields = ("name", "subject_type", "valid_from", "valid_to", "components", "enabled")

    def render_components(self, record):
        return "＋".join(f"{c.indicator.name}×{c.weight}" for c in record.components.all())


class AssignmentTable(KamTable):
    subject = tables.Column(verbose_name=_("subject"), accessor="pk", orderable=False)
    org_unit = tables.Column(accessor="org_unit__name", verbose_name=_("organisation unit"))
    template = tables.Column(accessor="template__name", verbose_name=_("assessment template"))
    month_from = tables.Column(verbose_name=_("from month"), orderable=True)
    actions = tables.TemplateColumn(template_name="assessment/assignment_actions.html", verbose_name="",
                                    orderable=False)

    class Meta(KamTable.Meta):
        model = Assignment
        fields = ("subject", "org_unit", "template", "month_from", "month_to", "created_at")

    def render_subject(self, record):
        return record.subject_name


class RunTable(KamTable):
    period = tables.Column(verbose_name=_("month"), linkify=("assessment:run_detail", [tables.A("pk")]), orderable=True)
    created_at = tables.Column(verbose_name=_("created at"), orderable=True)

    class Meta(KamTable.Meta):
        model = AssessmentRun
        fields = ("period", "status", "trigger", "created_by", "created_at", "finished_at", "result_count")


class ResultTable(KamTable):
    period = tables.Column(verbose_name=_("month"), orderable=True)
    subject_label = tables.Column(verbose_name=_("subject name"), orderable=True,
                                  linkify=("assessment:result_detail", [tables.A("pk")]))
    org_unit = tables.Column(accessor="org_unit__name", verbose_name=_("organisation unit"))
    score = ScoreColumn(verbose_name=_("template score"))
    total = ScoreColumn(verbose_name=_("total"), orderable=True)
    veto_text = tables.Column(verbose_name=_("veto item hit"), orderable=False,
                              attrs={"td": {"class": "text-danger kam-veto"}})
    rank = tables.Column(verbose_name=_("rank"), orderable=True)

    class Meta(KamTable.Meta):
        model = Result
        fields = ("period", "subject_label", "org_unit", "template_name", "status", "score", "bonus", "adjustment",
                  "total", "veto_text", "rank", "rank_in_unit")


class ScoreDetailTable(KamTable):
    value = tables.Column(verbose_name=_("metric value"))
    contribution = ScoreColumn(verbose_name=_("contribution"))
    period = tables.Column(accessor="result__period", verbose_name=_("month"), orderable=True,
                           order_by=("result__period", "result__subject_label", "position"))
    subject = tables.Column(accessor="result__subject_label", verbose_name=_("subject"), orderable=True,
                            order_by=("result__subject_label", "position"),
                            linkify=("assessment:result_detail", [tables.A("result_id")]))

    class Meta(KamTable.Meta):
        model = ScoreDetail
        fields = ("period", "subject", "indicator_name", "atomic_name", "value", "interval_text", "score", "weight",
                  "contribution", "indicator_weight")

    def render_interval_text(self, record):
        return record.explanation

    def render_value(self, value):
        return f"{value.normalize():f}"


class AdjustmentTable(KamTable):
    period = tables.Column(verbose_name=_("month"), orderable=True)
    subject = tables.Column(verbose_name=_("subject"), accessor="pk", orderable=False)
    created_at = tables.Column(verbose_name=_("adjusted at"), orderable=True)

    class Meta(KamTable.Meta):
        model = Adjustment
        fields = ("period", "subject", "delta", "reason", "created_by", "created_at")

    def render_subject(self, record):
        return record.subject_name


class BonusTable(KamTable):
    period = tables.Column(verbose_name=_("month"), orderable=True)
    subject = tables.Column(verbose_name=_("subject"), accessor="pk", orderable=False,
                            linkify=("assessment:bonus_edit", [tables.A("pk")]))
    org_unit = tables.Column(accessor="org_unit__name", verbose_name=_("organisation unit"))
    created_at = tables.Column(verbose_name=_("created at"), orderable=True)

    class Meta(KamTable.Meta):
        model = Bonus
        fields = ("period", "subject_type", "subject", "org_unit", "points", "reason", "created_by", "created_at")

    def render_subject(self, record):
        return record.subject_name


class NoteTable(KamTable):
    period = tables.Column(verbose_name=_("month"), orderable=True)
    subject = tables.Column(verbose_name=_("subject"), accessor="pk", orderable=False,
                            linkify=("assessment:note_edit", [tables.A("pk")]))
    org_unit = tables.Column(accessor="org_unit__name", verbose_name=_("organisation unit"))
    text = tables.Column(verbose_name=_("note"), orderable=False)
    updated_at = tables.Column(verbose_name=_("updated at"), orderable=True)

    class Meta(KamTable.Meta):
        model = AssessmentNote
        fields = ("period", "subject_type", "subject", "org_unit", "text", "created_by", "updated_at")

    def render_subject(self, record):
        return record.subject_name

    def render_text(self, value):
        return value if len(value) <= 80 else value[:80] + "…"


# --- result confirmation and appeals (decision 0026) -------------------------------------------------------------

from django.urls import reverse  # noqa: E402
from django.utils.html import format_html  # noqa: E402

from .models import Appeal, ConfirmationState, Publication, ResultConfirmation  # noqa: E402


def confirmation_badge(state: str | None):
    """待确认 / 已确认 / 申诉中 / 申诉结束 as a coloured badge; "未发布" when not published."""
    if not state:
        return format_html('<span class="badge text-bg-light">{}</span>', _("Not published"))
    style = {"pending": "warning", "confirmed": "success", "appealing": "danger", "closed": "secondary"}[state]
    return format_html('<span class="badge text-bg-{} kam-confirmation">{}</span>', style,
                       ConfirmationState(state).label)


class ResultConfirmationTable(ResultTable):
    confirmation_state = tables.Column(verbose_name=_("Confirmation state"), orderable=False, default="")

    class Meta(ResultTable.Meta):
        fields = (*ResultTable.Meta.fields, "confirmation_state")

    def render_confirmation_state(self, value):
        return confirmation_badge(value)


class ConfirmationTable(KamTable):
    period = tables.Column(verbose_name=_("month"), orderable=True)
    subject_label = tables.Column(verbose_name=_("subject name"))
    published_total = ScoreColumn(verbose_name=_("published total"))
    state = tables.Column(verbose_name=_("Confirmation state"), orderable=True)
    deadline = tables.Column(verbose_name=_("confirm by"), accessor="publication__deadline")
    actions = tables.Column(verbose_name="", accessor="pk", orderable=False)

    class Meta(KamTable.Meta):
        model = ResultConfirmation
        fields = ("period", "subject_label", "published_total", "state", "deadline", "confirmed_at")

    def render_state(self, record):
        return confirmation_badge(record.state)

    def render_actions(self, record):
        from .appeals import window_open

        links = []
        result = format_html('<a class="btn btn-sm btn-outline-secondary" href="{}?period={}">{}</a>',
                             reverse("assessment:confirmation_result", args=[record.pk]), record.period,
                             _("Scorecard"))
        links.append(result)
        if record.state == ConfirmationState.PENDING and window_open(record.publication):
            links.append(format_html('<a class="btn btn-sm btn-success kam-confirm" href="{}">{}</a>',
                                     reverse("assessment:confirmation_confirm", args=[record.pk]), _("Confirm")))
            links.append(format_html('<a class="btn btn-sm btn-outline-danger kam-appeal" href="{}">{}</a>',
                                     reverse("assessment:appeal_create", args=[record.pk]), _("Appeal")))
        return format_html(" ".join(["{}"] * len(links)), *links)


class AppealTable(KamTable):
    period = tables.Column(verbose_name=_("month"), orderable=True)
    subject_label = tables.Column(verbose_name=_("subject name"), orderable=True,
                                  linkify=("assessment:appeal_detail", [tables.A("pk")]))
    org_unit = tables.Column(accessor="org_unit__name", verbose_name=_("organisation unit"))
    created_at = tables.Column(verbose_name=_("appealed at"), orderable=True)

    class Meta(KamTable.Meta):
        model = Appeal
        fields = ("period", "subject_label", "org_unit", "indicator_name", "expected_score", "reason", "status",
                  "decision_delta", "decision_reason", "created_at", "decided_at")


class PublicationTable(KamTable):
    period = tables.Column(verbose_name=_("month"), orderable=True)
    published_at = tables.Column(verbose_name=_("published at"), orderable=True)
    state = tables.Column(verbose_name=_("status"), accessor="pk", orderable=False)
    actions = tables.Column(verbose_name="", accessor="pk", orderable=False)

    class Meta(KamTable.Meta):
        model = Publication
        fields = ("period", "published_by", "published_at", "deadline", "result_count", "auto_confirmed", "state",
                  "withdrawn_at", "withdraw_reason")

    def render_state(self, record):
        if record.withdrawn_at:
            return _("Withdrawn")
        if record.closed_at:
            return _("Confirmation closed")
        return _("Open for confirmation")

    def render_actions(self, record):
        from .appeals import window_open

        if not window_open(record) or not self.context.get("can_change"):
            return ""
        return format_html('<a class="btn btn-sm btn-outline-danger" href="{}">{}</a>',
                           reverse("assessment:publication_withdraw", args=[record.pk]), _("Withdraw"))
