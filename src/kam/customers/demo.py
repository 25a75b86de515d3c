"""Demo step of the customers app (order 30): number segments per city, realistic customers of
the demo cities with business relationships and contacts, registrations at every stage and
data-access requests (their approvals run on the process engine). The province size adds a million
customers through multi-row ``INSERT``s.
"""

from __future__ import annotations

import os
from typing import Any

from django.core.management.color import no_style
from django.db import connection
from django.db.models import Max

from kam.core import clock
from kam.core.demo import DemoContext
from kam.org.models import BusinessLine, OrgUnit, User

from . import selectors, services
from .models import Contact, Customer, NumberSegment, Relationship

BRANDS = ("长江", "汉江", "楚天", "光谷", "东湖", "黄鹤", "晴川", "江城", "荆楚", "三峡", "隆中", "金桥", "华中",
          "鼎盛", "恒达", "宏图", "卓越", "瑞丰", "万通", "中南", "九州", "天元", "新业", "博远")
KINDS = (  # industry code, business words, suffix
    ("logistics", "物流", "有限公司"), ("logistics", "供应链管理", "有限公司"),
    ("ecommerce", "电子商务", "有限公司"), ("ecommerce", "网络科技", "有限公司"),
    ("manufacturing", "机械制造", "股份有限公司"), ("manufacturing", "汽车零部件", "有限公司"),
    ("retail", "商贸", "有限公司"), ("retail", "百货", "有限责任公司"),
    ("finance", "保险代理", "有限公司"), ("health", "医药连锁", "有限公司"),
    ("education", "职业培训学校", ""), ("it", "信息技术", "有限公司"), ("media", "文化传媒", "有限公司"),
    ("energy", "能源", "有限公司"), ("construction", "建设工程", "有限公司"), ("hospitality", "酒店管理", "有限公司"),
)
ROADS = ("解放大道", "中山大道", "建设大道", "珞喻路", "雄楚大道", "发展大道", "东风大道", "胜利街", "沿江大道",
         "人民路", "长江路", "春晖路")
TITLES = ("办公室主任", "行政经理", "采购经理", "总经理助理", "财务主管", "物流部经理")


def _name(rng, city: OrgUnit, used: set[str]) -> tuple[str, str]:
    while True:
        industry, words, suffix = rng.choice(KINDS)
        name = f"{city.name.removesuffix('市')}{rng.choice(BRANDS)}{words}{suffix}"
        if name not in used:
            used.add(name)
            return name, industry


def _phone(rng) -> str:
    return f"0{rng.randint(710, 728)}-{rng.randint(80000000, 89999999)}"


def _mobile(rng) -> str:
    return f"1{rng.choice('3589')}{rng.randint(100000000, 999999999)}"


def customers_demo(ctx: DemoContext) -> None:
    if Customer.objects.exists() or not ctx.data.get("cities"):
        return
    lines = list(BusinessLine.objects.filter(enabled=True).order_by("sort_order"))
    segments = {}
    for city, _centre, _bureaus in ctx.data["cities"]:
        segments[city.pk] = NumberSegment.objects.create(org_unit=city, prefix=city.code, start=1, end=999999,
                                                         next_value=1)
    counties = ctx.data["counties"]
    managers_by_section: dict[int, list[int]] = {}
    holders = User.objects.filter(roles__code="account_manager", manager_profile__isnull=False)
    for user_id, unit_id in holders.values_list("pk", "org_unit_id"):
        managers_by_section.setdefault(unit_id, []).append(user_id)
    used: set[str] = set()
    _demo_customers(ctx, counties, segments, managers_by_section, lines, used)
    _demo_registrations(ctx, counties, lines, used)
    if ctx.size == "province":
        _bulk_customers(ctx, counties, segments, managers_by_section, lines,
                        int(os.environ.get("KAM_DEMO_CUSTOMERS", 1_000_000)))


def _issue(segment: NumberSegment) -> str:
    number = segment.format(segment.next_value)
    segment.next_value += 1
    return number


