"""Built-in dictionaries and parameters, written after every migration.

Idempotent: only what is missing is added; nothing an administrator changed is overwritten.
Labels are data in the deployment's language (Chinese).
"""

from __future__ import annotations

from .models import DictType, DictValue, Parameter
from .params import PARAMETERS, format_value

# code, name, remark, [(value, label, tag colour, is_default)]
BUILTIN_DICTS: list[tuple[str, str, str, list[tuple[str, str, str, bool]]]] = [
    ("customer_level", "客户级别", "总部客户自动为钻石级客户（R-CUST-1）", [
        ("diamond", "钻石级客户", "danger", False),
        ("gold", "金牌客户", "warning", False),
        ("silver", "银牌客户", "info", False),
        ("normal", "普通客户", "secondary", True),
    ]),
    ("industry", "行业", "客户所属行业", [
        ("government", "党政机关", "primary", False),
        ("finance", "金融保险", "primary", False),
        ("manufacturing", "制造业", "primary", False),
        ("retail", "批发零售", "primary", False),
        ("logistics", "交通物流", "primary", False),
        ("ecommerce", "电子商务", "primary", False),
        ("education", "教育", "primary", False),
        ("health", "医疗卫生", "primary", False),
        ("energy", "能源电力", "primary", False),
        ("construction", "建筑房地产", "primary", False),
        ("it", "信息技术", "primary", False),
        ("media", "文化传媒", "primary", False),
        ("agriculture", "农林牧渔", "primary", False),
        ("hospitality", "住宿餐饮", "primary", False),
        ("other", "其他行业", "secondary", True),
    ]),
    ("customer_status", "客户状态", "", [
        ("active", "正常", "success", True),
        ("potential", "潜在", "info", False),
        ("dormant", "休眠", "warning", False),
        ("lost", "流失", "danger", False),
        ("cancelled", "注销", "dark", False),
    ]),
    ("yes_no", "是否", "", [
        ("Y", "是", "primary", False),
        ("N", "否", "danger", True),
    ]),
    ("gender", "性别", "", [
        ("M", "男", "primary", False),
        ("F", "女", "danger", False),
        ("U", "未知", "secondary", True),
    ]),
    ("enabled_status", "启用状态", "", [
        ("enabled", "正常", "success", True),
        ("disabled", "停用", "danger", False),
    ]),
    ("notice_kind", "公告类型", "", [
        ("notice", "通知", "warning", True),
        ("announcement", "公告", "success", False),
    ]),
    ("complaint_kind", "投诉建议类型", "", [
        ("complaint", "投诉", "danger", True),
        ("suggestion", "建议", "info", False),
    ]),
    ("access_content", "资料调取内容", "客户资料调取申请的内容（R-CUST-5）", [
        ("basic", "基本信息", "info", True),
        ("business", "业务信息", "primary", False),
        ("all", "全部信息", "warning", False),
    ]),
    ("settlement_type", "结算方式", "合同的结算方式（R-CON-1）", [
        ("on_date", "指定日期结算型", "primary", True),
        ("periodic", "定期结算型", "info", False),
        ("instalments", "指定日期分期付款型", "warning", False),
        ("one_off", "一次付款型", "success", False),
    ]),
    ("contract_kind", "合同类型", "", [
        ("contract", "合同", "primary", True),
        ("agreement", "协议", "info", False),
    ]),
    ("work_channel", "工作方式", "", [
        ("call", "外呼", "primary", True),
        ("visit", "走访", "success", False),
    ]),
    ("work_source", "工作来源", "", [
        ("task", "任务生成", "primary", False),
        ("manual", "手工制定", "info", True),
    ]),
    ("visit_frequency", "拜访频次", "客户经理维护客户的拜访频次", [
        ("weekly", "每周", "danger", False),
        ("biweekly", "每两周", "warning", False),
        ("monthly", "每月", "primary", True),
        ("quarterly", "每季度", "info", False),
        ("yearly", "每年", "secondary", False),
    ]),
    ("revenue_source", "录入方式", "", [
        ("manual", "逐笔录入", "primary", True),
        ("import", "批量导入", "info", False),
    ]),
    ("cost_category", "成本类别", "", [
        ("marketing", "营销成本", "primary", True),
        ("sales", "销售成本", "success", False),
        ("service", "客户服务成本", "info", False),
    ]),
    ("opportunity_stage", "商机阶段", "销售跟踪项目的阶段", [
        ("lead", "初步接触", "secondary", True),
        ("qualified", "需求确认", "info", False),
        ("proposal", "方案报价", "primary", False),
        ("negotiation", "商务谈判", "warning", False),
        ("won", "签约成功", "success", False),
        ("lost", "丢单", "danger", False),
    ]),
    ("subject_type", "考核对象类型", "", [
        ("employee", "员工", "primary", True),
        ("section", "室", "info", False),
        ("department", "部门", "success", False),
    ]),
    ("operation_action", "操作类型", "操作日志的业务类型", [
        ("create", "新增", "info", False),
        ("update", "修改", "info", False),
        ("delete", "删除", "danger", False),
        ("grant", "授权", "primary", False),
        ("export", "导出", "warning", False),
        ("import", "导入", "warning", False),
        ("force_logout", "强退", "danger", False),
        ("other", "其他", "secondary", True),
    ]),
    ("common_result", "结果", "操作日志和登录日志的结果", [
        ("success", "成功", "success", True),
        ("failure", "失败", "danger", False),
        ("locked", "锁定", "dark", False),
    ]),
]


def ensure_defaults() -> None:
    types = {t.code: t for t in DictType.objects.all()}
    existing = set(DictValue.objects.values_list("dict_type__code", "value"))
    with_default = set(DictValue.objects.filter(is_default=True).values_list("dict_type__code", flat=True))
    new_values = []
    for code, name, remark, values in BUILTIN_DICTS:
        dict_type = types.get(code)
        if dict_type is None:
            dict_type = DictType.objects.create(code=code, name=name, remark=remark, builtin=True)
        for i, (value, label, colour, is_default) in enumerate(values):
            if (code, value) in existing:
                continue
            default = is_default and code not in with_default
            if default:
                with_default.add(code)
            new_values.append(DictValue(dict_type=dict_type, value=value, label=label, tag_colour=colour,
                                        is_default=default, sort_order=(i + 1) * 10))
    DictValue.objects.bulk_create(new_values)

    known = set(Parameter.objects.values_list("key", flat=True))
    Parameter.objects.bulk_create(
        Parameter(key=d.key, name=d.name, value=format_value(d.value_type, d.default), value_type=d.value_type,
                  remark=d.remark, builtin=True)
        for d in PARAMETERS.values() if d.key not in known
    )
