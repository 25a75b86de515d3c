"""Demo step of the org app: the organisation tree, users of every role, supervisors."""

from __future__ import annotations

from django.contrib.auth.hashers import make_password

from kam.core.demo import DemoContext

from .models import PATH_STEP, BusinessLine, OrgKind, OrgLevel, OrgUnit, Role, User

# One demo account per shipped role (role code -> account).
DEMO_ACCOUNTS = {
    "admin": "admin",
    "account_manager": "manager",
    "supervisor": "supervisor",
    "reviewer_county": "county_reviewer",
    "reviewer_bureau": "bureau_reviewer",
    "reviewer_city": "city_reviewer",
    "reviewer_province": "province_reviewer",
    "leader": "leader",
}

DEMO_CITIES = {
    "武汉市": ["江岸区", "江汉区", "武昌区", "洪山区"],
    "宜昌市": ["西陵区", "伍家岗区", "夷陵区"],
    "襄阳市": ["襄城区", "樊城区", "枣阳市"],
}
PROVINCE_CITIES = [
    "武汉市", "宜昌市", "襄阳市", "荆州市", "黄石市", "十堰市", "孝感市", "荆门市", "鄂州市", "黄冈市",
    "咸宁市", "随州市",
]
COUNTY_SUFFIX = ["区", "县", "市"]
COUNTY_WORDS = "东西南北中江河山湖城新安平阳兴宁远华丰清云龙泉石桥林"


class _Builder:
    """Bulk-creates org units, then fixes their materialised paths in one pass."""

    def __init__(self) -> None:
        self.units: list[OrgUnit] = []

    def add(self, name: str, code: str, parent: OrgUnit | None, kind: str = OrgKind.REGION, level: str = "",
            **kw) -> OrgUnit:
        unit = OrgUnit(name=name, code=code, parent=parent, kind=kind, level=level, **kw)
        self.units.append(unit)
        return unit

    def save(self) -> None:
        # Parents come before children in self.units, so one bulk insert per depth keeps FKs valid.
        pending = list(self.units)
        # Setting parent_id below drops Django's cached parent object; keep the in-memory parents
        # so the paths are built from them, not from fresh copies read back from the database.
        parents = {id(u): u.parent for u in self.units}
        saved: set[int] = set()
        while pending:
            batch = [u for u in pending if u.parent is None or id(u.parent) in saved]
            for u in batch:
                u.parent_id = u.parent.pk if u.parent is not None else None
            OrgUnit.objects.bulk_create(batch, batch_size=2000)
            saved |= {id(u) for u in batch}
            pending = [u for u in pending if id(u) not in saved]
        for u in self.units:
            parent = parents[id(u)]
            u.path = (parent.path if parent is not None else "") + u.segment()
            u.depth = len(u.path) // PATH_STEP - 1
        OrgUnit.objects.bulk_update(self.units, ["path", "depth"], batch_size=2000)


def org_demo(ctx: DemoContext) -> None:
    rng = ctx.rng
    lines = list(BusinessLine.objects.order_by("sort_order"))
    roles = {r.code: r for r in Role.objects.all()}
    b = _Builder()
    province = b.add("湖北省", "42", None, level=OrgLevel.PROVINCE)
    prov_centre = b.add("省大客户中心", "42-KA", province, kind=OrgKind.DEPARTMENT, is_key_account_centre=True)
    if ctx.size == "demo":
        cities = DEMO_CITIES
    else:
        cities = {}
        for city in PROVINCE_CITIES[:10]:
            names = set()
            while len(names) < 10:
                names.add(rng.choice(COUNTY_WORDS) + rng.choice(COUNTY_WORDS) + rng.choice(COUNTY_SUFFIX))
            cities[city] = sorted(names)
    city_units, county_units, bureaus = [], [], []
    for ci, (city, counties) in enumerate(cities.items(), start=1):
        c = b.add(city, f"42{ci:02d}", province, level=OrgLevel.CITY)
        centre = b.add(f"{city[:-1]}大客户中心", f"42{ci:02d}-KA", c, kind=OrgKind.DEPARTMENT,
                       is_key_account_centre=True)
        city_bureaus = []
        for li, line in enumerate(lines[:2]):
            city_bureaus.append(b.add(f"{city[:-1]}{line.name}局", f"42{ci:02d}-B{li}", c,
                                      kind=OrgKind.DEPARTMENT, business_line=line))
        city_units.append((c, centre, city_bureaus))
        for ki, county in enumerate(counties, start=1):
            k = b.add(county, f"42{ci:02d}{ki:02d}", c, level=OrgLevel.COUNTY)
            kc = b.add(f"{county}大客户中心", f"42{ci:02d}{ki:02d}-KA", k, kind=OrgKind.DEPARTMENT,
                       is_key_account_centre=True)
            sec = b.add("营销一室", f"42{ci:02d}{ki:02d}-S1", kc, kind=OrgKind.SECTION)
            county_units.append((k, kc, sec))
        bureaus.extend(city_bureaus)
    b.save()

    password = make_password(ctx.password)
    users: list[User] = []
    user_roles: list[tuple[User, str]] = []
    counter = [0]

    def add_user(unit: OrgUnit, role: str, username: str | None = None, superior: User | None = None) -> User:
        counter[0] += 1
        u = User(username=username or f"u{counter[0]:06d}", name=ctx.person_name(), org_unit=unit,
                 password=password, must_change_password=False, superior=superior,
                 phone=f"13{rng.randint(100000000, 999999999)}", is_staff=(role == "admin"))
        users.append(u)
        user_roles.append((u, role))
        return u

    accounts = dict(DEMO_ACCOUNTS)
    admin = add_user(province, "admin", accounts.pop("admin"))
    add_user(province, "leader", accounts.pop("leader"))
    add_user(prov_centre, "reviewer_province", accounts.pop("reviewer_province"))
    first_city, first_centre, first_bureaus = city_units[0]
    add_user(first_centre, "reviewer_city", accounts.pop("reviewer_city"))
    add_user(first_bureaus[0], "reviewer_bureau", accounts.pop("reviewer_bureau"))
    k0, kc0, sec0 = county_units[0]
    add_user(kc0, "reviewer_county", accounts.pop("reviewer_county"))
    boss = add_user(kc0, "supervisor", accounts.pop("supervisor"))
    add_user(sec0, "account_manager", accounts.pop("account_manager"), superior=boss)

    per_county = 4 if ctx.size == "demo" else 98
    for c, centre, city_bureaus in city_units:
        add_user(c, "leader")
        add_user(centre, "reviewer_city")
        for bu in city_bureaus:
            add_user(bu, "reviewer_bureau")
    for _k, kc, sec in county_units:
        add_user(kc, "reviewer_county")
        sup = boss if kc is kc0 else add_user(kc, "supervisor")
        for _ in range(per_county - (3 if kc is kc0 else 0)):
            add_user(sec, "account_manager", superior=sup)
    heads = [u for u in users if u.superior is None]
    User.objects.bulk_create(heads, batch_size=2000)
    rest = [u for u in users if u.superior is not None]
    for u in rest:
        u.superior_id = u.superior.pk
    User.objects.bulk_create(rest, batch_size=2000)
    through = User.roles.through
    through.objects.bulk_create(
        [through(user_id=u.pk, role_id=roles[r].pk) for u, r in user_roles], batch_size=5000
    )
    ctx.data.update(province=province, cities=city_units, counties=county_units, admin=admin,
                    managers=[u for u, r in user_roles if r == "account_manager"])
    for role_code, account in DEMO_ACCOUNTS.items():
        ctx.logins.append((account, roles[role_code].name, ""))
