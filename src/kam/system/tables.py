"""Tables of the system app's list pages (rendered by ``core/table.html``)."""

from __future__ import annotations

import django_tables2 as tables
from django.template.loader import render_to_string
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from kam.core.registry import MODULES
from kam.core.tables import ActionsColumn, BooleanColumn, KamTable

from .models import Announcement, DictType, DictValue, LoginLog, OperationLog, Parameter, UserSession
from .selectors import dict_entry
from .templatetags.system_tags import badge_html

capfirst_lazy = lazy(capfirst, str)


def _v(model, name: str):
    """The model field's verbose name, capitalised (lazy, so it follows the active language)."""
    return capfirst_lazy(model._meta.get_field(name).verbose_name)


class DictColumn(tables.Column):
    """A coded value shown as the coloured tag of its dictionary."""

    def __init__(self, type_code: str, *args, **kwargs):
        self.type_code = type_code
        super().__init__(*args, **kwargs)

    def render(self, value, record, bound_column):
        raw = getattr(record, bound_column.name, value)  # the code, not its choice label
        return badge_html(dict_entry(self.type_code, raw), str(value))


NOWRAP = {"td": {"class": "text-nowrap"}}


class DictTypeTable(KamTable):
    code = tables.Column(verbose_name=_v(DictType, "code"), orderable=True,
                         linkify=("system:dict_type_detail", [tables.A("pk")]))
    name = tables.Column(verbose_name=_v(DictType, "name"), orderable=True,
                         linkify=("system:dict_type_detail", [tables.A("pk")]))
    enabled = BooleanColumn(verbose_name=_v(DictType, "enabled"))
    builtin = BooleanColumn(verbose_name=_v(DictType, "builtin"))
    remark = tables.Column(verbose_name=_v(DictType, "remark"))
    actions = ActionsColumn({"edit": "system:dict_type_edit", "delete": "system:dict_type_delete"})

    class Meta(KamTable.Meta):
        model = DictType
        fields = ("code", "name", "enabled", "builtin", "remark")


class DictValueTable(KamTable):
    value = tables.Column(verbose_name=_v(DictValue, "value"))
    label = tables.Column(verbose_name=_v(DictValue, "label"))
    tag = tables.Column(verbose_name=_("Tag"), accessor="pk", empty_values=())
    sort_order = tables.Column(verbose_name=_v(DictValue, "sort_order"))
    is_default = BooleanColumn(verbose_name=_v(DictValue, "is_default"))
    enabled = BooleanColumn(verbose_name=_v(DictValue, "enabled"))
    actions = tables.Column(verbose_name=_("Actions"), accessor="pk", empty_values=(),
                            attrs={"td": {"class": "text-nowrap text-end"}, "th": {"class": "text-end"}})

    class Meta(KamTable.Meta):
        model = DictValue
        fields = ("value", "label", "tag", "sort_order", "is_default", "enabled")

    def render_tag(self, record):
        return badge_html(record)

    def render_actions(self, record):
        if not (self.context or {}).get("can_change"):
            return ""
        return render_to_string("system/_dict_value_actions.html", {"v": record},
                                request=getattr(self, "request", None))


class ParameterTable(KamTable):
    name = tables.Column(verbose_name=_v(Parameter, "name"), orderable=True, attrs=NOWRAP)
    key = tables.Column(verbose_name=_v(Parameter, "key"), orderable=True, attrs=NOWRAP)
    value = tables.Column(verbose_name=_v(Parameter, "value"))
    value_type = tables.Column(verbose_name=_v(Parameter, "value_type"), attrs=NOWRAP)
    builtin = BooleanColumn(verbose_name=_v(Parameter, "builtin"))
    remark = tables.Column(verbose_name=_v(Parameter, "remark"))
    actions = ActionsColumn({"edit": "system:parameter_edit"})  # built-in ones cannot be deleted

    class Meta(KamTable.Meta):
        model = Parameter
        fields = ("name", "key", "value", "value_type", "builtin", "remark")


