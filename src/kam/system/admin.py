"""Django admin of the system app: the logs, with an action clearing entries past the retention."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from . import services
from .models import DictType, DictValue, LoginLog, OperationLog, Parameter


class DictValueInline(admin.TabularInline):
    model = DictValue
    extra = 0


@admin.register(DictType)
class DictTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "enabled", "builtin"]
    search_fields = ["code", "name"]
    inlines = [DictValueInline]


@admin.register(Parameter)
class ParameterAdmin(admin.ModelAdmin):
    list_display = ["key", "name", "value", "value_type", "builtin"]
    search_fields = ["key", "name"]


class _LogAdmin(admin.ModelAdmin):
    date_hierarchy = "created_at"
    actions = ["clear_expired"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).restrict(request.user, "view")


@admin.register(OperationLog)
class OperationLogAdmin(_LogAdmin):
    list_display = ["created_at", "username", "module", "action", "description", "ip", "duration_ms", "result"]
    list_filter = ["action", "result"]
    search_fields = ["username", "description", "url"]

    @admin.action(description=_lazy("Clear entries past the retention days"))
    def clear_expired(self, request, queryset):
        count = services.operation_log_clear(actor=request.user)
        self.message_user(request, _("%(count)s entries deleted.") % {"count": count}, messages.SUCCESS)


@admin.register(LoginLog)
class LoginLogAdmin(_LogAdmin):
    list_display = ["created_at", "username", "ip", "browser", "os", "result", "message"]
    list_filter = ["result"]
    search_fields = ["username", "ip"]

    @admin.action(description=_lazy("Clear entries past the retention days"))
    def clear_expired(self, request, queryset):
        count = services.login_log_clear(actor=request.user)
        self.message_user(request, _("%(count)s entries deleted.") % {"count": count}, messages.SUCCESS)
