"""The parameter catalogue: every parameter the rules read, its type and its default.

Apps add their own with :func:`register_parameter` in ``AppConfig.ready()``; the defaults are
written to the database after each migration (only missing keys), where administrators change
them on the 参数设置 page. Rules read them with ``kam.system.selectors.param(key)``.
Names and remarks are data (Chinese), shown as stored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class ParamDef:
    key: str
    name: str
    value_type: str
    default: Any
    remark: str = ""
    min_value: Any = None
    max_value: Any = None


PARAMETERS: dict[str, ParamDef] = {}


def register_parameter(key: str, name: str, value_type: str, default: Any, remark: str = "", *,
                       min_value: Any = None, max_value: Any = None) -> ParamDef:
    definition = ParamDef(key, name, value_type, default, remark, min_value, max_value)
    PARAMETERS[key] = definition
    return definition


_TRUE = {"true", "1", "yes", "y", "on", "是", "真"}
_FALSE = {"false", "0", "no", "n", "off", "否", "假"}


def parse_value(value_type: str, text: Any) -> Any:
    """The typed value of ``text``; a ``ValidationError`` on ``value`` saying what is expected."""
    raw = "" if text is None else str(text).strip()
    try:
        if value_type == "int":
            if not raw.lstrip("-").isdigit():
                raise ValueError
            return int(raw)
        if value_type == "decimal":
            number = Decimal(raw)
            if not number.is_finite():
                raise ValueError
            return number
        if value_type == "bool":
            low = raw.lower()
            if low in _TRUE:
                return True
            if low in _FALSE:
                return False
            raise ValueError
        if value_type == "date":
            return dt.date.fromisoformat(raw)
        return raw
    except (ValueError, InvalidOperation):
        messages = {
            "int": _("Enter a whole number, e.g. 5."),
            "decimal": _("Enter a number, e.g. 12.5."),
            "bool": _("Enter true or false."),
            "date": _("Enter a date as YYYY-MM-DD, e.g. 2026-01-31."),
        }
        raise ValidationError({"value": messages[value_type]}, code="invalid") from None


def format_value(value_type: str, value: Any) -> str:
    if value_type == "bool":
        return "true" if value else "false"
    if value_type == "date" and isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None else str(value)


def check_bounds(definition: ParamDef | None, value: Any) -> None:
    if definition is None:
        return
    if definition.min_value is not None and value < definition.min_value:
        raise ValidationError({"value": _("The value must be at least %(min)s.") % {"min": definition.min_value}})
    if definition.max_value is not None and value > definition.max_value:
        raise ValidationError({"value": _("The value must be at most %(max)s.") % {"max": definition.max_value}})


# The parameters of the platform's rules (REQUIREMENTS.md), with their defaults.
for _key, _name, _type, _default, _remark, _min, _max in [
    ("assessment.lock_first_day", "考核配置锁定期开始日", "int", 1,
     "每月此日起不能新增或修改原子指标、考核指标、考核模板和模板分配（R-ASM-5）", 1, 28),
    ("assessment.lock_last_day", "考核配置锁定期结束日", "int", 5, "锁定期的最后一天（含，R-ASM-5）", 1, 28),
    ("assessment.compute_day", "考核计算日", "int", 7, "每月此日自动计算上月考核结果（R-ASM-3）", 1, 28),
    ("assessment.adjust_first_day", "考核分数调整开始日", "int", 1, "主管调整上月总分的第一天（R-ASM-6）", 1, 28),
    ("assessment.adjust_last_day", "考核分数调整截止日", "int", 15, "主管调整上月总分的最后一天（含，R-ASM-6）", 1, 28),
    ("security.login_failure_limit", "登录失败锁定次数", "int", 5, "连续失败达到此次数后锁定账号（R-AUTH-1）", 1, 100),
    ("security.lockout_minutes", "登录锁定时长（分钟）", "int", 15, "账号锁定后多久可以再次登录", 1, 1440),
    ("security.session_minutes", "会话超时（分钟）", "int", 120, "无操作超过此时长后需重新登录（R-AUTH-1）", 5, 1440),
    ("security.password_min_length", "密码最小长度", "int", 8, "新密码的最少字符数", 6, 64),
    ("security.initial_password_change", "首次登录强制修改密码", "bool", True, "初始密码为一次性密码（R-AUTH-1）",
     None, None),
    ("revenue.entry_months_back", "用邮逐笔录入可追溯月数", "int", 1, "录入日期不早于几个月前的月初（R-REV-1）", 0, 12),
    ("kpi.max_focus_indicators", "客户关注指标上限", "int", 5, "每个客户每年最多的关注指标数（R-KPI-1）", 1, 20),
    ("sharing.file_description_max", "文件说明最大长度", "int", 1000, "文件传送的说明字数上限（R-FILE-2）", 1, 10000),
    ("sharing.forbidden_extensions", "禁止上传的文件类型", "str",
     "exe,bat,cmd,com,msi,scr,ps1,vbs,js,sh,htm,html,jsp,php,asp,aspx", "逗号分隔的扩展名（R-FILE-2）", None, None),
    ("log.retention_days", "日志保留天数", "int", 180, "清理操作日志和登录日志时保留的天数", 1, 3650),
    ("system.name", "系统名称", "str", "客户经理工作平台", "显示在页面标题和登录页", None, None),
]:
    register_parameter(_key, _name, _type, _default, _remark, min_value=_min, max_value=_max)