class AnnouncementTable(KamTable):
    title = tables.Column(verbose_name=_v(Announcement, "title"), orderable=True,
                          linkify=("system:announcement_detail", [tables.A("pk")]))
    kind = DictColumn("notice_kind", verbose_name=_v(Announcement, "kind"))
    status = tables.Column(verbose_name=_v(Announcement, "status"))
    publish_at = tables.DateTimeColumn(verbose_name=_v(Announcement, "publish_at"), format="Y-m-d H:i", orderable=True)
    expire_at = tables.DateTimeColumn(verbose_name=_v(Announcement, "expire_at"), format="Y-m-d H:i")
    created_by = tables.Column(verbose_name=_v(Announcement, "created_by"), accessor="created_by__name")
    actions = ActionsColumn({"edit": "system:announcement_edit", "delete": "system:announcement_delete"})

    class Meta(KamTable.Meta):
        model = Announcement
        fields = ("title", "kind", "status", "publish_at", "expire_at", "created_by")

    def render_status(self, record):
        colour = "success" if record.status == "published" else "secondary"
        return format_html('<span class="badge text-bg-{}">{}</span>', colour, record.get_status_display())


class OperationLogTable(KamTable):
    created_at = tables.DateTimeColumn(verbose_name=_v(OperationLog, "created_at"), format="Y-m-d H:i:s",
                                       orderable=True,
                                       linkify=("system:operation_log_detail", [tables.A("pk")]))
    username = tables.Column(verbose_name=_v(OperationLog, "username"), orderable=True)
    module = tables.Column(verbose_name=_v(OperationLog, "module"))
    action = DictColumn("operation_action", verbose_name=_v(OperationLog, "action"))
    description = tables.Column(verbose_name=_v(OperationLog, "description"))
    ip = tables.Column(verbose_name=_v(OperationLog, "ip"))
    duration_ms = tables.Column(verbose_name=_v(OperationLog, "duration_ms"), orderable=True,
                                attrs={"td": {"class": "text-end"}})
    result = DictColumn("common_result", verbose_name=_v(OperationLog, "result"))

    class Meta(KamTable.Meta):
        model = OperationLog
        fields = ("created_at", "username", "module", "action", "description", "ip", "duration_ms", "result")

    def render_module(self, value):
        module = MODULES.get(value)
        return module.label if module else value


class LoginLogTable(KamTable):
    created_at = tables.DateTimeColumn(verbose_name=_v(LoginLog, "created_at"), format="Y-m-d H:i:s", orderable=True)
    username = tables.Column(verbose_name=_v(LoginLog, "username"), orderable=True)
    ip = tables.Column(verbose_name=_v(LoginLog, "ip"))
    browser = tables.Column(verbose_name=_v(LoginLog, "browser"))
    os = tables.Column(verbose_name=_v(LoginLog, "os"))
    result = DictColumn("common_result", verbose_name=_v(LoginLog, "result"))
    message = tables.Column(verbose_name=_v(LoginLog, "message"))

    class Meta(KamTable.Meta):
        model = LoginLog
        fields = ("created_at", "username", "ip", "browser", "os", "result", "message")


class OnlineTable(KamTable):
    username = tables.Column(accessor="user__username", verbose_name=_("Account"),
                             order_by=("user__username",), orderable=True)
    name = tables.Column(accessor="user__name", verbose_name=_("Full name"))
    org_unit = tables.Column(accessor="user__org_unit__name", verbose_name=_("Organisation unit"))
    ip = tables.Column(verbose_name=_v(UserSession, "ip"))
    browser = tables.Column(verbose_name=_v(UserSession, "browser"))
    os = tables.Column(verbose_name=_v(UserSession, "os"))
    login_at = tables.DateTimeColumn(verbose_name=_v(UserSession, "login_at"), format="Y-m-d H:i:s", orderable=True)
    last_activity = tables.DateTimeColumn(verbose_name=_v(UserSession, "last_activity"), format="Y-m-d H:i:s",
                                          orderable=True)
    actions = tables.Column(verbose_name=_("Actions"), accessor="pk", empty_values=(),
                            attrs={"td": {"class": "text-nowrap text-end"}, "th": {"class": "text-end"}})

    class Meta(KamTable.Meta):
        model = UserSession
        fields = ("username", "name", "org_unit", "ip", "browser", "os", "login_at", "last_activity")

    def render_actions(self, record):
        context = self.context or {}
        request = getattr(self, "request", None)
        own = request is not None and request.session.session_key == record.session_key
        if not context.get("can_change") or own:
            return ""
        return render_to_string("system/_force_logout.html", {"s": record}, request=request)
