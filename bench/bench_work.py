"""工作管理 at scale.

1. A campaign over ``KAM_BENCH_WORK_CUSTOMERS`` customers (default 100k, 5 % in a do-not-disturb
   window) generating one work item per customer through ``kam.work.services.task_generate``
   (defer and skip policies), against a single raw ``INSERT … SELECT`` of the same rows (the
   lower bound).
2. A manager's 未完成工作查询 page with ``KAM_BENCH_WORK_ITEMS`` work items in the table (default
   5M, generated with raw ``INSERT … SELECT``, not through services), against the raw SQL of the
   page's rows and capped count.
"""

from __future__ import annotations

import datetime as dt
import os
import time

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bench.common import Context, Result, best_of, ms

MANAGERS = 50


def _setup(n_customers: int):
    from kam.core import clock
    from kam.customers.models import Customer
    from kam.org import services as org_services
    from kam.org.models import OrgLevel, Role, User

    province = org_services.org_unit_create(name="工作基准省", code="WB-P", parent=None, level=OrgLevel.PROVINCE)
    city = org_services.org_unit_create(name="工作基准市", code="WB-C", parent=province, level=OrgLevel.CITY)
    county = org_services.org_unit_create(name="工作基准区", code="WB-K", parent=city, level=OrgLevel.COUNTY)
    role = Role.objects.get(code="account_manager")
    managers = []
    for i in range(MANAGERS):
        u = User.objects.create(username=f"wb_mgr{i:03d}", name=f"经理{i:03d}", org_unit=county,
                                 must_change_password=False)
        u.roles.add(role)
        managers.append(u)
    lead = User.objects.create(username="wb_lead", name="基准主管", org_unit=city, is_superuser=True,
                               must_change_password=False)
    now = clock.now()
    batch = []
    for i in range(n_customers):
        batch.append(Customer(name=f"基准客户{i:07d}", name_key=f"基准客户{i:07d}", city=city, county=county,
                              org_unit=county, level="normal", industry="logistics" if i % 2 else "retail",
                              phone="027-1", created_at=now))
        if len(batch) == 5000:
            Customer.objects.bulk_create(batch)
            batch = []
    Customer.objects.bulk_create(batch)
    first = managers[0].pk
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO customers_relationship (customer_id, department_id, manager_id, contact_name, contact_title,"
            " contact_phone, contact_email, created_at) SELECT id, %s, %s + (id %% %s), '', '', '', '', %s"
            " FROM customers_customer WHERE city_id = %s", [county.pk, first, MANAGERS, now, city.pk])
        cur.execute(
            "INSERT INTO work_donotdisturb (customer_id, starts_at, ends_at, reason, created_by_id, created_at)"
            " SELECT id, %s, %s, '', %s, %s FROM customers_customer WHERE city_id = %s AND id %% 20 = 0",
            [now - dt.timedelta(days=1), now + dt.timedelta(days=30), lead.pk, now, city.pk])
    return city, county, managers, lead


RAW_GENERATE = """
INSERT INTO work_workitem (task_id, source, channel, title, content, customer_id, manager_id, org_unit_id,
  created_by_id, created_at, planned_at, due_at, deferred, state, result, attempts, cancel_reason)
SELECT NULL, 'generated', 'call', 'raw', '', c.id, r.manager_id, u.org_unit_id, %s, %s, %s, %s, FALSE, 'open', '', 0, ''
FROM customers_customer c JOIN customers_relationship r ON r.customer_id = c.id
JOIN org_user u ON u.id = r.manager_id WHERE c.city_id = %s
"""


def _clear():
    from kam.work.models import Task, TaskSkip, WorkItem

    WorkItem.objects.all().delete() if WorkItem.objects.count() < 300_000 else _truncate()
    TaskSkip.objects.all().delete()
    Task.objects.all().delete()


def _truncate():
    with connection.cursor() as cur:
        cur.execute("DELETE FROM work_workitem")


