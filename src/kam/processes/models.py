"""流程管理: process definitions and versions, instances, human tasks, history and timers.

The BPMN engine (SpiffWorkflow) keeps its state in ``ProcessInstance.engine_state``, which is
loaded only when the engine advances. Everything users query — who has which task, what is
running, what happened — lives in the tables below.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kam.core.querysets import RestrictedQuerySet, ScopeSpec

MODULE = "processes"
DESIGN_MODULE = "process_definitions"


class ProcessDefinition(models.Model):
    """流程: a process, identified by ``code`` (the BPMN process id)."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(pgettext_lazy("process", "name"), max_length=100)
    category = models.CharField(_("category"), max_length=60, blank=True)

    objects = RestrictedQuerySet.as_manager()
    kam_scope = ScopeSpec(module=DESIGN_MODULE)

    class Meta:
        ordering = ["category", "code"]
        verbose_name = _("process definition")
        verbose_name_plural = _("process definitions")

    def __str__(self) -> str:
        return self.name

    @property
    def active_version(self) -> ProcessVersion | None:
        return self.versions.filter(status=VersionStatus.ACTIVE).order_by("-number").first()


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", pgettext_lazy("process", "Active")
    RETIRED = "retired", _("Retired")


class ProcessVersion(models.Model):
    """One saved version of a definition; running instances stay on their version."""

    definition = models.ForeignKey(ProcessDefinition, verbose_name=_("process definition"),
                                   on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    bpmn_xml = models.TextField(_("BPMN diagram"))
    node_config = models.JSONField(_("node configuration"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=VersionStatus.choices, default=VersionStatus.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"))
    # 自动调度: the timer start event's expression (cycle / date-time / cron) and its next due time,
    # claimed by the sweep with a compare-and-set so each due time starts one instance.
    start_timer = models.CharField(_("start timer"), max_length=200, blank=True)
    next_start_at = models.DateTimeField(_("next scheduled start"), null=True, blank=True, db_index=True)

    objects = RestrictedQuerySet.as_manager()
    kam_scope = ScopeSpec(module=DESIGN_MODULE)

    class Meta:
        ordering = ["definition", "-number"]
        verbose_name = _("process version")
        verbose_name_plural = _("process versions")
        constraints = [models.UniqueConstraint(fields=["definition", "number"], name="uniq_process_version")]

    def __str__(self) -> str:
        return f"{self.definition.name} v{self.number}"


class InstanceStatus(models.TextChoices):
    RUNNING = "running", pgettext_lazy("process", "Running")
    COMPLETED = "completed", _("Completed")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    CANCELLED = "cancelled", _("Cancelled")


class ProcessInstance(models.Model):
    """流程实例: one run of a process version for one business record (``business_key``)."""

    version = models.ForeignKey(ProcessVersion, verbose_name=_("process version"), on_delete=models.PROTECT,
                                related_name="instances")
    business_key = models.CharField(_("business key"), max_length=100, db_index=True)
    title = models.CharField(pgettext_lazy("process", "title"), max_length=200, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    snapshot = models.JSONField(_("business record snapshot"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=InstanceStatus.choices,
                              default=InstanceStatus.RUNNING, db_index=True)
    starter = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=pgettext_lazy("process", "started by"),
                                on_delete=models.PROTECT, related_name="+")
    starter_unit = models.ForeignKey("org.OrgUnit", verbose_name=pgettext_lazy("process", "organisation unit"),
                                     null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(pgettext_lazy("process", "started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    current_nodes = models.JSONField(_("current steps"), default=list, blank=True)
    engine_state = models.TextField(_("engine state"), blank=True)

    objects = RestrictedQuerySet.as_manager()
    kam_scope = ScopeSpec(module=MODULE, org="starter_unit", owner="starter")

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("process instance")
        verbose_name_plural = _("process instances")

    def __str__(self) -> str:
        return self.title or f"{self.version.definition.name} · {self.business_key}"


class TaskStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")  # a later approver of a sequential (依次) step
    OPEN = "open", pgettext_lazy("process", "Open")
    CLAIMED = "claimed", _("Claimed")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


# The statuses in which a task waits for its assignee (待办).
OPEN_TASK_STATUSES = (TaskStatus.OPEN, TaskStatus.CLAIMED)


class TaskOutcome(models.TextChoices):
    APPROVE = "approve", pgettext_lazy("process", "Approve")
    REJECT = "reject", _("Reject")
    SEND_BACK = "send_back", _("Send back")
    TRANSFER = "transfer", _("Transfer")


class HumanTask(models.Model):
    """环节待办: one person's task at one step of an instance."""

    instance = models.ForeignKey(ProcessInstance, verbose_name=_("process instance"), on_delete=models.CASCADE,
                                 related_name="tasks")
    node_id = models.CharField(_("step id"), max_length=100)
    node_name = models.CharField(_("step"), max_length=200)
    engine_task_id = models.CharField(_("engine task id"), max_length=40, blank=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assignee"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="process_tasks")
    # 待领取: a pool task (no assignee yet) lists the users who may claim it.
    candidates = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("candidates"), blank=True,
                                        related_name="candidate_process_tasks")
    delegated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("delegated by"), null=True,
                                     blank=True, on_delete=models.PROTECT, related_name="+",
                                     help_text=_("The task returns to this user once the delegate has answered."))
    seq = models.PositiveSmallIntegerField(_("order"), default=0)
    status = models.CharField(_("status"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN,
                              db_index=True)
    due_at = models.DateTimeField(pgettext_lazy("process", "due at"), null=True, blank=True)
    remind_every = models.DurationField(_("remind every"), null=True, blank=True)
    next_remind_at = models.DateTimeField(_("next reminder at"), null=True, blank=True)
    escalated = models.BooleanField(_("escalated"), default=False)
    created_at = models.DateTimeField(_("created at"))
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    outcome = models.CharField(pgettext_lazy("process", "outcome"), max_length=10, choices=TaskOutcome.choices,
                               blank=True)
    opinion = models.TextField(pgettext_lazy("process", "opinion"), blank=True)
    version = models.PositiveIntegerField(_("row version"), default=0)

    objects = RestrictedQuerySet.as_manager()
    kam_scope = ScopeSpec(module=MODULE, org="instance__starter_unit", owner="instance__starter")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("process task")
        verbose_name_plural = _("process tasks")
        indexes = [models.Index(fields=["assignee", "status"], name="proc_task_assignee_status")]

    def __str__(self) -> str:
        return f"{self.node_name} · {self.instance}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_TASK_STATUSES


class EventAction(models.TextChoices):
    START = "start", pgettext_lazy("process", "Submitted")
    APPROVE = "approve", pgettext_lazy("process", "Approved")
    REJECT = "reject", _("Rejected")
    SEND_BACK = "send_back", _("Sent back")
    CLAIM = "claim", _("Claimed")
    RELEASE = "release", _("Released")
    REROUTE = "reroute", _("Re-routed")
    TIMEOUT = "timeout", _("Timed out")
    MESSAGE = "message", _("Message received")
    SERVICE = "service", _("Service called")
    SERVICE_ERROR = "service_error", _("Service call failed")
    WITHDRAW = "withdraw", _("Withdrawn")
    TRANSFER = "transfer", _("Transferred")
    REMIND = "remind", _("Urged")
    ESCALATE = "escalate", _("Escalated")
    AUTO_PASS = "auto_pass", _("Passed automatically")
    ASSIGN = "assign", _("Assigned")
    DELEGATE = "delegate", _("Delegated")
    RESOLVE = "resolve", _("Delegate answered")
    CC = "cc", _("Copied")
    ADD_SIGNER = "add_signer", _("Approver added")
    REMOVE_SIGNER = "rm_signer", _("Approver removed")
    COMPLETE = "complete", _("Process completed")
    CANCEL = "cancel", _("Cancelled")


class TaskEvent(models.Model):
    """流程历史: one thing that happened to an instance."""

    instance = models.ForeignKey(ProcessInstance, verbose_name=_("process instance"), on_delete=models.CASCADE,
                                 related_name="events")
    task = models.ForeignKey(HumanTask, verbose_name=_("task"), null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="events")
    node_id = models.CharField(_("step id"), max_length=100, blank=True)
    node_name = models.CharField(_("step"), max_length=200, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    target = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("target user"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    action = models.CharField(_("action"), max_length=16, choices=EventAction.choices)
    opinion = models.TextField(pgettext_lazy("process", "opinion"), blank=True)
    data = models.JSONField(_("step data"), default=dict, blank=True,
                            help_text=_("The values of the step's fields recorded with this answer."))
    at = models.DateTimeField(_("time"))

    objects = RestrictedQuerySet.as_manager()
    kam_scope = ScopeSpec(module=MODULE, org="instance__starter_unit", owner="instance__starter")

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("process event")
        verbose_name_plural = _("process events")


class DispatchCursor(models.Model):
    """Round-robin dispatch (轮询派发): where the next task of a step goes, per version and step."""

    version = models.ForeignKey(ProcessVersion, verbose_name=_("process version"), on_delete=models.CASCADE,
                                related_name="+")
    node_id = models.CharField(_("step id"), max_length=100)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("dispatch cursor")
        verbose_name_plural = _("dispatch cursors")
        constraints = [models.UniqueConstraint(fields=["version", "node_id"], name="uniq_dispatch_cursor")]


class TimerKind(models.TextChoices):
    REMIND = "remind", _("Reminder")
    ESCALATE = "escalate", _("Escalation")
    BOUNDARY = "boundary", _("Boundary timer")


class Timer(models.Model):
    """A deadline, fired exactly once by the sweep (compare-and-set on ``fired_at``)."""

    instance = models.ForeignKey(ProcessInstance, verbose_name=_("process instance"), on_delete=models.CASCADE,
                                 related_name="timers")
    task = models.ForeignKey(HumanTask, verbose_name=_("task"), null=True, blank=True, on_delete=models.CASCADE,
                             related_name="timers")
    kind = models.CharField(pgettext_lazy("process", "kind"), max_length=10, choices=TimerKind.choices)
    due_at = models.DateTimeField(pgettext_lazy("process", "due at"), db_index=True)
    fired_at = models.DateTimeField(_("fired at"), null=True, blank=True)
    claimed_by = models.CharField(_("claimed by"), max_length=100, blank=True)
    event = models.CharField(_("event"), max_length=120, blank=True,
                             help_text=_("The diagram's timer event this row fires (boundary and catch timers)."))
    wait_id = models.CharField(_("wait"), max_length=40, blank=True,
                               help_text=_("The engine's wait at the timer event (a cycle fires again in the same "
                                           "wait; a step entered again waits anew)."))

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("process timer")
        verbose_name_plural = _("process timers")


class ServiceCallStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ServiceCall(models.Model):
    """A service task's call of a connector or webhook (工单流 and other systems); the instance waits
    at the step until the call succeeds. A failure stays visible in monitoring with a retry action."""

    instance = models.ForeignKey(ProcessInstance, verbose_name=_("process instance"), on_delete=models.CASCADE,
                                 related_name="service_calls")
    node_id = models.CharField(_("step id"), max_length=100)
    node_name = models.CharField(_("step"), max_length=200)
    target = models.CharField(_("connector or URL"), max_length=500)
    status = models.CharField(_("status"), max_length=10, choices=ServiceCallStatus.choices,
                              default=ServiceCallStatus.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    objects = RestrictedQuerySet.as_manager()
    kam_scope = ScopeSpec(module=MODULE, org="instance__starter_unit", owner="instance__starter")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("service call")
        verbose_name_plural = _("service calls")
