"""Records placed at each world user's unit and owned by that user, for the permission matrix."""

from __future__ import annotations

from kam.customers.models import AccessRequest, Contact, Customer, NumberSegment, Registration, Relationship, Stage
from kam.org.models import BusinessLine
from tests.helpers.matrix import WORLD_USERS


def customers(world) -> dict[str, Customer]:
    out = {}
    for i, label in enumerate(WORLD_USERS, start=1):
        user = world.user(label)
        city = user.org_unit.region_unit("city")
        c = Customer.objects.create(name=f"客户{label}", name_key=f"客户{label}", city=city, org_unit=user.org_unit,
                                    key_number=f"K{i:04d}", level="normal", industry="other")
        rel = Relationship.objects.create(customer=c, department=user.org_unit, manager=user, contact_name="联系人")
        rel.business_lines.set([BusinessLine.objects.first()])
        Contact.objects.create(customer=c, name=f"联系人{label}")
        out[label] = c
    return out


def relationships(customers: dict[str, Customer]) -> dict[str, Relationship]:
    return {label: c.relationships.get() for label, c in customers.items()}


def contacts(customers: dict[str, Customer]) -> dict[str, Contact]:
    return {label: c.contacts.get() for label, c in customers.items()}


def registrations(world) -> dict[str, Registration]:
    out = {}
    for label in WORLD_USERS:
        user = world.user(label)
        out[label] = Registration.objects.create(
            applicant=user, applicant_unit=user.org_unit, city=user.org_unit.region_unit("city"),
            name=f"申报{label}", stage=Stage.COUNTY_REVIEW, customer_data={"name": f"申报{label}"},
        )
    return out


def access_requests(world, customers: dict[str, Customer]) -> dict[str, AccessRequest]:
    return {
        label: AccessRequest.objects.create(customer=customers["other" if label != "other" else "me"],
                                            applicant=world.user(label), content="basic", reason="需要")
        for label in WORLD_USERS
    }


def segments(world) -> dict[str, NumberSegment]:
    return {
        label: NumberSegment.objects.create(org_unit=world.user(label).org_unit, prefix=f"S{i}", start=1, end=9,
                                            next_value=1)
        for i, label in enumerate(WORLD_USERS, start=1)
    }
