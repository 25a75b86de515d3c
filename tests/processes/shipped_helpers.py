"""The people who run the shipped process definitions in tests, and short ways to act as them
through their own task lists (the selectors the task page uses).

On top of ``pworld`` (tests/helpers/world.py), in 一区 (county_1) and 甲市 (city_a)::

    一区  am, am2   客户经理 (superior: sup)       甲市  city_centre  市大客户中心 (reviewer_city)
          sup       客户经理主管 (superior: chief)       city_leader  领导 (leader)
          chief     区县负责人                           wo           工单处理 (work_order)
          centre    区县大客户中心 (reviewer_county)
"""

from __future__ import annotations

from dataclasses import dataclass

from kam.org.models import Role, User
from kam.processes import services
from kam.processes.models import HumanTask, ProcessInstance, TaskEvent
from kam.processes.selectors import copied_to, tasks_claimable, tasks_done, tasks_todo
from tests.helpers.world import World, make_user

ROLES = {"account_manager": "客户经理", "supervisor": "客户经理主管", "reviewer_county": "区县大客户中心",
         "reviewer_city": "市大客户中心", "leader": "领导", "work_order": "工单处理"}


@dataclass
class Cast:
    world: World
    users: dict[str, User]

    def __getattr__(self, name: str) -> User:
        try:
            return self.__dict__["users"][name]
        except KeyError as exc:
            raise AttributeError(name) from exc


def make_cast(world: World) -> Cast:
    """Create the people of the module docstring (``world`` is the ``pworld`` fixture)."""
    roles = {code: Role.objects.get_or_create(code=code, defaults={"name": label})[0]
             for code, label in ROLES.items()}
    proc_user = Role.objects.get(code="proc_user")
    county, city = world.unit("county_1"), world.unit("city_a")
    users: dict[str, User] = {}

    def mk(name, unit, role=None, superior=None):
        user = make_user(name, unit, superior=superior, roles=[roles[role]] if role else [])
        user.roles.add(proc_user)
        users[name] = user
        return user

    mk("chief", county)
    mk("sup", county, "supervisor", users["chief"])
    mk("am", county, "account_manager", users["sup"])
    mk("am2", county, "account_manager", users["sup"])
    mk("centre", county, "reviewer_county")
    mk("city_centre", city, "reviewer_city")
    mk("city_leader", city, "leader")
    mk("wo", city, "work_order")
    return Cast(world, users)


def todo(user: User) -> list[HumanTask]:
    """我的待办 as the task page lists it."""
    return list(tasks_todo(user))


def todo_names(user: User) -> list[str]:
    return [t.node_name for t in tasks_todo(user)]


def task_of(user: User, node_name: str, instance: ProcessInstance | None = None) -> HumanTask:
    """The one open task named ``node_name`` in the user's 我的待办 (of ``instance`` when given)."""
    found = [t for t in tasks_todo(user) if t.node_name == node_name
             and (instance is None or t.instance_id == instance.pk)]
    assert len(found) == 1, (user.username, node_name, todo_names(user))
    return found[0]


def act(user: User, node_name: str, action: str = "approve", opinion: str = "", target_node: str | None = None,
        instance: ProcessInstance | None = None, data: dict | None = None) -> HumanTask:
    """Complete the user's task ``node_name`` from their 我的待办 (同意 / 驳回), with the step's data."""
    task = task_of(user, node_name, instance)
    return services.task_complete(user=user, task=task, action=action, opinion=opinion, target_node=target_node,
                                  expected_version=task.version, data=data)


def claim_and_do(user: User, node_name: str, opinion: str = "", data: dict | None = None) -> HumanTask:
    """领取 the pool task ``node_name`` from the user's 待领取 list, then 同意 it from 我的待办."""
    found = [t for t in tasks_claimable(user) if t.node_name == node_name]
    assert len(found) == 1, (user.username, node_name, [t.node_name for t in tasks_claimable(user)])
    services.task_claim(user=user, task=found[0])
    return act(user, node_name, opinion=opinion, data=data)


def claimable_names(user: User) -> list[str]:
    return [t.node_name for t in tasks_claimable(user)]


def done_names(user: User) -> list[str]:
    return [t.node_name for t in tasks_done(user)]


def copied_names(user: User) -> list[str]:
    return [e.node_name for e in copied_to(user)]


def history(instance: ProcessInstance, *actions: str) -> list[tuple[str, str, str]]:
    """流程历史 (action, step, actor) in order; only ``actions`` when given (assignments left out
    otherwise, they depend on how many people a role holds)."""
    events = TaskEvent.objects.filter(instance=instance).select_related("actor").order_by("at", "id")
    rows = [(e.action, e.node_name, e.actor.username if e.actor else "") for e in events]
    if actions:
        return [r for r in rows if r[0] in actions]
    return [r for r in rows if r[0] != "assign"]


def start(user: User, code: str, key: str, data: dict, title: str = "") -> ProcessInstance:
    return services.instance_start(user=user, definition_code=code, business_key=key, data=data, title=title)
