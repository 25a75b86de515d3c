"""Built-in roles, their default grants and the postal business-line catalogue.

Idempotent: run after every migration; it only adds what is missing and never overrides what an
administrator changed.
"""

from __future__ import annotations

from kam.core.registry import MODULES

from .models import BusinessLine, Grant, Role

# Role names are data (shown as entered), in the deployment's language.
BUILTIN_ROLES = [
    ("account_manager", "客户经理", 10),
    ("supervisor", "客户经理主管", 20),
    ("reviewer_county", "区县大客户中心审核员", 30),
    ("reviewer_bureau", "市局专业局审核员", 40),
    ("reviewer_city", "市大客户中心审核员", 50),
    ("reviewer_province", "省大客户中心审核员", 60),
    ("leader", "领导", 70),
    ("admin", "系统管理员", 80),
]

# Postal default business lines (专业类型).
POSTAL_LINES = [
    ("letters", "函件"), ("press", "报刊"), ("philately", "集邮"), ("parcels", "包裹"),
    ("express", "速递"), ("logistics", "物流"), ("information", "信息"), ("finance", "金融"),
    ("confidential", "机要"), ("other", "其他"),
]


def ensure_defaults() -> None:
    roles = {}
    for code, name, order in BUILTIN_ROLES:
        role, created = Role.objects.get_or_create(
            code=code, defaults={"name": str(name), "builtin": True, "sort_order": order}
        )
        roles[code] = (role, created)
    existing = set(Grant.objects.values_list("role__code", "module"))
    for module in MODULES.values():
        for role_code, (actions, scope) in module.defaults.items():
            if role_code not in roles or (role_code, module.code) in existing:
                continue
            Grant.objects.create(
                role=roles[role_code][0], module=module.code, scope=scope,
                can_view="view" in actions, can_change="change" in actions,
                can_analyse="analyse" in actions,
            )
    if not BusinessLine.objects.exists():
        BusinessLine.objects.bulk_create(
            BusinessLine(code=code, name=name, sort_order=i * 10) for i, (code, name) in enumerate(POSTAL_LINES)
        )
