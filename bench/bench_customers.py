"""The customer list at province size (1M customers, ``KAM_DEMO_CUSTOMERS`` to change it).

For a county account manager (scope: own customers, R-PERM-3) and the province leader (the whole
province): the list filtered by fuzzy name, industry and level, sorted by name, first page — server
time of the page (Django test client) and of the API, against the raw SQL of the same page (the
rows and the capped count, the lower bound). Then the fuzzy name search alone: the province
leader's list filtered by a name fragment, and the 客户注册申报 lookup of a county manager.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bench.common import Context, Result, best_of, ms

COLUMNS = """c.id, c.name, c.short_name, c.industry, c.level, c.key_number, c.status, ci.name, co.name"""
FROM = """customers_customer c JOIN org_orgunit ci ON ci.id = c.city_id
LEFT JOIN org_orgunit co ON co.id = c.county_id"""
NAME = """(UPPER(c.name) LIKE UPPER(%s) OR UPPER(c.short_name) LIKE UPPER(%s) OR UPPER(c.key_number) LIKE UPPER(%s))"""
SCOPE = {
    "province": "c.org_unit_id IN (SELECT id FROM org_orgunit WHERE path LIKE %s)",
    "manager": "c.id IN (SELECT customer_id FROM customers_relationship WHERE manager_id = %s)",
}


def _raw(scope: str, scope_arg, text: str, industry: str | None, level: str | None):
    where = [SCOPE[scope], NAME]
    args = [scope_arg, f"%{text}%", f"%{text}%", f"%{text}%"]
    if industry:
        where.append("c.industry = %s")
        args.append(industry)
    if level:
        where.append("c.level = %s")
        args.append(level)
    cond = " AND ".join(where)

    def run():
        with connection.cursor() as cur:
            cur.execute(f"SELECT {COLUMNS} FROM {FROM} WHERE {cond} ORDER BY c.name, c.id LIMIT 21", args)  # noqa: S608
            cur.fetchall()
            cur.execute(f"SELECT COUNT(*) FROM (SELECT 1 FROM customers_customer c WHERE {cond} LIMIT 10001) t",  # noqa: S608
                        args)
            cur.fetchall()
    return run


def run(ctx: Context) -> list[Result]:
    from kam.customers import selectors
    from kam.customers.models import Customer, Relationship
    from kam.org.models import User

    results: list[Result] = []
    try:
        ctx.ensure_province()
    except Exception as exc:  # a later demo step failed: the customers' steps (each atomic) are in
        if not Customer.objects.exists():
            raise
        results.append(Result("customer list setup", "partial", notes=f"demo stopped after customers: {exc}"[:120]))
    total = Customer.objects.count()
    leader = User.objects.get(username="leader")
    # The county account manager with the most customers.
    top = (Relationship.objects.values("manager")
           .order_by().annotate(n=Count("pk")).order_by("-n")
           .first())
    manager = User.objects.get(pk=top["manager"])
    own = top["n"]
    sample = Customer.objects.filter(relationships__manager=manager).order_by("pk").first()
    text = "物流"  # a business word many names share
    cases = (
        ("county manager", manager, "manager", manager.pk, f"{own} own customers"),
        ("province leader", leader, "province", leader.org_unit.path + "%", f"{total} customers"),
    )
    for label, user, scope, scope_arg, size in cases:
        client = Client()
        client.force_login(user)
        filters = {"q": text, "industry": sample.industry if scope == "manager" else "logistics", "level": "normal"}
        bound = best_of(_raw(scope, scope_arg, filters["q"], filters["industry"], filters["level"]))
        query = "&".join(f"{k}={v}" for k, v in filters.items())
        for kind, url in (("page", f"{reverse('customers:customer_list')}?{query}&sort=name"),
                          ("API", f"/api/v1/customers/customers/?{query}&ordering=name&page_size=20")):
            def view(url=url, client=client):
                resp = client.get(url)
                assert resp.status_code == 200, resp.status_code

            t = best_of(view)
            with CaptureQueriesContext(connection) as queries:
                view()
            results.append(Result(f"customer list {kind} (name+industry+level, by name), {label}", ms(t), ms(bound),
                                  t / bound if bound else None, f"{size}; {len(queries)} queries"))
    # Fuzzy name search alone.
    client = Client()
    client.force_login(leader)
    for fragment in ("物流", "晴川汽车零部件"):
        bound = best_of(_raw("province", leader.org_unit.path + "%", fragment, None, None))

        def search(fragment=fragment):
            resp = client.get(f"{reverse('customers:customer_list')}?q={fragment}&sort=name")
            assert resp.status_code == 200

        t = best_of(search)
        results.append(Result(f"fuzzy name search “{fragment}”, list page, province leader", ms(t), ms(bound),
                              t / bound if bound else None, f"{total} customers"))
    name = sample.name

    def lookup():
        selectors.registration_candidates(manager, name[:6])

    t = best_of(lookup)
    results.append(Result("客户注册申报 lookup (prefix + similar names), county manager", ms(t),
                          notes=f"own city's customers of {total}"))
    return results