def _demo_customers(ctx: DemoContext, counties, segments, managers_by_section, lines, used) -> None:
    rng = ctx.rng
    per_county = 4 if ctx.size == "demo" else 2
    for county, kc, section in counties:
        city = county.parent
        managers = managers_by_section.get(section.pk, [])
        if not managers:
            continue
        for n in range(per_county):
            name, industry = _name(rng, city, used)
            hq = rng.random() < 0.15
            customer = Customer.objects.create(
                name=name, name_key=selectors.normalise_name(name), short_name=name[2:8], industry=industry,
                level="diamond" if hq else rng.choice(("gold", "silver", "normal", "normal")), is_headquarters=hq,
                city=city, county=county, address=f"{city.name}{county.name}{rng.choice(ROADS)}{rng.randint(1, 999)}号",
                phone=_phone(rng), status="active", key_number=_issue(segments[city.pk]), org_unit=section,
                created_at=clock.now(),
            )
            contacts = [Contact.objects.create(customer=customer, name=ctx.person_name(), title=rng.choice(TITLES),
                                               phone=_mobile(rng)) for _ in range(rng.randint(1, 2))]
            # The demo manager (first manager of the first section) looks after the first customers.
            manager = managers[0] if n < 2 else rng.choice(managers)
            rel = Relationship.objects.create(
                customer=customer, department=kc, manager_id=manager, contact=contacts[0],
                contact_name=contacts[0].name, contact_title=contacts[0].title, contact_phone=contacts[0].phone,
            )
            rel.business_lines.set(rng.sample(lines, k=min(len(lines), rng.randint(1, 3))))
    for segment in segments.values():
        segment.save(update_fields=["next_value"])


def _demo_registrations(ctx: DemoContext, counties, lines, used) -> None:
    """Registrations of the demo manager at every stage, through the services."""
    rng = ctx.rng
    try:
        manager = User.objects.get(username="manager")
        county_reviewer = User.objects.get(username="county_reviewer")
        city_reviewer = User.objects.get(username="city_reviewer")
    except User.DoesNotExist:
        return
    county, kc, _section = counties[0]
    city = county.parent
    other_counties = [k for k, _kc, _s in counties if k.parent_id == city.pk]
    if connection.vendor == "postgresql":  # the org step's rows may be unanalysed yet: the approvers'
        with connection.cursor() as cursor:  # lookups would be planned for empty tables
            cursor.execute("ANALYZE org_orgunit, org_user, org_user_roles, org_role")

    def apply(**extra: Any):
        name, industry = _name(rng, city, used)
        return services.registration_submit(
            user=manager,
            customer_data={"name": name, "short_name": name[2:8], "industry": industry, "level": "normal",
                           "county": rng.choice(other_counties).pk,
                           "address": f"{city.name}{rng.choice(ROADS)}{rng.randint(1, 999)}号", "phone": _phone(rng),
                           **extra},
            relationship_data={"department": kc.pk, "manager": manager.pk, "contact_name": ctx.person_name(),
                               "contact_title": rng.choice(TITLES), "contact_phone": _mobile(rng),
                               "business_lines": [b.pk for b in rng.sample(lines, k=2)]},
        )

    apply()
    apply(is_headquarters=True)
    services.registration_approve(user=county_reviewer, registration=apply(), opinion="资料齐全，同意")
    services.registration_take(user=city_reviewer, registration=apply(), opinion="重点客户，直接初审")
    reg = services.registration_approve(user=county_reviewer, registration=apply(), opinion="同意")
    services.registration_approve(user=city_reviewer, registration=reg, opinion="同意上报终审")
    reg = services.registration_approve(user=county_reviewer, registration=apply(), opinion="同意")
    reg = services.registration_approve(user=city_reviewer, registration=reg, opinion="同意")
    services.registration_approve(user=city_reviewer, registration=reg, opinion="审批通过，赋码")
    services.registration_reject(user=county_reviewer, registration=apply(), reason="客户地址与营业执照不符，请核实")
    services.registration_reject(user=county_reviewer, registration=apply(), reason="客户暂无合作意向", failed=True)
    # Data-access requests of the demo manager: one approved with less than asked, one pending.
    others = list(Customer.objects.filter(city=city).exclude(relationships__manager=manager)[:2])
    if len(others) == 2:
        granted = services.access_request_create(user=manager, customer=others[0], content="all",
                                                 reason="拟开展速递业务合作，需了解客户情况")
        services.access_request_approve(user=city_reviewer, request=granted, granted_content="basic",
                                        opinion="仅开放基本信息")
        services.access_request_create(user=manager, customer=others[1], content="business",
                                       reason="协同营销，需了解现有业务关系")


