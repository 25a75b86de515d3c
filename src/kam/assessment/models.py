"""Performance assessment (绩效考核): metrics and their values, atomic indicators with score
intervals, weighted assessment indicators and templates, assignments, runs, score details,
results, adjustments, bonus points and notes.

Subjects (考核对象) are account managers (a ``User``), sections and departments (an ``OrgUnit``):
``subject_type`` + ``subject_id`` name the subject; ``user`` and ``org_unit`` place the record in
the org tree for the data scope (R-PERM-1, R-PERM-2: a manager sees their own records, a
supervisor their subordinates').

Months are ``YYYY-MM`` strings (they sort as text).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kam.core.querysets import RestrictedQuerySet, ScopeSpec

PERIOD_VALIDATOR = RegexValidator(r"^\d{4}-(0[1-9]|1[0-2])$", _("Enter a month as YYYY-MM."))

MODULE_CONFIG = "assessment_config"  # 考核配置: metrics, indicators, templates, assignments
MODULE_DATA = "assessment_data"  # 考核数据: metric values
MODULE_RUN = "assessment_run"  # 考核计算
MODULE_RESULTS = "assessment"  # 考核结果: results, details, adjustments, bonus points, notes


def period_field(verbose_name=None, **kwargs) -> models.CharField:
    return models.CharField(verbose_name or _("month"), max_length=7, validators=[PERIOD_VALIDATOR],
                            db_index=True, **kwargs)


class SubjectType(models.TextChoices):
    MANAGER = "manager", _("Account manager")
    SECTION = "section", _("Section")
    DEPARTMENT = "department", _("Department")


class MetricSource(models.TextChoices):
    MANUAL = "manual", _("Manual entry")
    IMPORT = "import", _("Excel import")
    API = "api", _("API push")
    BUILTIN = "builtin", _("Platform data")
    TARGET = "target", _("Published targets")


class ScoringMode(models.TextChoices):
    INTERVAL = "interval", _("Score intervals on the value")
    ATTAINMENT = "attainment", _("Score intervals on the completion rate (value ÷ target, %)")
    RATE = "rate", _("Completion rate × full score, with floor and cap")
    DEDUCTION = "deduction", _("Deduction: full score minus points per unit of the value")


class MissingPolicy(models.TextChoices):
    ZERO = "zero", _("Score 0")
    BLOCK = "block", _("Hold the result until the value is there")


class SubjectFields(models.Model):
    """Who is assessed: the subject and its place in the org tree."""

    subject_type = models.CharField(_("subject type"), max_length=12, choices=SubjectType.choices,
                                    default=SubjectType.MANAGER)
    subject_id = models.PositiveBigIntegerField(_("subject"), help_text=_("User id or org unit id."))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("account manager"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")
    org_unit = models.ForeignKey("org.OrgUnit", verbose_name=_("organisation unit"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")

    class Meta:
        abstract = True

    @property
    def subject_name(self) -> str:
        if self.subject_type == SubjectType.MANAGER and self.user_id:
            return self.user.name or self.user.username
        return self.org_unit.name if self.org_unit_id else str(self.subject_id)


# --- configuration --------------------------------------------------------------------------------


class Metric(models.Model):
    """数据源指标: a measurable quantity with values per subject and month."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    is_percentage = models.BooleanField(
        _("percentage"), default=False, help_text=_("Entered without %, from 0 to 100."))
    source = models.CharField(_("source"), max_length=10, choices=MetricSource.choices, default=MetricSource.IMPORT)
    for_manager = models.BooleanField(_("for account managers"), default=True)
    for_section = models.BooleanField(_("for sections"), default=False)
    for_department = models.BooleanField(_("for departments"), default=False)
    description = models.CharField(_("description"), max_length=200, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)

    objects = RestrictedQuerySet.as_manager()
    kam_scope = ScopeSpec(module=MODULE_CONFIG)

    class Meta:
        ordering = ["code"]
        verbose_name = _("metric")
        verbose_name_plural = _("metrics")

    def __str__(self) -> str:
        return self.name

    @property
    def subject_types(self) -> list[str]:
        return [t for t, on in ((SubjectType.MANAGER, self.for_manager), (SubjectType.SECTION, self.for_section),
                                (SubjectType.DEPARTMENT, self.for_department)) if on]

    def applies_to(self, subject_type: str) -> bool:
        return subject_type in self.subject_types


