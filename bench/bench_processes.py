"""The process engine at scale (流程管理): 10k running instances and 10k due timers.

- A user's task inbox (我的待办, first page of 20 + capped count) among 10,000 running instances
  whose engine state is a real serialized workflow: the selector the page uses, and the page itself,
  against the raw SQL of the same rows (the lower bound). The inbox never loads the engine state.
- The sweep of 10,000 due reminder timers: total time, and that each fired exactly once (one 催办
  event per timer) — on PostgreSQL with two sweepers racing — against a set-based lower bound
  (one UPDATE of the 10k rows and a bulk insert of 10k events).

Sizes: ``KAM_BENCH_PROC_INSTANCES`` (default 10000), ``KAM_BENCH_PROC_TIMERS`` (default 10000).
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time

from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.common import Context, Result, best_of, ms

RAW_INBOX_SQL = """
SELECT t.id, t.node_name, t.due_at, t.created_at, t.status, i.id, i.title, i.business_key, d.name, s.name
FROM processes_humantask t
JOIN processes_processinstance i ON i.id = t.instance_id
JOIN processes_processversion v ON v.id = i.version_id
JOIN processes_processdefinition d ON d.id = v.definition_id
JOIN org_user s ON s.id = i.starter_id
WHERE t.assignee_id = %s AND t.status IN ('open', 'claimed')
ORDER BY t.due_at, t.created_at, t.id LIMIT 21
"""
RAW_COUNT_SQL = """
SELECT COUNT(*) FROM (SELECT 1 FROM processes_humantask t
WHERE t.assignee_id = %s AND t.status IN ('open', 'claimed') LIMIT 10001) x
"""
USERS = 100


def _setup(n: int):
    from kam.core import clock
    from kam.org import services as org_services
    from kam.org.models import OrgLevel, Role, User
    from kam.processes import services
    from kam.processes.models import (
        HumanTask,
        ProcessDefinition,
        ProcessInstance,
        TaskStatus,
    )

    unit = org_services.org_unit_create(name="流程压测中心", code="PBENCH", parent=None, level=OrgLevel.PROVINCE)
    users = User.objects.bulk_create([User(username=f"pb{i:03d}", name=f"压测{i:03d}", org_unit=unit, password="!",
                                           must_change_password=False)
                                      for i in range(USERS)])
    role = Role.objects.get(code="account_manager")  # built-in: starts processes, sees its own
    User.roles.through.objects.bulk_create([User.roles.through(user_id=u.pk, role_id=role.pk) for u in users])
    starter = users[0]
    version = ProcessDefinition.objects.get(code="two_step_approval").active_version
    # One real instance gives a real engine state (the lists must never load it).
    template = services.instance_start(user=starter, definition_code="two_step_approval", business_key="PB-T",
                                       data={"amount": 100})
    state = ProcessInstance.objects.filter(pk=template.pk).values_list("engine_state", flat=True).get()
    now = clock.now()
    instances = ProcessInstance.objects.bulk_create([
        ProcessInstance(version=version, business_key=f"PB-{i:05d}", title=f"压测申请 {i}", data={"amount": i},
                        snapshot={"amount": i}, starter=users[i % USERS], starter_unit=unit,
                        started_at=now - dt.timedelta(minutes=i), current_nodes=["supervisor_review"],
                        engine_state=state)
        for i in range(n)], batch_size=1000)
    tasks = []
    for i, inst in enumerate(instances):
        tasks.append(HumanTask(instance=inst, node_id="supervisor_review", node_name="主管审批",
                               assignee=users[(i * 7) % USERS], status=TaskStatus.OPEN, created_at=inst.started_at,
                               due_at=inst.started_at + dt.timedelta(hours=24)))
        if i % 3 == 0:  # some history: done tasks of another step
            tasks.append(HumanTask(instance=inst, node_id="leader_review", node_name="领导审批",
                                   assignee=users[(i * 11) % USERS], status=TaskStatus.DONE, outcome="approve",
                                   created_at=inst.started_at, completed_at=now))
    HumanTask.objects.bulk_create(tasks, batch_size=2000)
    with connection.cursor() as cur:  # fresh planner statistics after the bulk load (autovacuum would do it)
        cur.execute("ANALYZE")
    return users, state


def _inbox(ctx: Context, users, state, n: int) -> list[Result]:
    from kam.processes.selectors import tasks_todo

    user = users[7]
    open_count = tasks_todo(user).count()

    def selector():
        rows = list(tasks_todo(user)[:21])
        assert rows and all(r.instance.title for r in rows)
        tasks_todo(user)[:10001].count()

    def raw():
        with connection.cursor() as cur:
            cur.execute(RAW_INBOX_SQL, [user.pk])
            cur.fetchall()
            cur.execute(RAW_COUNT_SQL, [user.pk])
            cur.fetchall()

    bound = best_of(raw, repeat=15)
    t = best_of(selector, repeat=15)
    with CaptureQueriesContext(connection) as q:
        selector()
    loads_state = any("engine_state" in x["sql"] for x in q.captured_queries)
    results = [Result(
        f"task inbox query ({n:,} running instances, {open_count} open tasks for the user)", ms(t), ms(bound),
        t / bound, f"median of 15; selector `tasks_todo` first page + capped count, {len(q.captured_queries)} SQL; "
                   f"engine state ({len(state):,} chars per instance) loaded: {'yes' if loads_state else 'no'}; "
                   f"load average {os.getloadavg()[0]:.1f}")]
    client = Client()
    client.force_login(user)

    def page():
        resp = client.get("/processes/tasks/")
        assert resp.status_code == 200, resp.status_code

    tp = best_of(page)
    with CaptureQueriesContext(connection) as q:
        page()
    results.append(Result(f"task inbox page ({n:,} running instances)", ms(tp), ms(bound), tp / bound,
                          f"median of 7; whole request (session, menu, template); {len(q.captured_queries)} SQL"))
    return results


def _sweep(ctx: Context, users, m: int) -> list[Result]:
    from kam.core import clock
    from kam.processes import services
    from kam.processes.models import EventAction, HumanTask, TaskEvent, Timer, TimerKind

    now = clock.now()
    tasks = list(HumanTask.objects.filter(status="open").order_by("id").values_list("pk", "instance_id")[:m])
    Timer.objects.bulk_create([Timer(instance_id=inst, task_id=pk, kind=TimerKind.REMIND,
                                     due_at=now - dt.timedelta(minutes=1)) for pk, inst in tasks], batch_size=2000)
    before = TaskEvent.objects.filter(action=EventAction.REMIND).count()
    workers = 2 if ctx.db == "postgres" else 1
    fired: list[int] = []

    def sweeper(name):
        total = 0
        try:
            while True:
                n = services.timers_fire_due(worker=name)
                total += n
                if n == 0:
                    break
        finally:
            fired.append(total)
            if workers > 1:
                connections.close_all()

    started = time.perf_counter()
    if workers > 1:
        threads = [threading.Thread(target=sweeper, args=(f"bench-{i}",)) for i in range(workers)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    else:
        sweeper("bench-0")
    elapsed = time.perf_counter() - started
    events = TaskEvent.objects.filter(action=EventAction.REMIND).count() - before
    left = Timer.objects.filter(kind=TimerKind.REMIND, fired_at__isnull=True, due_at__lte=now).count()
    exactly_once = sum(fired) == len(tasks) and events == len(tasks) and left == 0

    # Lower bound: the same rows touched set-based (one UPDATE, one bulk insert of the events).
    Timer.objects.filter(kind=TimerKind.REMIND).update(fired_at=None, claimed_by="")
    t0 = time.perf_counter()
    Timer.objects.filter(kind=TimerKind.REMIND, fired_at__isnull=True).update(fired_at=now, claimed_by="bound")
    TaskEvent.objects.bulk_create([TaskEvent(instance_id=inst, task_id=pk, action=EventAction.REMIND, at=now)
                                   for pk, inst in tasks], batch_size=2000)
    bound = time.perf_counter() - t0
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    return [Result(
        f"timer sweep ({len(tasks):,} due reminders, {workers} sweeper{'s' if workers > 1 else ''})",
        f"{elapsed:.1f} s ({len(tasks) / elapsed:,.0f}/s)", f"{bound:.2f} s", elapsed / bound,
        f"fired per sweeper {sorted(fired)}; exactly once: {'yes' if exactly_once else 'NO'} "
        f"({events:,} 催办 events); bound = one set-based UPDATE + bulk insert of the events; "
        f"load average {load:.1f}")]


def run(ctx: Context) -> list[Result]:
    n = int(os.environ.get("KAM_BENCH_PROC_INSTANCES", "10000"))
    m = int(os.environ.get("KAM_BENCH_PROC_TIMERS", "10000"))
    users, state = _setup(n)
    results = _inbox(ctx, users, state, n)
    results += _sweep(ctx, users, min(m, n))
    return results
