"""The scoped users list at province size (~10 cities, ~100 counties, 10k users).

Server time of the list page and of the API list for a city leader (scope: own unit and below)
and the province leader, against the raw SQL of the same page (the lower bound).
"""

from __future__ import annotations

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bench.common import Context, Result, best_of, ms

RAW_PAGE_SQL = """
SELECT u.id, u.username, u.name, u.is_active, o.name
FROM org_user u JOIN org_orgunit o ON o.id = u.org_unit_id
WHERE o.path LIKE %s
ORDER BY u.username LIMIT 21
"""
RAW_COUNT_SQL = """
SELECT COUNT(*) FROM (SELECT 1 FROM org_user u JOIN org_orgunit o ON o.id = u.org_unit_id
WHERE o.path LIKE %s LIMIT 10001) t
"""


def run(ctx: Context) -> list[Result]:
    from kam.org.models import OrgLevel, OrgUnit, User

    ctx.ensure_province()
    results = []
    city = OrgUnit.objects.filter(level=OrgLevel.CITY).order_by("code").first()
    city_leader = User.objects.filter(org_unit=city, roles__code="leader").first()
    province_leader = User.objects.get(username="leader")
    total = User.objects.filter(org_unit__path__startswith=province_leader.org_unit.path).count()
    for label, user, unit in (("city leader", city_leader, city), ("province leader", province_leader,
                                                                     province_leader.org_unit)):
        client = Client()
        client.force_login(user)

        def raw(unit=unit):
            with connection.cursor() as cur:
                cur.execute(RAW_PAGE_SQL, [unit.path + "%"])
                cur.fetchall()
                cur.execute(RAW_COUNT_SQL, [unit.path + "%"])
                cur.fetchall()

        bound = best_of(raw)
        for kind, url in (("page", reverse("org:user_list")), ("API", "/api/v1/org/users/?page_size=20")):
            def view(url=url, client=client):
                resp = client.get(url)
                assert resp.status_code == 200, resp.status_code

            try:
                t = best_of(view)
            except Exception as exc:  # the endpoint may not exist in an older checkout
                results.append(Result(f"users list {kind}, {label}", "n/a", notes=str(exc)[:80]))
                continue
            with CaptureQueriesContext(connection) as queries:
                view()
            results.append(Result(
                f"users list {kind}, {label} (province of {total:,} users)", ms(t), ms(bound), t / bound,
                f"median of 7; {len(queries.captured_queries)} SQL statements per request; "
                "bound = raw SQL of the rows + capped count",
            ))
    return results