def run(ctx: Context) -> list[Result]:
    from kam.core import clock
    from kam.work import services
    from kam.work.models import DndPolicy, WorkItem

    n_customers = int(os.environ.get("KAM_BENCH_WORK_CUSTOMERS", "100000"))
    n_items = int(os.environ.get("KAM_BENCH_WORK_ITEMS", "5000000"))
    t0 = time.perf_counter()
    city, county, managers, lead = _setup(n_customers)
    setup_s = time.perf_counter() - t0
    results = []
    now = clock.now()
    due = now + dt.timedelta(days=10)

    def raw():
        with connection.cursor() as cur:
            cur.execute(RAW_GENERATE, [lead.pk, now, now, due, city.pk])

    t = time.perf_counter()
    raw()
    bound = time.perf_counter() - t
    _clear()
    for policy in (DndPolicy.DEFER, DndPolicy.SKIP):
        task = services.task_create(user=lead, name=f"基准活动{policy}", start_on=clock.today(),
                                    due_on=clock.today() + dt.timedelta(days=10), dnd_policy=policy,
                                    criteria={"org_unit": city.pk})
        with CaptureQueriesContext(connection) as queries:
            t = time.perf_counter()
            task = services.task_generate(user=lead, task=task)
            took = time.perf_counter() - t
        results.append(Result(
            f"campaign generation over {n_customers:,} customers ({policy})", ms(took), ms(bound), took / bound,
            f"{task.generated_count:,} items, {task.skipped_count + task.deferred_count:,} in DND "
            f"({policy}); {len(queries.captured_queries)} SQL statements; bound = one raw INSERT … SELECT "
            f"(no DND, no scope); setup {setup_s:.0f} s"))
        _clear()

    # --- a manager's incomplete work among n_items work items -------------------------------------
    rounds = max(1, n_items // max(1, n_customers))
    t = time.perf_counter()
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            series = "SELECT generate_series(1, %s) AS k"
        else:
            series = "WITH RECURSIVE s(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM s WHERE k < %s) SELECT k FROM s"
        cur.execute(
            "INSERT INTO work_workitem (task_id, source, channel, title, content, customer_id, manager_id,"
            " org_unit_id, created_by_id, created_at, planned_at, due_at, deferred, state, result, attempts,"
            " cancel_reason, completed_at)"
            f" SELECT NULL, 'generated', 'call', 'bench', '', c.id, r.manager_id, %s, %s, %s, %s, %s, FALSE,"
            " CASE WHEN (c.id + g.k) %% 10 = 0 THEN 'open' ELSE 'done' END, '', 0, '',"
            " CASE WHEN (c.id + g.k) %% 10 = 0 THEN NULL ELSE %s END"
            f" FROM customers_customer c JOIN customers_relationship r ON r.customer_id = c.id, ({series}) g"
            " WHERE c.city_id = %s",
            [county.pk, lead.pk, now, now, due, now, rounds, city.pk])
        cur.execute("ANALYZE")
    load_s = time.perf_counter() - t
    total = WorkItem.objects.count()
    manager = managers[7]
    client = Client()
    client.force_login(manager)
    url = reverse("work:open_list")

    def page():
        resp = client.get(url)
        assert resp.status_code == 200, resp.status_code

    def raw_page():
        with connection.cursor() as cur:
            cur.execute("SELECT w.id, w.title, c.name, u.name FROM work_workitem w JOIN customers_customer c ON"
                        " c.id = w.customer_id JOIN org_user u ON u.id = w.manager_id WHERE w.manager_id = %s AND"
                        " w.state = 'open' ORDER BY w.due_at, w.id LIMIT 21", [manager.pk])
            cur.fetchall()
            cur.execute("SELECT COUNT(*) FROM (SELECT 1 FROM work_workitem WHERE manager_id = %s AND state = 'open'"
                        " LIMIT 10001) t", [manager.pk])
            cur.fetchall()

    bound = best_of(raw_page)
    took = best_of(page)
    with CaptureQueriesContext(connection) as queries:
        page()
    results.append(Result(
        f"incomplete-work page of one manager among {total:,} work items", ms(took), ms(bound), took / bound,
        f"median of 7; {len(queries.captured_queries)} SQL statements per request; bound = raw SQL of the rows +"
        f" capped count; rows loaded by raw INSERT … SELECT in {load_s:.0f} s"))
    return results
