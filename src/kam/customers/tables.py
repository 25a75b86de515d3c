"""The list pages of 客户管理."""

from __future__ import annotations

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from kam.core.tables import KamTable

from .models import AccessRequest, Customer, NumberSegment, Registration, Stage

STAGE_TONES = {
    Stage.COUNTY_REVIEW: "info", Stage.BUREAU_REVIEW: "info", Stage.CITY_REVIEW: "primary",
    Stage.FINAL_REVIEW: "warning", Stage.APPROVED: "success", Stage.REJECTED: "danger",
}
ACCESS_TONES = {"pending": "warning", "approved": "success", "rejected": "danger", "expired": "secondary"}


def _tag(type_code: str, value: str):
    from kam.system.selectors import dict_entry

    entry = dict_entry(type_code, value)
    if entry is None:
        return value or "—"
    return format_html('<span class="badge text-bg-{}">{}</span>', entry.tag_colour or "secondary", entry.label)


def stage_badge(record: Registration):
    label = record.get_stage_display()
    if record.stage == Stage.REJECTED and record.outcome:
        label = record.get_outcome_display()
    return format_html('<span class="badge text-bg-{}">{}</span>', STAGE_TONES.get(record.stage, "secondary"), label)


class CustomerTable(KamTable):
    name = tables.Column(verbose_name=_("Customer name"), orderable=True)
    short_name = tables.Column(verbose_name=_("Short name"), default="")
    key_number = tables.Column(verbose_name=_("Key-customer number"), orderable=True, default="")
    level = tables.Column(verbose_name=_("Customer level"), orderable=True, default="")
    industry = tables.Column(verbose_name=_("Industry"), orderable=True, default="")
    region = tables.Column(verbose_name=_("Region"), accessor="region_label", order_by=("county__name",),
                           orderable=True, default="")
    org_unit = tables.Column(verbose_name=_("Owning unit"), accessor="org_unit__name", default="")
    status = tables.Column(verbose_name=_("Status"), default="")

    class Meta(KamTable.Meta):
        model = Customer
        fields = ("name", "short_name", "key_number", "level", "industry", "region", "org_unit", "status")

    def render_name(self, value, record):
        link = format_html('<a href="{}">{}</a>', reverse("customers:customer_detail", args=[record.pk]), value)
        if getattr(record, "is_dnd", False):  # set by the list view from kam.work (免打扰)
            return format_html('{} <span class="badge text-bg-dark" title="{}">{}</span>', link,
                               _("The customer asked not to be disturbed now."), _("Do not disturb"))
        return link

    def render_level(self, value, record):
        return _tag("customer_level", record.level)

    def render_industry(self, value, record):
        return _tag("industry", record.industry)

    def render_status(self, value, record):
        return _tag("customer_status", record.status)


class RegistrationTable(KamTable):
    name = tables.Column(verbose_name=_("Customer name"),
                         linkify=("customers:registration_detail", [tables.A("pk")]), orderable=True)
    kind = tables.Column(verbose_name=_("Case"), accessor="customer_id", default="", empty_values=())
    industry = tables.Column(verbose_name=_("Industry"), default="")
    department = tables.Column(verbose_name=_("Cooperating department"), accessor="relationship_data",
                               empty_values=())
    key_number = tables.Column(verbose_name=_("Key-customer number"), default="")
    applicant = tables.Column(verbose_name=_("Applicant"), accessor="applicant__name", default="")
    submitted_at = tables.DateTimeColumn(verbose_name=_("Applied at"), format="Y-m-d H:i", orderable=True)
    stage = tables.Column(verbose_name=_("Stage"), orderable=True)

    class Meta(KamTable.Meta):
        model = Registration
        fields = ("name", "kind", "industry", "department", "key_number", "applicant", "submitted_at", "stage")

    def render_kind(self, value, record):
        return _("Known customer") if record.customer_id else _("New customer")

    def render_industry(self, value, record):
        return _tag("industry", record.industry)

    def render_department(self, value, record):
        return getattr(record, "department_name", "") or "—"

    def render_stage(self, value, record):
        return stage_badge(record)


class AccessRequestTable(KamTable):
    requested_at = tables.DateTimeColumn(verbose_name=_("Requested at"), format="Y-m-d H:i", orderable=True)
    customer = tables.Column(verbose_name=_("Customer"), accessor="customer__name",
                             linkify=("customers:shared_detail", [tables.A("pk")]))
    content = tables.Column(verbose_name=_("Requested content"))
    granted_content = tables.Column(verbose_name=_("Granted content"), default="—")
    applicant = tables.Column(verbose_name=_("Applicant"), accessor="applicant__name")
    reason = tables.Column(verbose_name=_("Reason"))
    status = tables.Column(verbose_name=_("Status"), accessor="effective_status", orderable=True,
                           order_by=("status",))

    class Meta(KamTable.Meta):
        model = AccessRequest
        fields = ("requested_at", "customer", "content", "granted_content", "applicant", "reason", "status")

    def render_status(self, value, record):
        labels = {"expired": _("Expired")}
        label = labels.get(value) or record.get_status_display()
        return format_html('<span class="badge text-bg-{}">{}</span>', ACCESS_TONES.get(value, "secondary"), label)


class AccessReviewTable(AccessRequestTable):
    customer = tables.Column(verbose_name=_("Customer"), accessor="customer__name",
                             linkify=("customers:access_review", [tables.A("pk")]))


class NumberSegmentTable(KamTable):
    org_unit = tables.Column(verbose_name=_("Organisation unit"), accessor="org_unit__name",
                             order_by=("org_unit__path",), orderable=True)
    first = tables.Column(verbose_name=_("First number"), accessor="start", empty_values=())
    last = tables.Column(verbose_name=_("Last number"), accessor="end", empty_values=())
    next = tables.Column(verbose_name=_("Next number"), accessor="next_value", empty_values=())
    remaining = tables.Column(verbose_name=_("Remaining"), empty_values=())
    enabled = tables.BooleanColumn(verbose_name=_("Enabled"))

    class Meta(KamTable.Meta):
        model = NumberSegment
        fields = ("org_unit", "first", "last", "next", "remaining", "enabled")

    def render_first(self, value, record):
        return record.format(record.start)

    def render_last(self, value, record):
        return record.format(record.end)

    def render_next(self, value, record):
        return record.format(record.next_value) if record.remaining else "—"