class MetricValue(SubjectFields):
    """The value of a metric for one subject and month."""

    metric = models.ForeignKey(Metric, verbose_name=_("metric"), on_delete=models.PROTECT, related_name="values")
    period = period_field()
    value = models.DecimalField(_("metric value"), max_digits=20, decimal_places=4)
    source = models.CharField(_("source"), max_length=10, choices=MetricSource.choices, default=MetricSource.MANUAL)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("updated by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    objects = RestrictedQuerySet.as_manager()
    kam_scope = ScopeSpec(module=MODULE_DATA, org="org_unit", owner="user")

    class Meta:
        ordering = ["-period", "metric", "subject_type", "subject_id"]
        verbose_name = _("metric value")
        verbose_name_plural = _("metric values")
        constraints = [models.UniqueConstraint(fields=["metric", "subject_type", "subject_id", "period"],
                                               name="uniq_metric_value")]
        indexes = [models.Index(fields=["period", "subject_type", "metric"], name="asm_value_period")]


class AtomicIndicator(models.Model):
    """原子指标: one metric and its score intervals (R-ASM-1)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    metric = models.ForeignKey(Metric, verbose_name=_("metric"), on_delete=models.PROTECT, related_name="atomics")
    mode = models.CharField(_("scoring mode"), max_length=12, choices=ScoringMode.choices,
                            default=ScoringMode.INTERVAL)
    target_metric = models.ForeignKey(
        Metric, verbose_name=_("target metric"), null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text=_("For the completion rate: the metric holding each subject's target."))
    missing_policy = models.CharField(_("missing value"), max_length=8, choices=MissingPolicy.choices,
                                      default=MissingPolicy.ZERO)
    domain_lower = models.DecimalField(_("lowest possible value"), max_digits=20, decimal_places=2,
                                       null=True, blank=True, help_text=_("Empty: no lower limit."))
    domain_lower_closed = models.BooleanField(_("lowest value included"), default=True)
    domain_upper = models.DecimalField(_("highest possible value"), max_digits=20, decimal_places=2,
                                       null=True, blank=True, help_text=_("Empty: no upper limit."))
    domain_upper_closed = models.BooleanField(_("highest value included"), default=True)
    full_score = models.DecimalField(
        _("full score"), max_digits=5, decimal_places=2, default=100,
        help_text=_("Completion rate with floor and cap: the score at a completion rate of 100%."))
    score_floor = models.DecimalField(
        _("floor"), max_digits=5, decimal_places=2, default=0,
        help_text=_("Completion rate with floor and cap: the lowest score (保底)."))
    score_cap = models.DecimalField(
        _("cap"), max_digits=5, decimal_places=2, default=100,
        help_text=_("Completion rate with floor and cap: the highest score (封顶); up to 200 allows "
                    "scoring above 100 for over-achievement."))
    deduction_per_unit = models.DecimalField(
        _("points per unit"), max_digits=5, decimal_places=2, default=0,
        help_text=_("Deduction: the points deducted per unit of the value (e.g. 5 per complaint); the floor is "
                    "the lowest score."))
    description = models.CharField(_("description"), max_length=200, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = RestrictedQuerySet.as_manager()
    kam_scope = ScopeSpec(module=MODULE_CONFIG)

    class Meta:
        ordering = ["name"]
        verbose_name = _("atomic indicator")
        verbose_name_plural = _("atomic indicators")

    def __str__(self) -> str:
        return self.name

    @property
    def descending(self) -> bool:
        """Whether the intervals are listed from the highest values down (derived, not stored)."""
        from .kernel import NEG_INF

        ivs = list(self.intervals.all())
        if len(ivs) < 2:
            return False
        first, second = (NEG_INF if iv.lower is None else iv.lower for iv in ivs[:2])
        return first > second


class ScoreInterval(models.Model):
    """区间分数值: one interval of an atomic indicator, at the position the user listed it."""

    atomic = models.ForeignKey(AtomicIndicator, verbose_name=_("atomic indicator"), on_delete=models.CASCADE,
                               related_name="intervals")
    position = models.PositiveSmallIntegerField(_("position"))
    lower = models.DecimalField(_("lower bound"), max_digits=20, decimal_places=2, null=True, blank=True)
    lower_closed = models.BooleanField(_("lower bound included"), default=False)
    upper = models.DecimalField(_("upper bound"), max_digits=20, decimal_places=2, null=True, blank=True)
    upper_closed = models.BooleanField(_("upper bound included"), default=True)
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2)

    objects = RestrictedQuerySet.as_manager()
    kam_scope = ScopeSpec(module=MODULE_CONFIG)

    class Meta:
        ordering = ["atomic", "position"]
        verbose_name = _("score interval")
        verbose_name_plural = _("score intervals")
        constraints = [models.UniqueConstraint(fields=["atomic", "position"], name="uniq_interval_position")]

    def __str__(self) -> str:
        return f"{self.text()} → {self.score}"

    def text(self) -> str:
        from .kernel import make_interval

        return make_interval(self.lower, self.lower_closed, self.upper, self.upper_closed, self.score).text()


class Indicator(models.Model):
    """考核指标: weighted atomic indicators (R-ASM-2)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = RestrictedQuerySet.as_manager()
    kam_scope = ScopeSpec(module=MODULE_CONFIG)

    class Meta:
        ordering = ["name"]
        verbose_name = _("assessment indicator")
        verbose_name_plural = _("assessment indicators")

    def __str__(self) -> str:
        return self.name


class WeightedComponent(models.Model):
    """A weighted row of an indicator or a template (R-ASM-2)."""

    weight = models.DecimalField(_("weight"), max_digits=3, decimal_places=2)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    objects = RestrictedQuerySet.as_manager()
    kam_scope = ScopeSpec(module=MODULE_CONFIG)

    class Meta:
        abstract = True


class IndicatorComponent(WeightedComponent):
    indicator = models.ForeignKey(Indicator, verbose_name=_("assessment indicator"), on_delete=models.CASCADE,
                                  related_name="components")
    atomic = models.ForeignKey(AtomicIndicator, verbose_name=_("atomic indicator"), on_delete=models.PROTECT,
                               related_name="uses")

    class Meta:
        ordering = ["indicator", "position"]
        verbose_name = _("indicator component")
        verbose_name_plural = _("indicator components")
        constraints = [models.UniqueConstraint(fields=["indicator", "atomic"], name="uniq_indicator_atomic")]


class Template(models.Model):
    """考核模板: weighted assessment indicators (R-ASM-2), valid from / to (R-ASM-3)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    subject_type = models.CharField(_("subject type"), max_length=12, choices=SubjectType.choices,
                                    default=SubjectType.MANAGER)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = RestrictedQuerySet.as_manager()
    kam_scope = ScopeSpec(module=MODULE_CONFIG)

    class Meta:
        ordering = ["-valid_from", "name"]
        verbose_name = _("assessment template")
        verbose_name_plural = _("assessment templates")

    def __str__(self) -> str:
        return self.name


class TemplateComponent(WeightedComponent):
    template = models.ForeignKey(Template, verbose_name=_("assessment template"), on_delete=models.CASCADE,
                                 related_name="components")
    indicator = models.ForeignKey(Indicator, verbose_name=_("assessment indicator"), on_delete=models.PROTECT,
                                  related_name="uses")

    class Meta:
        ordering = ["template", "position"]
        verbose_name = _("template component")
        verbose_name_plural = _("template components")
        constraints = [models.UniqueConstraint(fields=["template", "indicator"], name="uniq_template_indicator")]


class VetoRule(models.Model):
    """一票否决: when the atomic indicator's value of the month is at least ``threshold``, the
    subject's total is ``total`` (default 0) whatever the weighted components, bonus points and
    adjustments say. Listed on a template outside its weighted components (decision 0022)."""

    template = models.ForeignKey(Template, verbose_name=_("assessment template"), on_delete=models.CASCADE,
                                 related_name="vetoes")
    atomic = models.ForeignKey(AtomicIndicator, verbose_name=_("atomic indicator"), on_delete=models.PROTECT,
                               related_name="vetoes")
    threshold = models.DecimalField(_("threshold"), max_digits=20, decimal_places=2,
                                    help_text=_("Veto when the value is at least this."))
    total = models.DecimalField(_("total when vetoed"), max_digits=5, decimal_places=2, default=0)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["template", "position"]
        verbose_name = _("veto item")
        verbose_name_plural = _("veto items")
        constraints = [models.UniqueConstraint(fields=["template", "atomic"], name="uniq_template_veto_atomic")]

    def __str__(self) -> str:
        from .kernel import fmt

        return f"{self.atomic.name} ≥ {fmt(self.threshold)}"


class Assignment(SubjectFields):
    """分配模板: the template of a subject from one month to another (R-ASM-4)."""

    template = models.ForeignKey(Template, verbose_name=_("assessment template"), on_delete=models.PROTECT,
                                 related_name="assignments")
    month_from = period_field(_("from month"))
    month_to = models.CharField(_("to month"), max_length=7, blank=True, validators=[PERIOD_VALIDATOR],
                                help_text=_("Empty: until further notice."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = RestrictedQuerySet.as_manager()
    kam_scope = ScopeSpec(module=MODULE_CONFIG, org="org_unit", owner="user")

    class Meta:
        ordering = ["-month_from", "subject_type", "subject_id"]
        verbose_name = _("template assignment")
        verbose_name_plural = _("template assignments")
        indexes = [models.Index(fields=["subject_type", "subject_id"], name="asm_assign_subject")]

    def __str__(self) -> str:
        return f"{self.subject_name} · {self.template} · {self.month_from}–{self.month_to or '…'}"


# --- computation ------------------------------------------------------------------------------------


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class RunTrigger(models.TextChoices):
    AUTO = "auto", _("Automatic (computation day)")
    MANUAL = "manual", _("Started by a user")


class AssessmentRun(models.Model):
    """考核计算: one computation of one month, with the configuration and inputs it used."""

    period = period_field()
    status = models.CharField(_("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    trigger = models.CharField(_("trigger"), max_length=8, choices=RunTrigger.choices, default=RunTrigger.MANUAL)
    refresh_config = models.BooleanField(
        _("re-read the configuration"), default=False,
        help_text=_("Use today's configuration instead of the one recorded by the month's first run."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("started by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    config = models.JSONField(_("configuration used"), default=dict, blank=True)
    report = models.JSONField(_("missing-data report"), default=dict, blank=True)
    input_hash = models.CharField(_("input fingerprint"), max_length=64, blank=True)
    result_count = models.PositiveIntegerField(_("results"), default=0)
    message = models.TextField(_("message"), blank=True)
    job_id = models.PositiveBigIntegerField(_("background job"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()
    kam_scope = ScopeSpec(module=MODULE_RUN)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("assessment run")
        verbose_name_plural = _("assessment runs")

    def __str__(self) -> str:
        return f"{self.period} #{self.pk}"


class ResultStatus(models.TextChoices):
    SCORED = "scored", _("Scored")
    BLOCKED = "blocked", _("Held: values missing")


class Result(SubjectFields):
    """考核结果: a subject's scores for one month. Re-running the month replaces the row."""

    run = models.ForeignKey(AssessmentRun, verbose_name=_("assessment run"), null=True, blank=True,
                            on_delete=models.SET_NULL, related_name="results")
    period = period_field()
    subject_label = models.CharField(_("subject name"), max_length=100)
    template = models.ForeignKey(Template, verbose_name=_("assessment template"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    template_name = models.CharField(_("template name"), max_length=100)
    status = models.CharField(_("status"), max_length=8, choices=ResultStatus.choices, default=ResultStatus.SCORED)
    score = models.DecimalField(_("template score"), max_digits=14, decimal_places=6, null=True, blank=True)
    bonus = models.DecimalField(_("bonus points"), max_digits=8, decimal_places=2, default=0)
    adjustment = models.DecimalField(_("adjustment"), max_digits=8, decimal_places=2, default=0)
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=6, null=True, blank=True)
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    rank_in_unit = models.PositiveIntegerField(_("rank in unit"), null=True, blank=True)
    vetoed = models.BooleanField(_("vetoed"), default=False,
                                 help_text=_("A veto item (一票否决) was hit: the total is the veto's total."))
    veto_text = models.CharField(_("veto item hit"), max_length=200, blank=True)

    objects = RestrictedQuerySet.as_manager()
    kam_scope = ScopeSpec(module=MODULE_RESULTS, org="org_unit", owner="user")

    class Meta:
        ordering = ["-period", "rank", "subject_label"]
        verbose_name = _("assessment result")
        verbose_name_plural = _("assessment results")
        constraints = [models.UniqueConstraint(fields=["period", "subject_type", "subject_id"],
                                               name="uniq_result_subject_period")]

    def __str__(self) -> str:
        return f"{self.period} · {self.subject_label}"

    @property
    def veto_explanation(self) -> str:
        """"一票否决：…" for the scorecard and the API; empty when no veto item was hit."""
        if not self.vetoed:
            return ""
        from .kernel import fmt

        return _("Veto: %(rule)s, total %(total)s") % {
            "rule": self.veto_text, "total": "" if self.total is None else fmt(self.total)}


class ScoreDetail(models.Model):
    """考核明细: one atomic indicator of one result — value, interval hit, score, weight and
    contribution, copied at computation time so later edits never change them."""

    result = models.ForeignKey(Result, verbose_name=_("assessment result"), on_delete=models.CASCADE,
                               related_name="details")
    # Links to the configuration for navigation only: the names, weights and numbers are copied, and
    # without a constraint or index the millions of detail rows of a run are written quickly.
    indicator = models.ForeignKey(Indicator, verbose_name=_("assessment indicator"), null=True, blank=True,
                                  on_delete=models.DO_NOTHING, related_name="+", db_constraint=False,
                                  db_index=False)
    indicator_name = models.CharField(_("assessment indicator"), max_length=100)
    indicator_weight = models.DecimalField(_("indicator weight"), max_digits=3, decimal_places=2)
    indicator_score = models.DecimalField(_("indicator score"), max_digits=12, decimal_places=4)
    atomic = models.ForeignKey(AtomicIndicator, verbose_name=_("atomic indicator"), null=True, blank=True,
                               on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False)
    atomic_name = models.CharField(_("atomic indicator"), max_length=100)
    metric_code = models.CharField(_("metric"), max_length=40)
    value = models.DecimalField(_("metric value"), max_digits=20, decimal_places=4, null=True, blank=True)
    measure = models.DecimalField(_("scored value"), max_digits=24, decimal_places=6, null=True, blank=True,
                                  help_text=_("The value, or the completion rate in percent in that mode."))
    interval_position = models.PositiveSmallIntegerField(_("interval"), null=True, blank=True)
    interval_text = models.CharField(_("interval hit"), max_length=80, blank=True)
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2)
    weight = models.DecimalField(_("weight"), max_digits=3, decimal_places=2)
    contribution = models.DecimalField(_("contribution"), max_digits=12, decimal_places=4)
    status = models.CharField(_("status"), max_length=16)
    position = models.PositiveIntegerField(_("position"), default=0)

    objects = RestrictedQuerySet.as_manager()
    kam_scope = ScopeSpec(module=MODULE_RESULTS, org="result__org_unit", owner="result__user")

    class Meta:
        ordering = ["result", "position"]
        verbose_name = _("score detail")
        verbose_name_plural = _("score details")

    @property
    def explanation(self) -> str:
        """How the score came about, for the scorecard: the interval hit, or for a completion
        rate with floor and cap the rate and whether the floor (保底) or the cap (封顶) applied."""
        from .kernel import fmt

        rate = "" if self.measure is None else fmt(self.measure)
        if self.status == "floor":
            return _("Floor: completion rate %(rate)s%%, score raised to %(score)s") % {
                "rate": rate, "score": fmt(self.score)}
        if self.status == "cap":
            return _("Cap: completion rate %(rate)s%%, score limited to %(score)s") % {
                "rate": rate, "score": fmt(self.score)}
        if self.status == "deducted":
            return _("Deduction: %(formula)s = %(score)s") % {"formula": self.interval_text, "score": fmt(self.score)}
        if self.status == "minimum":
            return _("Deduction: %(formula)s, held at the minimum %(score)s") % {
                "formula": self.interval_text, "score": fmt(self.score)}
        if self.interval_position is None and self.interval_text and self.measure is not None:
            return _("Completion rate %(rate)s%% within %(range)s") % {"rate": rate, "range": self.interval_text}
        return self.interval_text


class Adjustment(SubjectFields):
    """考核分数调整 (R-ASM-6): a supervisor's change to last month's total, with a reason."""

    period = period_field()
    delta = models.DecimalField(_("adjustment"), max_digits=8, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=500)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("adjusted by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("adjusted at"), auto_now_add=True)

    objects = RestrictedQuerySet.as_manager()
    kam_scope = ScopeSpec(module=MODULE_RESULTS, org="org_unit", owner="user")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("score adjustment")
        verbose_name_plural = _("score adjustments")

    def __str__(self) -> str:
        return f"{self.period} · {self.subject_name} · {self.delta:+}"


class Bonus(SubjectFields):
    """加分项: bonus points for an extra contribution in the month."""

    period = period_field()
    points = models.DecimalField(_("points"), max_digits=8, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=500)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = RestrictedQuerySet.as_manager()
    kam_scope = ScopeSpec(module=MODULE_RESULTS, org="org_unit", owner="user")

    class Meta:
        ordering = ["-period", "-id"]
        verbose_name = _("bonus points")
        verbose_name_plural = _("bonus points")


class AssessmentNote(SubjectFields):
    """Non-KPI assessment information about a subject for a month (添加和修改)."""

    period = period_field()
    text = models.TextField(_("note"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = RestrictedQuerySet.as_manager()
    kam_scope = ScopeSpec(module=MODULE_RESULTS, org="org_unit", owner="user")

    class Meta:
        ordering = ["-period", "-id"]
        verbose_name = _("assessment note")
        verbose_name_plural = _("assessment notes")


# --- result confirmation (结果确认) and appeals (申诉), decision 0026 -------------------------------------------------


class Publication(models.Model):
    """发布考核结果: a computed month published to its account managers for confirmation.

    While a month is published it is not re-run; withdrawing the publication (撤销发布) keeps the
    publication and its confirmations as the record, and a new publication starts afresh."""

    period = period_field()
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("published by"), null=True,
                                     blank=True, on_delete=models.SET_NULL, related_name="+")
    published_at = models.DateTimeField(_("published at"))
    deadline = models.DateField(_("confirm by"), help_text=_(
        "Results not confirmed or appealed by the end of this day are confirmed automatically."))
    result_count = models.PositiveIntegerField(_("results to confirm"), default=0)
    closed_at = models.DateTimeField(_("confirmation closed at"), null=True, blank=True)
    auto_confirmed = models.PositiveIntegerField(_("confirmed automatically"), default=0)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("withdrawn by"), null=True,
                                     blank=True, on_delete=models.SET_NULL, related_name="+")
    withdraw_reason = models.CharField(_("reason for withdrawal"), max_length=500, blank=True)

    objects = RestrictedQuerySet.as_manager()
    kam_scope = ScopeSpec(module=MODULE_RUN)

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("result publication")
        verbose_name_plural = _("result publications")
        constraints = [models.UniqueConstraint(fields=["period"], condition=models.Q(withdrawn_at__isnull=True),
                                               name="uniq_publication_active_period")]

    def __str__(self) -> str:
        return self.period


class ConfirmationState(models.TextChoices):
    PENDING = "pending", _("To be confirmed")
    CONFIRMED = "confirmed", _("Confirmed")
    APPEALING = "appealing", _("Under appeal")
    CLOSED = "closed", _("Appeal closed")


class ResultConfirmation(SubjectFields):
    """结果确认: the confirmation state of one published result (kept per subject and month, not on
    the result row, which a re-run replaces)."""

    publication = models.ForeignKey(Publication, verbose_name=_("result publication"), on_delete=models.PROTECT,
                                    related_name="confirmations")
    period = period_field()
    subject_label = models.CharField(_("subject name"), max_length=100)
    published_total = models.DecimalField(_("published total"), max_digits=14, decimal_places=6, null=True,
                                          blank=True)
    state = models.CharField(_("confirmation state"), max_length=10, choices=ConfirmationState.choices,
                             default=ConfirmationState.PENDING, db_index=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("confirmed by"), null=True,
                                     blank=True, on_delete=models.SET_NULL, related_name="+")
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    auto_confirmed = models.BooleanField(_("confirmed automatically"), default=False)

    objects = RestrictedQuerySet.as_manager()
    kam_scope = ScopeSpec(module=MODULE_RESULTS, org="org_unit", owner="user")

    class Meta:
        ordering = ["-period", "subject_label", "id"]
        verbose_name = _("result confirmation")
        verbose_name_plural = _("result confirmations")
        constraints = [models.UniqueConstraint(fields=["publication", "subject_type", "subject_id"],
                                               name="uniq_confirmation_subject")]
        indexes = [models.Index(fields=["user", "state"], name="asm_confirm_user_state"),
                   models.Index(fields=["period", "subject_type", "subject_id"], name="asm_confirm_subject")]

    def __str__(self) -> str:
        return f"{self.period} · {self.subject_label}"


class AppealStatus(models.TextChoices):
    OPEN = "open", _("Under review")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Appeal(SubjectFields):
    """申诉: an account manager's appeal against a published result, decided by the process
    ``assessment_appeal`` (考核结果申诉); an accepted appeal adjusts the total (R-ASM-6)."""

    confirmation = models.ForeignKey(ResultConfirmation, verbose_name=_("result confirmation"),
                                     on_delete=models.PROTECT, related_name="appeals")
    period = period_field()
    subject_label = models.CharField(_("subject name"), max_length=100)
    reason = models.CharField(_("reason for the appeal"), max_length=1000)
    indicator_name = models.CharField(_("indicator concerned"), max_length=100, blank=True)
    expected_score = models.DecimalField(_("expected score"), max_digits=8, decimal_places=2, null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=AppealStatus.choices, default=AppealStatus.OPEN,
                              db_index=True)
    process = models.ForeignKey("processes.ProcessInstance", verbose_name=_("process instance"), null=True,
                                blank=True, on_delete=models.SET_NULL, related_name="+")
    decision_delta = models.DecimalField(_("adjustment granted"), max_digits=8, decimal_places=2, null=True,
                                         blank=True)
    decision_reason = models.CharField(_("reason for the decision"), max_length=500, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    adjustment = models.ForeignKey(Adjustment, verbose_name=_("score adjustment"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("appellant"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("appealed at"))

    objects = RestrictedQuerySet.as_manager()
    kam_scope = ScopeSpec(module=MODULE_RESULTS, org="org_unit", owner="user")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        constraints = [models.UniqueConstraint(fields=["confirmation"], condition=models.Q(status="open"),
                                               name="uniq_open_appeal_per_result")]

    def __str__(self) -> str:
        return f"{self.period} · {self.subject_label} · {self.get_status_display()}"


# --- targets (考核目标, REQUIREMENTS §7 "beyond the seeds", decision 0025) ---------------------------

MODULE_TARGETS = "assessment_target"  # 考核目标: targets, their decomposition and 目标达成


class TargetSubjectType(models.TextChoices):
    UNIT = "unit", pgettext_lazy("target subject", "Organisation unit")
    MANAGER = "manager", _("Account manager")


class TargetPeriodKind(models.TextChoices):
    YEAR = "year", _("Year")
    QUARTER = "quarter", _("Quarter")
    MONTH = "month", _("Month")


class TargetSplit(models.TextChoices):
    NONE = "", _("Not decomposed")
    QUARTERS = "quarters", _("Into quarters")
    MONTHS = "months", _("Into months")
    UNITS = "units", _("To the child units")
    MANAGERS = "managers", _("To the unit's account managers")


class TargetSplitMethod(models.TextChoices):
    NONE = "", "—"
    EQUAL = "equal", _("Equally")
    SHARES = "shares", _("By shares (%)")
    AMOUNTS = "amounts", _("By amounts")


class TargetDirection(models.TextChoices):
    """Whether a target is met by a value at or above the tiers (revenue) or at or below them
    (complaints, churn, arrears)."""

    HIGHER = "higher", _("Higher is better")
    LOWER = "lower", _("Lower is better")


class TierReached(models.TextChoices):
    NONE = "none", _("Not reached")
    TARGET = "target", _("Target reached")
    SPRINT = "sprint", _("Sprint reached")
    CHALLENGE = "challenge", _("Challenge reached")


class Target(models.Model):
    """考核目标: a metric's target for one subject (an org unit at any level, or an account manager)
    and one period (a year ``2026``, a quarter ``2026-Q1`` or a month ``2026-03``), in three tiers
    目标 ≤ 冲刺 ≤ 挑战 — or 目标 ≥ 冲刺 ≥ 挑战 when ``direction`` is "lower is better" (fixed once
    created; the parts of a decomposition inherit it). ``parent`` is the target it was decomposed
    from; ``split`` says how its own parts were made. ``org_unit`` places the target in the org
    tree (the unit itself, or the manager's unit) and ``user`` is the manager, for the data scope."""

    metric = models.ForeignKey(Metric, verbose_name=_("metric"), on_delete=models.PROTECT, related_name="targets")
    subject_type = models.CharField(_("subject type"), max_length=10, choices=TargetSubjectType.choices)
    subject_id = models.PositiveBigIntegerField(_("subject"), help_text=_("Org unit id or user id."))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("account manager"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")
    org_unit = models.ForeignKey("org.OrgUnit", verbose_name=_("organisation unit"), on_delete=models.PROTECT,
                                 related_name="+")
    period = models.CharField(_("period"), max_length=7, db_index=True,
                              help_text=_("A year (2026), a quarter (2026-Q1) or a month (2026-03)."))
    period_kind = models.CharField(_("period kind"), max_length=8, choices=TargetPeriodKind.choices)
    direction = models.CharField(_("direction"), max_length=6, choices=TargetDirection.choices,
                                 default=TargetDirection.HIGHER, help_text=_(
                                     "Higher is better: target ≤ sprint ≤ challenge; lower is better: target ≥ "
                                     "sprint ≥ challenge."))
    target_value = models.DecimalField(_("target value"), max_digits=18, decimal_places=2)
    sprint_value = models.DecimalField(_("sprint value"), max_digits=18, decimal_places=2, null=True, blank=True)
    challenge_value = models.DecimalField(_("challenge value"), max_digits=18, decimal_places=2, null=True,
                                          blank=True)
    parent = models.ForeignKey("self", verbose_name=_("decomposed from"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="children")
    split = models.CharField(_("decomposition"), max_length=10, choices=TargetSplit.choices, blank=True, default="")
    split_method = models.CharField(_("decomposition method"), max_length=8, choices=TargetSplitMethod.choices,
                                    blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("updated by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = RestrictedQuerySet.as_manager()
    kam_scope = ScopeSpec(module=MODULE_TARGETS, org="org_unit", owner="user")

    class Meta:
        ordering = ["period", "metric_id", "subject_type", "subject_id"]
        verbose_name = _("assessment target")
        verbose_name_plural = _("assessment targets")
        constraints = [models.UniqueConstraint(fields=["metric", "subject_type", "subject_id", "period"],
                                               name="uniq_target_subject_period")]
        indexes = [models.Index(fields=["period", "metric"], name="asm_target_period")]

    def __str__(self) -> str:
        return f"{self.metric.name} · {self.subject_name} · {self.period}"

    @property
    def subject_name(self) -> str:
        if self.subject_type == TargetSubjectType.MANAGER and self.user_id:
            return self.user.name or self.user.username
        return self.org_unit.name if self.org_unit_id else str(self.subject_id)


class TargetTierMetrics(models.Model):
    """目标发布设置: the metrics that receive a measured metric's published month targets, one per
    tier, so attainment and completion-rate atomic indicators (``target_metric``) score against the
    目标 or the 冲刺 tier without any change to the scoring."""

    metric = models.OneToOneField(Metric, verbose_name=_("measured metric"), on_delete=models.CASCADE,
                                  related_name="tier_metrics")
    target_metric = models.ForeignKey(Metric, verbose_name=_("metric of the target value"),
                                      on_delete=models.PROTECT, related_name="+")
    sprint_metric = models.ForeignKey(Metric, verbose_name=_("metric of the sprint value"), null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="+")
    challenge_metric = models.ForeignKey(Metric, verbose_name=_("metric of the challenge value"), null=True,
                                         blank=True, on_delete=models.PROTECT, related_name="+")
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("updated by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = RestrictedQuerySet.as_manager()
    kam_scope = ScopeSpec(module=MODULE_CONFIG)

    class Meta:
        ordering = ["metric__code"]
        verbose_name = _("target publishing setting")
        verbose_name_plural = _("target publishing settings")

    def __str__(self) -> str:
        return str(self.metric)

    def tiers(self) -> list[tuple[str, Metric | None]]:
        """``[(tier field of Target, metric or None)…]`` in tier order."""
        return [("target_value", self.target_metric), ("sprint_value", self.sprint_metric),
                ("challenge_value", self.challenge_metric)]
