"""A small org world for permission tests.

    省 (province)
    ├── 甲市 (city A)                  user city_a
    │   ├── 一区 (county 1)            users me, peer
    │   │   └── 营销部 (department)     user dept
    │   └── 二区 (county 2)            user sub (superior: me)
    └── 乙市 (city B)
        └── 三县 (county 3)            user other
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from kam.core import clock
from kam.org import services
from kam.org.models import DataScope, OrgKind, OrgLevel, OrgUnit, Role, User

PASSWORD = "Test@pass-2026"


@dataclass
class World:
    units: dict[str, OrgUnit] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)

    def unit(self, name: str) -> OrgUnit:
        return self.units[name]

    def user(self, name: str) -> User:
        return self.users[name]


def make_user(username: str, unit: OrgUnit, *, superior: User | None = None, roles=(), **kw) -> User:
    return services.user_create(
        username=username, name=username, org_unit=unit, password=PASSWORD, roles=roles,
        superior=superior, must_change_password=kw.pop("must_change_password", False), **kw,
    )


def build_world() -> World:
    w = World()
    mk = services.org_unit_create
    w.units["province"] = mk(name="某省", code="P", parent=None, level=OrgLevel.PROVINCE)
    w.units["city_a"] = mk(name="甲市", code="CA", parent=w.units["province"], level=OrgLevel.CITY)
    w.units["city_b"] = mk(name="乙市", code="CB", parent=w.units["province"], level=OrgLevel.CITY)
    w.units["county_1"] = mk(name="一区", code="K1", parent=w.units["city_a"], level=OrgLevel.COUNTY)
    w.units["county_2"] = mk(name="二区", code="K2", parent=w.units["city_a"], level=OrgLevel.COUNTY)
    w.units["county_3"] = mk(name="三县", code="K3", parent=w.units["city_b"], level=OrgLevel.COUNTY)
    w.units["dept"] = mk(name="营销部", code="K1D", parent=w.units["county_1"], kind=OrgKind.DEPARTMENT)
    w.users["city_a"] = make_user("city_a", w.units["city_a"])
    w.users["me"] = make_user("me", w.units["county_1"])
    w.users["peer"] = make_user("peer", w.units["county_1"])
    w.users["dept"] = make_user("dept", w.units["dept"])
    w.users["sub"] = make_user("sub", w.units["county_2"], superior=w.users["me"])
    w.users["other"] = make_user("other", w.units["county_3"])
    return w


def grant_role(user: User, module: str, scope: str, *, actions=("view", "change", "analyse"),
               custom_units=(), valid_from: dt.date | None = None, valid_to: dt.date | None = None,
               code: str | None = None) -> Role:
    """Give ``user`` a fresh role holding one grant on ``module``."""
    code = code or f"r{Role.objects.count() + 1}"
    role = Role.objects.create(code=code, name=code)
    services.grant_set(
        role=role, module=module, scope=scope, can_view="view" in actions, can_change="change" in actions,
        can_analyse="analyse" in actions, custom_units=custom_units, valid_from=valid_from, valid_to=valid_to,
    )
    user.roles.add(role)
    return role


def yesterday() -> dt.date:
    return clock.today() - dt.timedelta(days=1)


ALL_SCOPES = [s.value for s in DataScope]
