"""A work world on top of the permission world (tests/helpers/world.py): every world user is an
account manager with one customer (客户me, 客户peer, …) bound to them, and "lead" in city A is a
city key-account centre reviewer who runs campaigns."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
from django.test import Client
from django.utils import timezone

from kam.customers.models import Customer, Relationship
from kam.org.models import Role, User
from kam.org.permissions import clear_cache
from tests.customers import records
from tests.helpers.matrix import WORLD_USERS
from tests.helpers.world import World, make_user


def give_role(user: User, code: str) -> User:
    user.roles.add(Role.objects.get(code=code))
    clear_cache(user)
    return user


@dataclass
class WorkWorld:
    world: World
    customers: dict[str, Customer] = field(default_factory=dict)
    lead: User | None = None

    def __getitem__(self, name: str) -> User:
        if name == "lead":
            return self.lead
        return self.world.user(name)


@pytest.fixture
def ww(world) -> WorkWorld:
    w = WorkWorld(world)
    for label in WORLD_USERS:
        give_role(world.user(label), "account_manager")
    w.customers = records.customers(world)
    for i, c in enumerate(w.customers.values()):
        c.phone = f"027-8888{i:04d}"
        c.industry = "logistics" if i % 2 == 0 else "retail"
        c.save()
    w.lead = give_role(make_user("lead", world.unit("city_a")), "reviewer_city")
    return w


def login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def at(day: dt.date, hour: int = 9, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def add_customer(owner: User, name: str) -> Customer:
    c = Customer.objects.create(name=name, name_key=name, city=owner.org_unit.region_unit("city"),
                                org_unit=owner.org_unit, level="normal", industry="other", phone="027-1")
    Relationship.objects.create(customer=c, department=owner.org_unit, manager=owner)
    return c
