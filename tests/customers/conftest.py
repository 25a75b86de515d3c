"""A customer world on top of the permission world (tests/helpers/world.py):

    某省 (province)                         rev_province
    ├── 甲市 (city A)                       city_a
    │   ├── 甲市大客户中心 (centre)          rev_city
    │   ├── 甲市函件局 (bureau, 函件)        bureau_mgr, rev_bureau
    │   ├── 甲市包裹局 (bureau, 包裹)        rev_bureau_parcels
    │   ├── 一区 (county 1)                 me, peer, rev_county
    │   │   └── 营销部                       dept
    │   └── 二区 (county 2)                 sub, rev_county_2
    └── 乙市 (city B)                       rev_city_b
        └── 三县 (county 3)                 other
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from kam.customers import services
from kam.customers.models import NumberSegment
from kam.managers import services as manager_services
from kam.org import services as org_services
from kam.org.models import BusinessLine, OrgKind, Role, User
from kam.org.permissions import clear_cache
from tests.helpers.world import World, make_user


@dataclass
class CustomerWorld:
    world: World
    users: dict[str, User] = field(default_factory=dict)
    units: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, BusinessLine] = field(default_factory=dict)
    segment: NumberSegment | None = None

    def __getitem__(self, name: str) -> User:
        if name in self.users:
            return self.users[name]
        return self.world.user(name)

    def unit(self, name: str):
        return self.units.get(name) or self.world.unit(name)


def give_role(user: User, code: str) -> User:
    user.roles.add(Role.objects.get(code=code))
    clear_cache(user)
    for attr in ("_kam_role_codes", "_kam_review_qs"):
        if hasattr(user, attr):
            delattr(user, attr)
    return user


def make_manager(user: User, no: str) -> User:
    manager_services.manager_create(user=user, employee_no=no)
    give_role(user, "account_manager")
    return user


@pytest.fixture
def cw(world) -> CustomerWorld:
    w = CustomerWorld(world)
    w.lines = {"letters": BusinessLine.objects.get(code="letters"), "parcels": BusinessLine.objects.get(code="parcels")}
    city_a = world.unit("city_a")
    mk = org_services.org_unit_create
    w.units["centre"] = mk(name="甲市大客户中心", code="CA-KA", parent=city_a, kind=OrgKind.DEPARTMENT,
                           is_key_account_centre=True)
    w.units["bureau"] = mk(name="甲市函件局", code="CA-B1", parent=city_a, kind=OrgKind.DEPARTMENT,
                           business_line=w.lines["letters"])
    w.units["bureau_parcels"] = mk(name="甲市包裹局", code="CA-B2", parent=city_a, kind=OrgKind.DEPARTMENT,
                                   business_line=w.lines["parcels"])
    for i, label in enumerate(("me", "peer", "dept", "sub", "other"), start=1):
        make_manager(world.user(label), f"E{i:03d}")
    w.users["bureau_mgr"] = make_manager(make_user("bureau_mgr", w.units["bureau"]), "E100")
    reviewers = {
        "rev_county": ("county_1", "reviewer_county"),
        "rev_county_2": ("county_2", "reviewer_county"),
        "rev_bureau": ("bureau", "reviewer_bureau"),
        "rev_bureau_parcels": ("bureau_parcels", "reviewer_bureau"),
        "rev_city": ("centre", "reviewer_city"),
        "rev_city_b": ("city_b", "reviewer_city"),
        "rev_province": ("province", "reviewer_province"),
    }
    for name, (unit, role) in reviewers.items():
        w.users[name] = give_role(make_user(name, w.unit(unit)), role)
    w.segment = NumberSegment.objects.create(org_unit=city_a, prefix="4201", start=1, end=999, next_value=1)
    return w


def relationship(cw: CustomerWorld, manager: str = "me", department: str = "county_1", **extra) -> dict:
    return {
        "department": cw.unit(department).pk, "manager": cw[manager].pk, "contact_name": "张经理",
        "contact_title": "办公室主任", "contact_phone": "027-88886666", "contact_email": "zhang@example.com",
        "business_lines": [cw.lines["letters"].pk], **extra,
    }


def customer_data(cw: CustomerWorld, name: str = "武汉长江物流有限公司", county: str = "county_2", **extra) -> dict:
    return {"name": name, "short_name": name[:4], "industry": "logistics", "level": "gold",
            "county": cw.unit(county).pk, "address": "某路1号", "phone": "027-12345678", **extra}


def submit(cw: CustomerWorld, applicant: str = "me", **kw):
    manager = kw.pop("manager", applicant)
    department = kw.pop("department", None) or _dept_label(cw, manager)
    rel = relationship(cw, manager=manager, department=department)
    if "customer" in kw:
        return services.registration_submit(user=cw[applicant], customer=kw["customer"], relationship_data=rel)
    return services.registration_submit(user=cw[applicant], customer_data=customer_data(cw, **kw),
                                        relationship_data=rel)


def _dept_label(cw: CustomerWorld, manager: str) -> str:
    unit = cw[manager].org_unit
    for label, u in {**cw.world.units, **cw.units}.items():
        if u.pk == unit.pk:
            return label
    raise KeyError(unit)


def approve_all(cw: CustomerWorld, registration, *reviewers: str):
    for name in reviewers:
        registration = services.registration_approve(user=cw[name], registration=registration, opinion="同意")
    return registration
