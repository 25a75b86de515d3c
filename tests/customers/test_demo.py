"""Demo data of 客户管理: customers of the demo cities, segments, registrations at every stage."""

import random

import pytest

from kam.core.demo import DemoContext
from kam.customers.demo import customers_demo
from kam.customers.models import AccessRequest, Customer, NumberSegment, Registration, Stage
from kam.managers.demo import managers_demo
from kam.org.demo import org_demo
from kam.org.models import User

pytestmark = pytest.mark.django_db


def test_demo_customers_registrations_and_scope():
    ctx = DemoContext(size="demo", rng=random.Random(7), password="Demo@pass-2026")
    org_demo(ctx)
    managers_demo(ctx)
    customers_demo(ctx)
    assert Customer.objects.count() >= 30
    assert NumberSegment.objects.count() == 3
    assert not Customer.objects.filter(key_number__isnull=True).exists()
    assert Customer.objects.filter(is_headquarters=True).exclude(level="diamond").count() == 0  # R-CUST-1
    stages = set(Registration.objects.values_list("stage", flat=True))
    assert {Stage.COUNTY_REVIEW, Stage.CITY_REVIEW, Stage.FINAL_REVIEW, Stage.APPROVED, Stage.REJECTED} <= stages
    manager = User.objects.get(username="manager")
    mine = Customer.objects.restrict(manager, "view")
    granted = set(AccessRequest.objects.filter(applicant=manager, status="approved").values_list("customer", flat=True))
    assert len(granted) == 1 and granted <= {c.pk for c in mine}  # R-CUST-5: an approved request adds one
    own = [c for c in mine if c.pk not in granted]
    assert len(own) >= 2 and all(c.relationships.filter(manager=manager).exists() for c in own)
    assert AccessRequest.objects.filter(applicant=manager).count() == 2
    customers_demo(ctx)  # a second run adds nothing
    assert Customer.objects.filter(key_number__isnull=False).count() == Customer.objects.count()


def test_province_size_bulk_customers(monkeypatch):
    monkeypatch.setenv("KAM_DEMO_CUSTOMERS", "3000")
    ctx = DemoContext(size="province", rng=random.Random(3), password="Demo@pass-2026")
    org_demo(ctx)
    managers_demo(ctx)
    customers_demo(ctx)
    assert Customer.objects.count() >= 3000
    numbers = list(Customer.objects.values_list("key_number", flat=True))
    assert len(numbers) == len(set(numbers))
