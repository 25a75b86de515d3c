"""Registration and review (REQUIREMENTS §1.2): R-CUST-1, R-CUST-2, R-CUST-3, R-CUST-4."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kam.customers import selectors, services
from kam.customers.models import Customer, NumberSegment, Outcome, Relationship, ReviewAction, Stage

from .conftest import approve_all, customer_data, relationship, submit


def test_r_cust_1_headquarters_customer_becomes_diamond(cw):
    reg = submit(cw, is_headquarters=True, level="silver")
    assert reg.customer_data["level"] == "diamond"
    assert reg.customer_data["is_headquarters"] is True


def test_r_cust_3_register_in_another_county_of_own_city(cw):
    reg = submit(cw, county="county_2")  # me sits in county 1
    assert reg.city == cw.unit("city_a")
    assert reg.customer_data["county"] == cw.unit("county_2").pk


def test_r_cust_3_never_in_another_city(cw):
    with pytest.raises(ValidationError) as exc:
        submit(cw, county="county_3")
    assert "county" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.registration_submit(user=cw["me"], customer_data=customer_data(cw, city=cw.unit("city_b").pk),
                                     relationship_data=relationship(cw))
    assert "city" in exc.value.message_dict


def test_r_cust_3_existing_customer_of_another_city_refused(cw):
    other = services.customer_create(user=_admin(cw), city=cw.unit("city_b"), name="乙市某公司",
                                     org_unit=cw.unit("county_3"))
    with pytest.raises(ValidationError) as exc:
        services.registration_submit(user=cw["me"], customer=other, relationship_data=relationship(cw))
    assert "customer" in exc.value.message_dict


def test_relationship_manager_must_belong_to_department(cw):
    with pytest.raises(ValidationError) as exc:
        services.registration_submit(user=cw["me"], customer_data=customer_data(cw),
                                     relationship_data=relationship(cw, manager="sub", department="county_1"))
    assert "manager" in exc.value.message_dict


def test_required_fields_are_named(cw):
    with pytest.raises(ValidationError) as exc:
        services.registration_submit(user=cw["me"], customer_data={"name": ""},
                                     relationship_data={"department": None})
    errors = exc.value.message_dict
    assert {"name", "department", "manager", "business_lines"} <= set(errors)


def test_r_cust_4_county_applicant_goes_to_county_pre_review_and_through_every_stage(cw):
    reg = submit(cw)
    assert reg.stage == Stage.COUNTY_REVIEW
    reg = approve_all(cw, reg, "rev_county")
    assert reg.stage == Stage.CITY_REVIEW
    reg = approve_all(cw, reg, "rev_city")
    assert reg.stage == Stage.FINAL_REVIEW
    reg = approve_all(cw, reg, "rev_city")
    assert reg.stage == Stage.APPROVED
    customer = reg.customer
    assert customer.key_number == "4201001"  # R-CUST-2: from the city's segment
    assert customer.name == "武汉长江物流有限公司" and customer.level == "gold"
    assert customer.org_unit == cw.unit("county_1") and customer.county == cw.unit("county_2")
    rel = customer.relationships.get()
    assert rel.manager == cw["me"] and rel.contact.name == "张经理"
    assert list(rel.business_lines.all()) == [cw.lines["letters"]]
    actions = list(reg.actions.values_list("stage", "action"))
    assert actions == [("county_review", "submit"), ("county_review", "approve"), ("city_review", "approve"),
                       ("final_review", "approve")]


def test_r_cust_4_bureau_application_goes_to_bureau_pre_review_of_its_own_line(cw):
    reg = submit(cw, applicant="bureau_mgr")
    assert reg.stage == Stage.BUREAU_REVIEW and reg.bureau == cw.unit("bureau")
    with pytest.raises(PermissionDenied):
        services.registration_approve(user=cw["rev_bureau_parcels"], registration=reg)
    with pytest.raises(PermissionDenied):
        services.registration_approve(user=cw["rev_county"], registration=reg)
    reg = approve_all(cw, reg, "rev_bureau", "rev_city", "rev_province")
    assert reg.stage == Stage.APPROVED and reg.customer.key_number == "4201001"


def test_r_cust_4_city_first_review_takes_an_application_straight(cw):
    reg = submit(cw)
    with pytest.raises(PermissionDenied):  # the city takes, it does not pre-review
        services.registration_approve(user=cw["rev_city"], registration=reg)
    reg = services.registration_take(user=cw["rev_city"], registration=reg, opinion="直接初审")
    assert reg.stage == Stage.CITY_REVIEW
    reg = approve_all(cw, reg, "rev_city", "rev_city")
    assert reg.stage == Stage.APPROVED


@pytest.mark.parametrize("reviewer,stage", [
    ("rev_county_2", Stage.COUNTY_REVIEW),  # another county
    ("rev_city_b", Stage.COUNTY_REVIEW),  # another city cannot take
    ("me", Stage.COUNTY_REVIEW),  # no review role
    ("rev_county", Stage.CITY_REVIEW),  # a county reviewer at first review
    ("rev_province", Stage.CITY_REVIEW),  # the province only at final review
    ("rev_city_b", Stage.FINAL_REVIEW),
    ("rev_county", Stage.FINAL_REVIEW),
])
def test_r_cust_4_reviewer_acts_only_at_their_stages_and_org(cw, reviewer, stage):
    reg = submit(cw)
    if stage != Stage.COUNTY_REVIEW:
        reg = approve_all(cw, reg, "rev_county")
    if stage == Stage.FINAL_REVIEW:
        reg = approve_all(cw, reg, "rev_city")
    assert reg.stage == stage
    with pytest.raises(PermissionDenied):
        services.registration_approve(user=cw[reviewer], registration=reg)
    with pytest.raises(PermissionDenied):
        services.registration_reject(user=cw[reviewer], registration=reg, reason="x")
    assert not Customer.objects.exists()


def test_r_cust_4_take_only_at_pre_review(cw):
    reg = approve_all(cw, submit(cw), "rev_county")
    with pytest.raises(PermissionDenied):
        services.registration_take(user=cw["rev_city"], registration=reg)


@pytest.mark.parametrize("stage,reviewer", [
    (Stage.COUNTY_REVIEW, "rev_county"), (Stage.COUNTY_REVIEW, "rev_city"),
    (Stage.CITY_REVIEW, "rev_city"), (Stage.FINAL_REVIEW, "rev_city"), (Stage.FINAL_REVIEW, "rev_province"),
])
@pytest.mark.parametrize("failed", [False, True])
def test_reject_at_every_stage_with_reason(cw, stage, reviewer, failed):
    reg = submit(cw)
    if stage in (Stage.CITY_REVIEW, Stage.FINAL_REVIEW):
        reg = approve_all(cw, reg, "rev_county")
    if stage == Stage.FINAL_REVIEW:
        reg = approve_all(cw, reg, "rev_city")
    with pytest.raises(ValidationError) as exc:
        services.registration_reject(user=cw[reviewer], registration=reg, reason="  ", failed=failed)
    assert "reason" in exc.value.message_dict
    reg = services.registration_reject(user=cw[reviewer], registration=reg, reason="资料不全", failed=failed)
    assert reg.stage == Stage.REJECTED
    assert reg.outcome == (Outcome.FAILED if failed else Outcome.REJECTED)
    assert reg.can_reapply is not failed
    last = reg.actions.last()
    assert (last.stage, last.opinion, last.actor) == (stage, "资料不全", cw[reviewer])
    assert not Customer.objects.exists()
    with pytest.raises(PermissionDenied):
        services.registration_approve(user=cw[reviewer], registration=reg)


def test_bureau_pre_review_rejected(cw):
    reg = submit(cw, applicant="bureau_mgr")
    reg = services.registration_reject(user=cw["rev_bureau"], registration=reg, reason="非本专业")
    assert reg.stage == Stage.REJECTED


def test_reapply_after_rejection_shows_last_opinions_and_restarts(cw):
    reg = approve_all(cw, submit(cw), "rev_county")
    reg = services.registration_reject(user=cw["rev_city"], registration=reg, reason="地址不详")
    assert [a.opinion for a in reg.last_opinions()] == ["同意", "地址不详"]
    with pytest.raises(PermissionDenied):
        services.registration_reapply(user=cw["peer"], registration=reg, relationship_data=relationship(cw))
    reg = services.registration_reapply(user=cw["me"], registration=reg,
                                        customer_data={"address": "某路2号"}, relationship_data=relationship(cw))
    assert reg.stage == Stage.COUNTY_REVIEW and reg.customer_data["address"] == "某路2号"
    assert reg.last_opinions() == []
    reg = approve_all(cw, reg, "rev_county", "rev_city", "rev_city")
    assert reg.customer.address == "某路2号"


def test_reapply_refused_after_development_failed(cw):
    reg = services.registration_reject(user=cw["rev_county"], registration=submit(cw), reason="客户无意向", failed=True)
    with pytest.raises(ValidationError):
        services.registration_reapply(user=cw["me"], registration=reg, relationship_data=relationship(cw))


def test_maintenance_edits_basic_info_only_while_open_and_entered_by_hand(cw):
    reg = submit(cw)
    reg = services.registration_update(user=cw["me"], registration=reg, customer_data={"name": "长江物流集团"})
    assert reg.name == "长江物流集团"
    reg = approve_all(cw, reg, "rev_county", "rev_city", "rev_city")
    with pytest.raises(ValidationError):
        services.registration_update(user=cw["me"], registration=reg, customer_data={"name": "新名"})
    reg2 = submit(cw, customer=reg.customer)
    with pytest.raises(ValidationError) as exc:
        services.registration_update(user=cw["me"], registration=reg2, customer_data={"name": "新名"})
    assert "customer" in exc.value.message_dict


def test_existing_customer_number_is_reused_and_relationship_added(cw):
    first = approve_all(cw, submit(cw), "rev_county", "rev_city", "rev_city")
    customer = first.customer
    second = submit(cw, applicant="sub", customer=customer)
    assert second.customer_data["name"] == customer.name  # basic info read-only, copied
    second = approve_all(cw, second, "rev_county_2", "rev_city", "rev_city")
    customer.refresh_from_db()
    assert customer.key_number == "4201001"
    assert customer.relationships.count() == 2
    assert NumberSegment.objects.get().next_value == 2


def test_number_assigned_by_hand_by_city(cw):
    reg = approve_all(cw, submit(cw), "rev_county")
    with pytest.raises(PermissionDenied):
        services.registration_assign_number(user=cw["rev_county"], registration=reg, key_number="X1")
    reg = services.registration_assign_number(user=cw["rev_city"], registration=reg, key_number="42019999")
    reg = approve_all(cw, reg, "rev_city", "rev_city")
    assert reg.customer.key_number == "42019999"
    assert NumberSegment.objects.get().next_value == 1
    other = approve_all(cw, submit(cw, name="另一家公司"), "rev_county")
    with pytest.raises(ValidationError):
        services.registration_assign_number(user=cw["rev_city"], registration=other, key_number="42019999")


def test_r_cust_2_segment_of_nearest_ancestor_and_used_up(cw):
    NumberSegment.objects.create(org_unit=cw.unit("county_1"), prefix="K1", start=5, end=5, next_value=5)
    a = approve_all(cw, submit(cw), "rev_county", "rev_city", "rev_city")
    assert a.customer.key_number == "K15"
    b = approve_all(cw, submit(cw, name="第二家公司"), "rev_county", "rev_city")
    with pytest.raises(ValidationError) as exc:
        services.registration_approve(user=cw["rev_city"], registration=b)
    assert "key_number" in exc.value.message_dict
    assert "used up" in exc.value.message_dict["key_number"][0] or "用完" in exc.value.message_dict["key_number"][0]
    b.refresh_from_db()
    assert b.stage == Stage.FINAL_REVIEW and Customer.objects.count() == 1


def test_no_segment_is_a_clear_error(cw):
    NumberSegment.objects.all().delete()
    reg = approve_all(cw, submit(cw), "rev_county", "rev_city")
    with pytest.raises(ValidationError) as exc:
        services.registration_approve(user=cw["rev_city"], registration=reg)
    assert "key_number" in exc.value.message_dict


def test_review_counts_per_stage(cw):
    submit(cw)
    submit(cw, name="第二家")
    approve_all(cw, submit(cw, name="第三家"), "rev_county")
    counts = {c.stage: c.count for c in selectors.review_counts(cw["rev_city"])}
    assert counts == {"county_review": 2, "bureau_review": 0, "city_review": 1, "final_review": 0}
    counts = {c.stage: c.count for c in selectors.review_counts(cw["rev_county"])}
    assert counts["county_review"] == 2 and counts["city_review"] == 0
    assert sum(c.count for c in selectors.review_counts(cw["rev_city_b"])) == 0


def test_history_kept_for_review_actions(cw):
    reg = services.registration_take(user=cw["rev_city"], registration=submit(cw))
    assert list(ReviewAction.objects.filter(registration=reg).values_list("action", flat=True)) == ["submit", "take"]
    assert Relationship.objects.count() == 0


def _admin(cw):
    user = cw["city_a"]
    user.is_superuser = True
    user.save()
    return user
