"""The customer 360 view (客户360视图) is the customer's detail page; every app adds its panel
with ``kam.core.registry.register_detail_panel("customers.customer", DetailPanel(...))`` —
contracts, revenue, work items, KPIs and complaints plug in the same way as the panels below.
"""

from __future__ import annotations

from typing import Any

from kam.core.registry import DetailPanel, register_detail_panel, register_home_panel

from .models import AccessGrant, Contact, Customer, CustomerMerge, Registration, Relationship

CUSTOMER = "customers.customer"


def _relationships(request: Any, customer: Customer) -> dict[str, Any]:
    rows = (Relationship.objects.restrict(request.user, "view").filter(customer=customer)
            .select_related("department", "manager").prefetch_related("business_lines"))
    return {"relationships": list(rows)}


def _contacts(request: Any, customer: Customer) -> dict[str, Any]:
    return {"contacts": list(Contact.objects.restrict(request.user, "view").filter(customer=customer))}


def _registrations(request: Any, customer: Customer) -> dict[str, Any]:
    rows = (Registration.objects.restrict(request.user, "view").filter(customer=customer)
            .select_related("applicant", "applicant_unit"))
    return {"registrations": list(rows[:50])}


def _grants(request: Any, customer: Customer) -> dict[str, Any]:
    rows = AccessGrant.objects.restrict(request.user, "view").filter(customer=customer).select_related("user")
    return {"grants": list(rows[:50])}


def _merged_history(request: Any, customer: Customer) -> dict[str, Any]:
    """The customers merged into this one, each with its change history under its old id (the
    history is part of the kept customer's: whoever sees the customer sees it)."""
    from django.contrib.contenttypes.models import ContentType

    from kam.audit.models import AuditEntry
    from kam.audit.selectors import present

    merges = list(CustomerMerge.objects.restrict(request.user, "view").filter(kept=customer)
                  .select_related("merged_by")[:20])
    ct = ContentType.objects.get_for_model(Customer)
    for merge in merges:
        entries = AuditEntry.objects.filter(content_type=ct, object_id=str(merge.removed_id)).select_related(
            "actor", "content_type").order_by("-at", "-id")
        merge.history = present(list(entries[:100]))
    return {"merges": merges}


register_detail_panel(CUSTOMER, DetailPanel(10, "relationships", "customers/panels/relationships.html",
                                            _relationships))
register_detail_panel(CUSTOMER, DetailPanel(20, "contacts", "customers/panels/contacts.html", _contacts))
register_detail_panel(CUSTOMER, DetailPanel(80, "registrations", "customers/panels/registrations.html",
                                            _registrations, module="customer_registrations"))
register_detail_panel(CUSTOMER, DetailPanel(85, "merged_history", "customers/panels/merged_history.html",
                                            _merged_history))
register_detail_panel(CUSTOMER, DetailPanel(90, "access_grants", "customers/panels/access_grants.html", _grants,
                                            module="customer_access"))


# --- home page: what waits for the user ---------------------------------------------------------


def _review_panel(request: Any):
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from kam.core.registry import HomePanelData

    n = Registration.objects.reviewable_by(request.user).count()
    if not n:
        return None
    return HomePanelData(title=_("Customer registrations awaiting your review"), count=n,
                         url=reverse("customers:review_home"), link_label=_("Review"), tone="warning")


def _access_panel(request: Any):
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from kam.core.registry import HomePanelData

    from .models import AccessRequest
    from .selectors import access_review_q

    n = AccessRequest.objects.filter(access_review_q(request.user)).count()
    if not n:
        return None
    return HomePanelData(title=_("Data-access requests awaiting your approval"), count=n,
                         url=reverse("customers:access_review_list"), link_label=_("Approve"), tone="warning")


register_home_panel(30, "customer_review", _review_panel, module="customer_review", action="change")
register_home_panel(31, "customer_access_review", _access_panel, module="customer_access_review", action="change")
