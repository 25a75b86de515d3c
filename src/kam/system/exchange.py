"""Excel exports of the system app's lists (操作日志, 登录日志) through the exchange engine.

The list pages get the 导出 button and ``?export=xlsx`` from the engine's list hooks; the file
holds what the list shows (data scope, filters, sort).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kam.core.registry import MODULES
from kam.exchange.columns import Choice, DateTime, Integer, Text
from kam.exchange.specs import ExportSpec, register

from .filtersets import LoginLogFilterSet, OperationLogFilterSet
from .models import LoginLog, LoginResult, OperationAction, OperationLog, OperationResult


def _module_label(obj) -> str:
    module = MODULES.get(obj.module)
    return str(module.label) if module else obj.module


@register
class OperationLogExport(ExportSpec):
    code = "system.operation_log"
    label = _("Operation log")
    model = OperationLog
    module = "operation_log"
    filterset = OperationLogFilterSet
    ordering = ("-created_at", "-id")
    columns = (
        DateTime("created_at", _("Time"), seconds=True, width=20),
        Text("username", _("Account")),
        Text("module", _("Module"), source=_module_label),
        Choice("action", _("Business action"), choices=OperationAction.choices),
        Text("description", _("Description"), width=30),
        Text("ip", _("IP address")),
        Text("method", _("Request method")),
        Text("url", _("URL"), width=40),
        Integer("duration_ms", _("Duration (ms)")),
        Choice("result", _("Result"), choices=OperationResult.choices),
        Text("error_message", _("Error message"), width=40),
    )


@register
class LoginLogExport(ExportSpec):
    code = "system.login_log"
    label = _("Login log")
    model = LoginLog
    module = "login_log"
    filterset = LoginLogFilterSet
    ordering = ("-created_at", "-id")
    columns = (
        DateTime("created_at", _("Time"), seconds=True, width=20),
        Text("username", _("Account")),
        Text("ip", _("IP address")),
        Text("browser", _("Browser")),
        Text("os", _("Operating system")),
        Choice("result", _("Result"), choices=LoginResult.choices),
        Text("message", _("Message"), width=30),
    )