def _insert(model, columns: list[str], rows: list[tuple]) -> None:
    """A parameterised multi-row INSERT: the province size is too large for ``bulk_create``'s
    per-field preparation to finish in minutes."""
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    cols = ", ".join(qn(model._meta.get_field(c).column) for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)  # noqa: S608 - names from _meta


def _next_id(model) -> int:
    return (model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1


def _bulk_customers(ctx: DemoContext, counties, segments, managers_by_section, lines, total: int) -> None:
    """A province's scale: ``total`` customers with one relationship (one business line) and one
    contact each, written in batches."""
    rng = ctx.rng
    per_county = max(1, -(-total // max(1, len(counties))))
    batch = 20000
    through = Relationship.business_lines.through
    line_ids = [b.pk for b in lines]
    stamp = connection.ops.adapt_datetimefield_value(clock.now())
    for segment in segments.values():  # the registrations issued numbers meanwhile
        segment.refresh_from_db()
    ids = {m: _next_id(m) for m in (Customer, Contact, Relationship)}
    levels = ("gold", "silver", "normal", "normal", "normal")
    surnames = [ctx.person_name() for _ in range(500)]
    made = 0
    for county, kc, section in counties:
        managers = managers_by_section.get(section.pk)
        if not managers or made >= total:
            continue
        city = county.parent
        segment = segments[city.pk]
        city_word = city.name.removesuffix("市")
        todo = min(per_county, total - made)
        while todo > 0:
            size = min(batch, todo)
            customers, contacts, rels, links = [], [], [], []
            for _ in range(size):
                cid, pid, rid = ids[Customer], ids[Contact], ids[Relationship]
                ids[Customer], ids[Contact], ids[Relationship] = cid + 1, pid + 1, rid + 1
                industry, words, suffix = KINDS[rng.randrange(len(KINDS))]
                key = f"{city_word}{BRANDS[rng.randrange(len(BRANDS))]}{words}{segment.next_value}"
                person = surnames[rng.randrange(500)]
                phone = f"1{rng.choice('3589')}{rng.randint(100000000, 999999999)}"
                customers.append((cid, key + suffix, key.lower(), "", industry, levels[rng.randrange(5)], False,
                                  city.pk, county.pk, f"{county.name}{ROADS[rng.randrange(len(ROADS))]}"
                                  f"{rng.randint(1, 999)}号", "", "", "active", _issue(segment), section.pk, stamp,
                                  stamp))
                contacts.append((pid, cid, person, "", phone, "", stamp))
                rels.append((rid, cid, kc.pk, managers[rng.randrange(len(managers))], pid, person, "", phone, "",
                             stamp))
                links.append((rid, line_ids[rng.randrange(len(line_ids))]))
            _insert(Customer, ["id", "name", "name_key", "short_name", "industry", "level", "is_headquarters",
                               "city", "county", "address", "phone", "remarks", "status", "key_number", "org_unit",
                               "created_at", "updated_at"], customers)
            _insert(Contact, ["id", "customer", "name", "title", "phone", "email", "created_at"], contacts)
            _insert(Relationship, ["id", "customer", "department", "manager", "contact", "contact_name",
                                   "contact_title", "contact_phone", "contact_email", "created_at"], rels)
            _insert(through, ["relationship", "businessline"], links)
            todo -= size
            made += size
        segment.save(update_fields=["next_value"])
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Customer, Contact, Relationship, through]):
            cursor.execute(sql)
